#include "katutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/params.h>

#include "afalg_guard.h"

size_t kat_rnd(uint64_t *rng, size_t mod)
{
    unsigned char b[4];

    kactest_rand(rng, b, sizeof(b));
    return ((size_t)b[0] << 24 | (size_t)b[1] << 16 | (size_t)b[2] << 8 | b[3]) % mod;
}

void kat_bufs_new(struct kat_bufs *b, size_t size)
{
    b->pt = malloc(size);
    b->ct = malloc(size);
    b->ref = malloc(size);
    b->back = malloc(size);
    assert_true(b->pt && b->ct && b->ref && b->back);
}

void kat_bufs_free(struct kat_bufs *b)
{
    free(b->pt);
    free(b->ct);
    free(b->ref);
    free(b->back);
}

void kat_cipher_pair(struct kactest *t, const char *name, EVP_CIPHER **kc, EVP_CIPHER **rc)
{
    *kc = EVP_CIPHER_fetch(t->ctx, name, "provider=kaccel");
    *rc = EVP_CIPHER_fetch(t->ref, name, NULL);
    if (*kc == NULL)
        fail_msg("%s not offered by kaccel (kaccel-algorithms = all)", name);
    assert_non_null(*rc);
}

/* ---- AEAD ---------------------------------------------------------------- */

int kat_is_ccm(const char *n) { return strstr(n, "CCM") != NULL; }
int kat_is_gcm(const char *n) { return strstr(n, "GCM") != NULL; }

int kat_set_size(EVP_CIPHER_CTX *x, const char *key, size_t v)
{
    OSSL_PARAM p[] = { OSSL_PARAM_size_t(key, &v), OSSL_PARAM_END };

    return EVP_CIPHER_CTX_set_params(x, p);
}

int kat_set_tag(EVP_CIPHER_CTX *x, unsigned char *tag, size_t len)
{
    OSSL_PARAM p[] = { OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, len),
                       OSSL_PARAM_END };

    return EVP_CIPHER_CTX_set_params(x, p);
}

int kat_get_tag(EVP_CIPHER_CTX *x, unsigned char *tag, size_t len)
{
    OSSL_PARAM p[] = { OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, len),
                       OSSL_PARAM_END };

    return EVP_CIPHER_CTX_get_params(x, p);
}

int kat_msg_error;

/* Finishes a message from `off`: data, tag (decrypt, late), final, tag (encrypt). */
static int finish(EVP_CIPHER_CTX *x, int enc, const struct kat_how *h, int ccm,
                  const unsigned char *src, size_t off, size_t len, unsigned char *out,
                  unsigned char *tag, uint64_t *rng)
{
    int n = 0;

    while (off < len) {
        size_t chunk = len - off;

        if (h->chunks && !ccm) {
            chunk = kat_rnd(rng, len / 2 + 2) + 1;
            if (chunk > len - off)
                chunk = len - off;
        }
        if (!EVP_CipherUpdate(x, out + off, &n, src + off, (int)chunk) || (size_t)n != chunk)
            return KAT_MSG_UPDATE_FAILED;
        off += chunk;
    }
    if (ccm && len == 0 && !EVP_CipherUpdate(x, out, &n, src, 0))
        return KAT_MSG_UPDATE_FAILED;
    if (!enc && !ccm && !h->tag_early && !kat_set_tag(x, tag, h->taglen))
        return KAT_MSG_SETUP_FAILED;
    if (!EVP_CipherFinal_ex(x, out + len, &n) || n != 0)
        return KAT_MSG_FINAL_FAILED;
    if (enc && !kat_get_tag(x, tag, h->taglen))
        return KAT_MSG_FINAL_FAILED;
    return KAT_MSG_OK;
}

/*
 * The first chunk, then a duplicate of the context; both finish (the copy
 * out of place) and must agree.
 */
static int finish_dup(EVP_CIPHER_CTX *x, int enc, const struct kat_how *h, int ccm,
                      const unsigned char *in, const unsigned char *src, size_t len,
                      unsigned char *out, unsigned char *tag, uint64_t chunking)
{
    const char *name = EVP_CIPHER_get0_name(EVP_CIPHER_CTX_get0_cipher(x));
    size_t first = h->chunks && !ccm ? len / 3 + 1 : len;
    unsigned char *o2 = malloc(len + 16), t2[16];
    uint64_t r2 = chunking;
    EVP_CIPHER_CTX *y;
    int n = 0, rc1, rc2;

    if (first > len)
        first = len;
    assert_non_null(o2);
    if (!EVP_CipherUpdate(x, out, &n, src, (int)first) || (size_t)n != first) {
        free(o2);
        return KAT_MSG_UPDATE_FAILED;
    }
    y = EVP_CIPHER_CTX_new();
    assert_non_null(y);
    assert_int_equal(EVP_CIPHER_CTX_copy(y, x), 1);
    memcpy(o2, out, first);
    memcpy(t2, tag, 16);
    /* in place, `out` now holds output: the copy reads the input */
    rc2 = finish(y, enc, h, ccm, h->inplace ? in : src, first, len, o2, t2, &r2);
    rc1 = finish(x, enc, h, ccm, src, first, len, out, tag, &chunking);
    if ((rc1 == KAT_MSG_OK) != (rc2 == KAT_MSG_OK)
        || (rc1 == KAT_MSG_OK
            && (memcmp(o2, out, len) != 0 || (enc && memcmp(t2, tag, h->taglen) != 0))))
        fail_msg("%s: dupctx copy differs from the original (len %zu)", name, len);
    EVP_CIPHER_CTX_free(y);
    free(o2);
    return rc1;
}

int kat_aead_msg(EVP_CIPHER *c, int enc, const struct kat_how *h, const unsigned char *key,
                 const unsigned char *iv, const unsigned char *aad, size_t aadlen,
                 const unsigned char *in, size_t len, unsigned char *out, unsigned char *tag,
                 uint64_t chunking)
{
    int ccm = kat_is_ccm(EVP_CIPHER_get0_name(c)), n = 0, rc = KAT_MSG_SETUP_FAILED;
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    const unsigned char *src = in;

    assert_non_null(x);
    if (!EVP_CipherInit_ex2(x, c, NULL, NULL, enc, NULL))
        goto done;
    if (h->ivlen && !kat_set_size(x, OSSL_CIPHER_PARAM_AEAD_IVLEN, h->ivlen))
        goto done;
    if (ccm && !kat_set_tag(x, enc ? NULL : tag, h->taglen))
        goto done;
    if (!EVP_CipherInit_ex2(x, NULL, key, iv, enc, NULL))
        goto done;
    if (!enc && !ccm && h->tag_early && !kat_set_tag(x, tag, h->taglen))
        goto done;
    rc = KAT_MSG_UPDATE_FAILED;
    if (ccm && !EVP_CipherUpdate(x, NULL, &n, NULL, (int)len))
        goto done;
    if (h->chunks && !ccm && aadlen > 1) {
        if (!EVP_CipherUpdate(x, NULL, &n, aad, 1)
            || !EVP_CipherUpdate(x, NULL, &n, aad + 1, (int)aadlen - 1))
            goto done;
    } else if (aadlen > 0 && !EVP_CipherUpdate(x, NULL, &n, aad, (int)aadlen)) {
        goto done;
    }
    if (h->inplace) {
        memmove(out, in, len);
        src = out;
    }
    if (h->dup && len > 0)
        rc = finish_dup(x, enc, h, ccm, in, src, len, out, tag, chunking);
    else
        rc = finish(x, enc, h, ccm, src, 0, len, out, tag, &chunking);
done:
    kat_msg_error = ERR_peek_error() != 0;
    EVP_CIPHER_CTX_free(x);
    ERR_clear_error();
    return rc;
}

const struct kat_aead_vector kat_aead_vectors[] = {
    /* McGrew-Viega GCM test cases 2, 3, 4, 14 */
    { "AES-128-GCM", "00000000000000000000000000000000", "000000000000000000000000", "",
      "00000000000000000000000000000000", "0388dace60b6a392f328c2b971b2fe78",
      "ab6e47d42cec13bdf53a67b21257bddf" },
    { "AES-128-GCM", "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888", "",
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
      "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
      "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
      "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
      "4d5c2af327cd64a62cf35abd2ba6fab4" },
    { "AES-128-GCM", "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
      "feedfacedeadbeeffeedfacedeadbeefabaddad2",
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
      "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
      "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
      "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
      "5bc94fbc3221a5db94fae95ae7121a47" },
    { "AES-256-GCM", "0000000000000000000000000000000000000000000000000000000000000000",
      "000000000000000000000000", "", "00000000000000000000000000000000",
      "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919" },
    /* RFC 3610 packet vector #1 (13-byte nonce, M = 8) */
    { "AES-128-CCM", "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf", "00000003020100a0a1a2a3a4a5",
      "0001020304050607", "08090a0b0c0d0e0f101112131415161718191a1b1c1d1e",
      "588c979a61c663d2f066d0c2c0f989806d5f6b61dac384", "17e8d12cfdf926e0" },
    /* RFC 8439 section 2.8.2 */
    { "ChaCha20-Poly1305", "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
      "070000004041424344454647", "50515253c0c1c2c3c4c5c6c7",
      "4c616469657320616e642047656e746c656d656e206f662074686520636c6173"
      "73206f66202739393a204966204920636f756c64206f6666657220796f75206f"
      "6e6c79206f6e652074697020666f7220746865206675747572652c2073756e73"
      "637265656e20776f756c642062652069742e",
      "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
      "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
      "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
      "3ff4def08e4b7a9de576d26586cec64b6116",
      "1ae10b594f09e26a7e902ecbd0600691" },
    /* (KAT_AEAD_NBASIC ends here) McGrew-Viega GCM test cases 8, 11, 16 */
    { "AES-192-GCM", "000000000000000000000000000000000000000000000000",
      "000000000000000000000000", "", "00000000000000000000000000000000",
      "98e7247c07f0fe411c267e4384b0f600", "2ff58d80033927ab8ef4d4587514f0fb" },
    { "AES-192-GCM", "feffe9928665731c6d6a8f9467308308feffe9928665731c",
      "cafebabefacedbaddecaf888", "feedfacedeadbeeffeedfacedeadbeefabaddad2",
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
      "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
      "3980ca0b3c00e841eb06fac4872a2757859e1ceaa6efd984628593b40ca1e19c"
      "7d773d00c144c525ac619d18c84a3f4718e2448b2fe324d9ccda2710",
      "2519498e80f1478f37ba55bd6d27618c" },
    { "AES-256-GCM", "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
      "cafebabefacedbaddecaf888", "feedfacedeadbeeffeedfacedeadbeefabaddad2",
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
      "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
      "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
      "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
      "76fc6ece0f4e1768cddf8853bb2d551b" },
    /* RFC 3610 packet vector #2 */
    { "AES-128-CCM", "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf", "00000004030201a0a1a2a3a4a5",
      "0001020304050607", "08090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
      "72c91a36e135f8cf291ca894085c87e3cc15c439c9e43a3b", "a091d56e10400916" },
    /* NIST SP 800-38C examples 1-3 (nonces of 7, 8 and 12 bytes; M = 4, 6, 8) */
    { "AES-128-CCM", "404142434445464748494a4b4c4d4e4f", "10111213141516", "0001020304050607",
      "20212223", "7162015b", "4dac255d" },
    { "AES-128-CCM", "404142434445464748494a4b4c4d4e4f", "1011121314151617",
      "000102030405060708090a0b0c0d0e0f", "202122232425262728292a2b2c2d2e2f",
      "d2a1f0e051ea5f62081a7792073d593d", "1fc64fbfaccd" },
    { "AES-128-CCM", "404142434445464748494a4b4c4d4e4f", "101112131415161718191a1b",
      "000102030405060708090a0b0c0d0e0f10111213",
      "202122232425262728292a2b2c2d2e2f3031323334353637",
      "e3b201a9f5b71a7a9b1ceaeccd97e70b6176aad9a4428aa5", "484392fbc1b09951" },
};
const size_t kat_aead_nvectors = sizeof(kat_aead_vectors) / sizeof(kat_aead_vectors[0]);

void kat_aead_known_answers(struct kactest *t, size_t n, const struct kat_how *ways,
                            size_t nways, uint64_t chunking)
{
    size_t i, w;

    for (i = 0; i < n; i++) {
        const struct kat_aead_vector *v = &kat_aead_vectors[i];
        EVP_CIPHER *c = EVP_CIPHER_fetch(t->ctx, v->cipher, "provider=kaccel");
        unsigned char key[32], iv[16], aad[32], pt[128], ct[128], tag[16], out[144], otag[16];
        size_t ivlen = kactest_unhex(v->iv, iv), aadlen = kactest_unhex(v->aad, aad);
        size_t len = kactest_unhex(v->pt, pt), taglen = kactest_unhex(v->tag, tag);

        assert_non_null(c);
        kactest_unhex(v->key, key);
        kactest_unhex(v->ct, ct);
        for (w = 0; w < nways; w++) {
            struct kat_how h = ways[w];

            h.taglen = taglen;
            if (ivlen != (size_t)EVP_CIPHER_get_iv_length(c) || kat_is_ccm(v->cipher))
                h.ivlen = ivlen;
            if (kat_aead_msg(c, 1, &h, key, iv, aad, aadlen, pt, len, out, otag, chunking)
                != KAT_MSG_OK)
                fail_msg("%s: known answer %zu: encrypt failed", v->cipher, i);
            if (memcmp(out, ct, len) != 0 || memcmp(otag, tag, taglen) != 0)
                fail_msg("%s: known answer %zu mismatch (encrypt)", v->cipher, i);
            memcpy(otag, tag, taglen);
            if (kat_aead_msg(c, 0, &h, key, iv, aad, aadlen, ct, len, out, otag, chunking)
                    != KAT_MSG_OK
                || memcmp(out, pt, len) != 0)
                fail_msg("%s: known answer %zu mismatch (decrypt)", v->cipher, i);
        }
        EVP_CIPHER_free(c);
    }
}

/* ---- TLS 1.2 records -------------------------------------------------------- */

int kat_tls_record(EVP_CIPHER_CTX *x, int enc, int gcm, uint64_t seq, unsigned char *buf,
                   size_t plen, int *outl)
{
    unsigned char aad[13];
    size_t reclen = gcm ? 8 + plen + (enc ? 0 : 16) : plen + (enc ? 0 : 16);
    int i, pad;

    for (i = 0; i < 8; i++)
        aad[i] = (unsigned char)(seq >> (56 - 8 * i));
    aad[8] = 0x17;
    aad[9] = 3;
    aad[10] = 3;
    aad[11] = (unsigned char)(reclen >> 8);
    aad[12] = (unsigned char)reclen;
    pad = EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_TLS1_AAD, 13, aad);
    if (pad != 16)
        return 0;
    if (enc)
        reclen += (size_t)pad;
    return EVP_CipherUpdate(x, buf, outl, buf, (int)reclen);
}

void kat_tls12_open(struct kat_tls12 *s, struct kactest *t, const char *name, size_t maxlen,
                    uint64_t *rng)
{
    unsigned char key[32], iv[12];
    int keylen;

    memset(s, 0, sizeof(*s));
    s->name = name;
    s->gcm = kat_is_gcm(name);
    s->off = s->gcm ? 8 : 0;
    s->kc = EVP_CIPHER_fetch(t->ctx, name, "provider=kaccel");
    s->rc = EVP_CIPHER_fetch(t->ref, name, NULL);
    s->ke = EVP_CIPHER_CTX_new();
    s->re = EVP_CIPHER_CTX_new();
    s->kd = EVP_CIPHER_CTX_new();
    s->rd = EVP_CIPHER_CTX_new();
    s->a = malloc(maxlen + 64);
    s->b = malloc(maxlen + 64);
    s->pt = malloc(maxlen + 64);
    assert_true(s->kc && s->rc && s->ke && s->re && s->kd && s->rd && s->a && s->b && s->pt);
    keylen = EVP_CIPHER_get_key_length(s->rc);
    kactest_rand(rng, key, (size_t)keylen);
    kactest_rand(rng, iv, sizeof(iv));
    assert_int_equal(EVP_CipherInit_ex2(s->ke, s->kc, key, NULL, 1, NULL), 1);
    assert_int_equal(EVP_CipherInit_ex2(s->re, s->rc, key, NULL, 1, NULL), 1);
    assert_int_equal(EVP_CipherInit_ex2(s->kd, s->kc, key, NULL, 0, NULL), 1);
    assert_int_equal(EVP_CipherInit_ex2(s->rd, s->rc, key, NULL, 0, NULL), 1);
    /* GCM: -1 sets the whole IV (fixed and invocation part) so both sides agree */
    assert_int_equal(EVP_CIPHER_CTX_ctrl(s->ke, EVP_CTRL_AEAD_SET_IV_FIXED, s->gcm ? -1 : 12, iv),
                     1);
    assert_int_equal(EVP_CIPHER_CTX_ctrl(s->re, EVP_CTRL_AEAD_SET_IV_FIXED, s->gcm ? -1 : 12, iv),
                     1);
    assert_int_equal(EVP_CIPHER_CTX_ctrl(s->kd, EVP_CTRL_AEAD_SET_IV_FIXED, s->gcm ? 4 : 12, iv),
                     1);
    assert_int_equal(EVP_CIPHER_CTX_ctrl(s->rd, EVP_CTRL_AEAD_SET_IV_FIXED, s->gcm ? 4 : 12, iv),
                     1);
}

void kat_tls12_close(struct kat_tls12 *s)
{
    EVP_CIPHER_CTX_free(s->ke);
    EVP_CIPHER_CTX_free(s->re);
    EVP_CIPHER_CTX_free(s->kd);
    EVP_CIPHER_CTX_free(s->rd);
    EVP_CIPHER_free(s->kc);
    EVP_CIPHER_free(s->rc);
    free(s->a);
    free(s->b);
    free(s->pt);
}

void kat_tls12_record(struct kat_tls12 *s, size_t i, size_t plen, uint64_t *rng)
{
    int la = -1, lb = -2, ld = -3;
    unsigned char iva[12], ivb[12];

    kactest_rand(rng, s->pt, plen);
    memcpy(s->a + s->off, s->pt, plen);
    memcpy(s->b + s->off, s->pt, plen);
    if (!kat_tls_record(s->ke, 1, s->gcm, i, s->a, plen, &la)
        || !kat_tls_record(s->re, 1, s->gcm, i, s->b, plen, &lb))
        fail_msg("%s: TLS record %zu (%zu bytes) encrypt failed", s->name, i, plen);
    if (la != lb || memcmp(s->a, s->b, (size_t)lb) != 0)
        fail_msg("%s: TLS record %zu (%zu bytes) differs from the default provider", s->name,
                 i, plen);
    if (s->gcm) {
        assert_int_equal(EVP_CIPHER_CTX_get_updated_iv(s->ke, iva, 12), 1);
        assert_int_equal(EVP_CIPHER_CTX_get_updated_iv(s->re, ivb, 12), 1);
        assert_memory_equal(iva, ivb, 12);
    }
    if (!kat_tls_record(s->kd, 0, s->gcm, i, s->a, plen, &ld) || (size_t)ld != plen
        || memcmp(s->a + s->off, s->pt, plen) != 0)
        fail_msg("%s: TLS record %zu (%zu bytes) decrypt failed or differs", s->name, i, plen);
}

int kat_tls12_seal(struct kat_tls12 *s, uint64_t seq, size_t plen)
{
    int la = -1, lb = -2;

    memcpy(s->a + s->off, s->pt, plen);
    memcpy(s->b + s->off, s->pt, plen);
    assert_int_equal(kat_tls_record(s->ke, 1, s->gcm, seq, s->a, plen, &la), 1);
    assert_int_equal(kat_tls_record(s->re, 1, s->gcm, seq, s->b, plen, &lb), 1);
    assert_true(la == lb && memcmp(s->a, s->b, (size_t)la) == 0);
    return la;
}

/* ---- HMAC and CMAC vectors -------------------------------------------------- */

const char kat_sp800_38b_msg[] =
    "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
    "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
const char kat_rfc4231_tc6[] = "Test Using Larger Than Block-Size Key - Hash Key First";
const char kat_rfc4231_tc7[] =
    "This is a test using a larger than block-size key and a larger than "
    "block-size data. The key needs to be hashed before being used by the "
    "HMAC algorithm.";

unsigned char *kat_bytes(const char *s, size_t *len)
{
    unsigned char *out;
    unsigned v = 0, n = 0;

    if (s[0] == '%') {
        *len = (size_t)atol(s + 1);
        out = malloc(*len + 1);
        assert_non_null(out);
        memset(out, 'a', *len);
        return out;
    }
    if (s[0] == '=')
        assert_int_equal(sscanf(s + 1, "%2x%u", &v, &n), 2);
    out = malloc(strlen(s) + n + 64);
    assert_non_null(out);
    if (s[0] == '\'') {
        *len = strlen(s) - 1;
        memcpy(out, s + 1, *len);
    } else if (s[0] == '#') {
        unsigned char all[64];

        kactest_unhex(kat_sp800_38b_msg, all);
        *len = (size_t)atoi(s + 1);
        assert_true(*len <= sizeof(all));
        memcpy(out, all, *len);
    } else if (s[0] == '=') {
        memset(out, (int)v, n);
        *len = n;
    } else if (strspn(s, "0123456789abcdef") == strlen(s) && strlen(s) % 2 == 0) {
        *len = kactest_unhex(s, out);
    } else {
        *len = strlen(s); /* plain text */
        memcpy(out, s, *len);
    }
    return out;
}

/* ---- parameters ------------------------------------------------------------ */

int kat_same_keys(const OSSL_PARAM *a, const OSSL_PARAM *b)
{
    size_t na = 0, nb = 0;

    for (; a != NULL && a[na].key != NULL; na++)
        if (OSSL_PARAM_locate_const(b, a[na].key) == NULL)
            return 0;
    for (; b != NULL && b[nb].key != NULL; nb++)
        ;
    return na == nb;
}

size_t kat_random_chunk(uint64_t *rng, size_t left)
{
    unsigned char b[2];
    size_t chunk;

    kactest_rand(rng, b, 2);
    switch (b[0] & 3) {
    case 0: chunk = b[1] % 8; break; /* tiny, even empty */
    case 1: chunk = (size_t)b[1] + 1; break;
    default: chunk = ((size_t)b[0] << 8 | b[1]) % 20000 + 1; break;
    }
    return chunk > left ? left : chunk;
}

/* ---- scenarios of the kat tests --------------------------------------------- */

#define KAT_STR_(x) #x
#define KAT_STR(x) KAT_STR_(x)

const char *const kat_software_only[] = { "kaccel-algorithms = all", "kaccel-backends = none",
                                          NULL };
const char *const kat_offload_only[] = { "kaccel-algorithms = all", "kaccel-afalg-drivers = any",
                                         "kaccel-min-offload = 0", NULL };
const char *const kat_mixed[] = { "kaccel-algorithms = all", "kaccel-afalg-drivers = any",
                                  "kaccel-min-offload = " KAT_STR(KAT_MIXED_MIN_OFFLOAD), NULL };

void kat_offload_begin(struct kat_offload *o, struct kactest *t, const char *const *names,
                       size_t n, int flags)
{
    size_t i;

    assert_true(n <= KAT_MAX_ALGS);
    o->names = names;
    o->n = n;
    o->flags = flags;
    for (i = 0; i < n; i++)
        if (names[i] != NULL) {
            o->off0[i] = kactest_stat(t, names[i], "offload_ops");
            o->sw0[i] = kactest_stat(t, names[i], "sw_ops");
        }
}

void kat_offload_end(struct kat_offload *o, struct kactest *t, const char *what,
                     int expect_offload)
{
    int count_sw = (o->flags & KAT_COUNT_SW) != 0, width = 0;
    size_t i;

    for (i = 0; i < o->n; i++)
        if (o->names[i] != NULL && (int)strlen(o->names[i]) + 1 > width)
            width = (int)strlen(o->names[i]) + 1;
    for (i = 0; i < o->n; i++) {
        const char *name = o->names[i], *drv;
        uint64_t off, sw;

        if (name == NULL)
            continue;
        off = kactest_stat(t, name, "offload_ops") - o->off0[i];
        sw = kactest_stat(t, name, "sw_ops") - o->sw0[i];
        drv = kactest_route(t, name);
        printf("# %-8s %-*s driver %-28s offloaded ops %llu", what, width, name, drv ? drv : "-",
               (unsigned long long)off);
        if (count_sw)
            printf(", software ops %llu", (unsigned long long)sw);
        printf("\n");
        if (count_sw && off + sw == 0)
            fail_msg("%s: no operation was counted", name);
        if (expect_offload && drv != NULL && off == 0)
            fail_msg("%s: routed to %s but nothing was offloaded", name, drv);
        if ((!expect_offload || (count_sw && drv == NULL)) && off != 0)
            fail_msg("%s: offloaded although routing says software", name);
    }
}

int kat_afalg(const char *prog)
{
    const char *req = getenv("KACCEL_REQUIRE_AFALG");
    int have = kac_afalg_available();

    if (!have && req != NULL && strcmp(req, "1") == 0)
        kac_test_need_afalg(prog); /* fails */
    return have;
}
