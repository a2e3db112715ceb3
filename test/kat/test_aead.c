/*
 * AES-GCM, AES-CCM and ChaCha20-Poly1305 through kaccel: published known
 * answers; differential tests against the default provider over sizes
 * 0..65536, AAD sizes, single- and multi-update messages, in place, dupctx,
 * tag lengths, IV lengths, TLS 1.2 records (tlsaad) and tag mismatches;
 * parameter sets; bad input.  Three routings: software only, offload only
 * and a 2000-byte threshold.  Where AF_ALG exists (the guest) every
 * algorithm with a route must really have been offloaded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "afalg_guard.h"
#include "kactest.h"

static const char *const aeads[] = {
    "AES-128-GCM", "AES-192-GCM", "AES-256-GCM", "AES-128-CCM",
    "AES-192-CCM", "AES-256-CCM", "ChaCha20-Poly1305",
};
#define NAEADS (sizeof(aeads) / sizeof(aeads[0]))
static const size_t sizes[] = { 0,    1,    15,   16,   17,   63,    64,    255,   256, 1000,
                                1999, 2000, 2001, 4095, 4096, 4097, 16384, 65000, 65536 };
static const size_t aadsizes[] = { 0, 13, 20, 100 };

static uint64_t seed;
static int have_afalg;

static int is_ccm(const char *n) { return strstr(n, "CCM") != NULL; }
static int is_gcm(const char *n) { return strstr(n, "GCM") != NULL; }

/* ---- one message, many ways ---------------------------------------------- */

struct how {
    int chunks;    /* random data chunks and AAD in two pieces (not CCM) */
    int inplace;
    int dup;       /* dupctx after the first chunk; the copy must finish identically */
    int tag_early; /* decrypt: tag set before the data (always for CCM) */
    size_t ivlen;  /* 0: the default */
    size_t taglen;
};

static int set_size(EVP_CIPHER_CTX *x, const char *key, size_t v)
{
    OSSL_PARAM p[] = { OSSL_PARAM_size_t(key, &v), OSSL_PARAM_END };

    return EVP_CIPHER_CTX_set_params(x, p);
}

static int set_tag(EVP_CIPHER_CTX *x, unsigned char *tag, size_t len)
{
    OSSL_PARAM p[] = { OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, len),
                       OSSL_PARAM_END };

    return EVP_CIPHER_CTX_set_params(x, p);
}

static int get_tag(EVP_CIPHER_CTX *x, unsigned char *tag, size_t len)
{
    OSSL_PARAM p[] = { OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, len),
                       OSSL_PARAM_END };

    return EVP_CIPHER_CTX_get_params(x, p);
}

/* Finishes a message from `off`: data, tag (decrypt, late), final, tag (encrypt). */
static int finish(EVP_CIPHER_CTX *x, int enc, const struct how *h, const unsigned char *src,
                  size_t off, size_t len, unsigned char *out, unsigned char *tag,
                  uint64_t *rng, int ccm)
{
    int n = 0;

    while (off < len) {
        size_t chunk = len - off;
        unsigned char b[2];

        if (h->chunks && !ccm) {
            kactest_rand(rng, b, 2);
            chunk = ((size_t)b[0] << 8 | b[1]) % (len / 2 + 2) + 1;
            if (chunk > len - off)
                chunk = len - off;
        }
        if (!EVP_CipherUpdate(x, out + off, &n, src + off, (int)chunk) || (size_t)n != chunk)
            return 0;
        off += chunk;
    }
    if (ccm && len == 0 && !EVP_CipherUpdate(x, out, &n, src, 0))
        return 0;
    if (!enc && !ccm && !h->tag_early && !set_tag(x, tag, h->taglen))
        return 0;
    if (!EVP_CipherFinal_ex(x, out + len, &n) || n != 0)
        return 0;
    if (enc && !get_tag(x, tag, h->taglen))
        return 0;
    return 1;
}

/*
 * Encrypts (tag out) or decrypts (tag in) one message.  Returns 1 when every
 * call succeeded.  For dup, the copy's output and tag must equal the original's.
 */
static int aead(EVP_CIPHER *c, int enc, const struct how *h, const unsigned char *key,
                const unsigned char *iv, const unsigned char *aad, size_t aadlen,
                const unsigned char *in, size_t len, unsigned char *out, unsigned char *tag,
                uint64_t *rng)
{
    const char *name = EVP_CIPHER_get0_name(c);
    int ccm = is_ccm(name), n = 0, ok = 0;
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    const unsigned char *src = in;
    size_t first = 0;

    assert_non_null(x);
    if (!EVP_CipherInit_ex2(x, c, NULL, NULL, enc, NULL))
        goto done;
    if (h->ivlen && !set_size(x, OSSL_CIPHER_PARAM_AEAD_IVLEN, h->ivlen))
        goto done;
    if (ccm && !set_tag(x, enc ? NULL : tag, h->taglen))
        goto done;
    if (!EVP_CipherInit_ex2(x, NULL, key, iv, enc, NULL))
        goto done;
    if (!enc && !ccm && h->tag_early && !set_tag(x, tag, h->taglen))
        goto done;
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
    if (h->dup && len > 0) {
        /* first chunk, then duplicate; the copy finishes out of place */
        EVP_CIPHER_CTX *y;
        unsigned char *o2 = malloc(len + 16), t2[16];
        const unsigned char *src2;

        first = h->chunks && !ccm ? len / 3 + 1 : len;
        if (first > len)
            first = len;
        assert_non_null(o2);
        if (!EVP_CipherUpdate(x, out, &n, src, (int)first) || (size_t)n != first) {
            free(o2);
            goto done;
        }
        y = EVP_CIPHER_CTX_new();
        assert_non_null(y);
        assert_int_equal(EVP_CIPHER_CTX_copy(y, x), 1);
        memcpy(o2, out, first);
        memcpy(t2, tag, 16);
        src2 = h->inplace ? in : src; /* in place, `out` now holds output: use the input */
        {
            uint64_t r2 = *rng;
            int ok2 = finish(y, enc, h, src2, first, len, o2, t2, &r2, ccm);
            int ok1 = finish(x, enc, h, src, first, len, out, tag, rng, ccm);

            if (ok1 != ok2 || (ok1 && (memcmp(o2, out, len) != 0
                                       || (enc && memcmp(t2, tag, h->taglen) != 0))))
                fail_msg("%s: dupctx copy differs from the original (len %zu)", name, len);
            ok = ok1;
        }
        EVP_CIPHER_CTX_free(y);
        free(o2);
        goto done;
    }
    ok = finish(x, enc, h, src, 0, len, out, tag, rng, ccm);
done:
    EVP_CIPHER_CTX_free(x);
    ERR_clear_error();
    return ok;
}

/* ---- known answers ------------------------------------------------------- */

struct kat {
    const char *cipher, *key, *iv, *aad, *pt, *ct, *tag;
};

static const struct kat kats[] = {
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
};

static void run_kats(struct kactest *t)
{
    size_t i;

    for (i = 0; i < sizeof(kats) / sizeof(kats[0]); i++) {
        EVP_CIPHER *c = EVP_CIPHER_fetch(t->ctx, kats[i].cipher, "provider=kaccel");
        unsigned char key[32], iv[16], aad[32], pt[128], ct[128], tag[16], out[144], otag[16];
        size_t ivlen = kactest_unhex(kats[i].iv, iv), aadlen = kactest_unhex(kats[i].aad, aad);
        size_t len = kactest_unhex(kats[i].pt, pt), taglen = kactest_unhex(kats[i].tag, tag);
        struct how h = { 0 };
        uint64_t rng = seed;
        int v;

        assert_non_null(c);
        kactest_unhex(kats[i].key, key);
        kactest_unhex(kats[i].ct, ct);
        h.taglen = taglen;
        if (ivlen != (size_t)EVP_CIPHER_get_iv_length(c))
            h.ivlen = ivlen;
        for (v = 0; v < 2; v++) {
            h.tag_early = v;
            if (!aead(c, 1, &h, key, iv, aad, aadlen, pt, len, out, otag, &rng))
                fail_msg("%s: known answer %zu: encrypt failed", kats[i].cipher, i);
            if (memcmp(out, ct, len) != 0 || memcmp(otag, tag, taglen) != 0)
                fail_msg("%s: known answer %zu mismatch (encrypt)", kats[i].cipher, i);
            memcpy(otag, tag, taglen);
            if (!aead(c, 0, &h, key, iv, aad, aadlen, ct, len, out, otag, &rng)
                || memcmp(out, pt, len) != 0)
                fail_msg("%s: known answer %zu mismatch (decrypt)", kats[i].cipher, i);
        }
        EVP_CIPHER_free(c);
    }
}

/* ---- differential -------------------------------------------------------- */

static void differential(struct kactest *t, const char *name)
{
    EVP_CIPHER *kc = EVP_CIPHER_fetch(t->ctx, name, "provider=kaccel");
    EVP_CIPHER *rc = EVP_CIPHER_fetch(t->ref, name, NULL);
    uint64_t rng = seed ^ (uint64_t)strlen(name) * 0x9e3779b97f4a7c15ULL ^ (uint64_t)name[4];
    size_t si, ai, keylen;
    int ccm = is_ccm(name), gcm = is_gcm(name);

    if (kc == NULL)
        fail_msg("%s not offered by kaccel (kaccel-algorithms = all)", name);
    assert_non_null(rc);
    keylen = (size_t)EVP_CIPHER_get_key_length(rc);
    for (si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
        size_t len = sizes[si];
        unsigned char *pt = malloc(len + 32), *ct = malloc(len + 32), *ref = malloc(len + 32),
                      *back = malloc(len + 32);

        assert_true(pt && ct && ref && back);
        for (ai = 0; ai < sizeof(aadsizes) / sizeof(aadsizes[0]); ai++) {
            size_t aadlen = aadsizes[ai];
            unsigned char key[32], iv[16], aad[100], rtag[16], ktag[16], r;
            struct how h = { 0 }, plain = { 0 };
            int variant;

            for (variant = 0; variant < 4; variant++) {
                kactest_rand(&rng, key, keylen);
                kactest_rand(&rng, iv, sizeof(iv));
                kactest_rand(&rng, aad, aadlen);
                kactest_rand(&rng, pt, len);
                kactest_rand(&rng, &r, 1);
                memset(&h, 0, sizeof(h));
                h.chunks = variant & 1;
                h.inplace = (variant >> 1) & 1;
                h.dup = (r & 1) && len > 0;
                h.tag_early = (r >> 1) & 1;
                /*
                 * Tag first, then data in pieces: an offloaded decrypt takes its first
                 * update as the whole message and fails (documented in providers/aead.c),
                 * so the tag-first decrypts below are single-update.
                 */
                h.taglen = 16;
                if (ccm) {
                    static const size_t ccmtags[] = { 4, 8, 12, 16 };
                    static const size_t ccmivs[] = { 0, 12, 13 };

                    h.taglen = ccmtags[(r >> 2) & 3];
                    h.ivlen = ccmivs[(r >> 4) % 3];
                    if (h.ivlen == 13 && len > 65535)
                        h.ivlen = 12; /* L = 2 cannot count it */
                } else if (gcm && ((r >> 2) & 7) == 0) {
                    h.ivlen = (r >> 5) & 1 ? 16 : 8; /* non-12-byte IV: software */
                }
                plain = h;
                plain.chunks = plain.inplace = plain.dup = 0;
                plain.taglen = ccm ? h.taglen : 16;
                /* reference: the default provider, one update */
                assert_int_equal(aead(rc, 1, &plain, key, iv, aad, aadlen, pt, len, ref, rtag,
                                      &rng), 1);
                if (!aead(kc, 1, &h, key, iv, aad, aadlen, pt, len, ct, ktag, &rng))
                    fail_msg("%s: encrypt %zu+%zu failed (variant %d)", name, aadlen, len,
                             variant);
                if (memcmp(ct, ref, len) != 0 || memcmp(ktag, rtag, h.taglen) != 0)
                    fail_msg("%s encrypt %zu bytes, AAD %zu (chunks %d in-place %d dup %d "
                             "ivlen %zu taglen %zu) differs from the default provider",
                             name, len, aadlen, h.chunks, h.inplace, h.dup, h.ivlen, h.taglen);
                /* decrypt, with a truncated tag for GCM sometimes */
                if (gcm && ((r >> 6) & 1))
                    h.taglen = (r >> 7) & 1 ? 12 : 8;
                /* tag set first, then several updates (Python's cryptography does this) */
                if (!aead(kc, 0, &h, key, iv, aad, aadlen, ref, len, back, rtag, &rng)
                    || memcmp(back, pt, len) != 0)
                    fail_msg("%s decrypt %zu bytes, AAD %zu (chunks %d in-place %d dup %d "
                             "tag early %d taglen %zu) failed or differs",
                             name, len, aadlen, h.chunks, h.inplace, h.dup, h.tag_early,
                             h.taglen);
                /* tampered tag: must fail; an offloaded decrypt releases no plaintext */
                if (len >= 16 && variant == 0) {
                    uint64_t off0 = kactest_stat(t, name, "offload_ops");
                    int ok;

                    rtag[0] ^= 1;
                    memset(back, 0, len);
                    h.dup = 0;
                    ok = aead(kc, 0, &h, key, iv, aad, aadlen, ref, len, back, rtag, &rng);
                    if (ok)
                        fail_msg("%s: a tampered tag was accepted (len %zu)", name, len);
                    /*
                     * As the default provider: CCM releases nothing; streaming GCM and
                     * ChaCha20-Poly1305 release the update's output and fail at final.
                     */
                    (void)off0;
                    if (ccm && memcmp(back, pt, len) == 0)
                        fail_msg("%s: plaintext released on a tag mismatch", name);
                }
            }
        }
        free(pt);
        free(ct);
        free(ref);
        free(back);
    }
    EVP_CIPHER_free(kc);
    EVP_CIPHER_free(rc);
}

/* A tag mismatch on a single-update message with the tag set first: final fails. */
static void mismatch_single(struct kactest *t, const char *name)
{
    EVP_CIPHER *kc = EVP_CIPHER_fetch(t->ctx, name, "provider=kaccel");
    unsigned char key[32] = { 7 }, iv[16] = { 9 }, pt[4096], ct[4096], out[4096], tag[16];
    struct how h = { 0 };
    uint64_t rng = seed;
    EVP_CIPHER_CTX *x;
    int n = 0, upd, fin;

    if (is_ccm(name)) {
        EVP_CIPHER_free(kc);
        return; /* covered in differential (CCM verifies in its update) */
    }
    memset(pt, 0x5a, sizeof(pt));
    h.taglen = 16;
    assert_int_equal(aead(kc, 1, &h, key, iv, NULL, 0, pt, sizeof(pt), ct, tag, &rng), 1);
    tag[15] ^= 0x80;
    x = EVP_CIPHER_CTX_new();
    assert_int_equal(EVP_DecryptInit_ex2(x, kc, key, iv, NULL), 1);
    assert_int_equal(set_tag(x, tag, 16), 1);
    memset(out, 0, sizeof(out));
    upd = EVP_DecryptUpdate(x, out, &n, ct, (int)sizeof(ct));
    fin = upd ? EVP_DecryptFinal_ex(x, out + n, &n) : EVP_DecryptFinal_ex(x, out, &n);
    assert_int_equal(fin, 0); /* final never succeeds after a mismatch */
    if (!upd && memchr(out, 0x5a, sizeof(out)) != NULL
        && memcmp(out, pt, 64) == 0)
        fail_msg("%s: a failed update left plaintext in the output", name);
    ERR_clear_error();
    EVP_CIPHER_CTX_free(x);
    EVP_CIPHER_free(kc);
}

/* ---- TLS 1.2 records ------------------------------------------------------ */

static int tls_record(EVP_CIPHER_CTX *x, int enc, int gcm, uint64_t seq, unsigned char *buf,
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

static void tls12(struct kactest *t, const char *name)
{
    static const size_t plens[] = { 0, 1, 100, 1500, 1999, 2000, 4000, 16384 };
    EVP_CIPHER *kc = EVP_CIPHER_fetch(t->ctx, name, "provider=kaccel");
    EVP_CIPHER *rc = EVP_CIPHER_fetch(t->ref, name, NULL);
    int gcm = is_gcm(name), keylen = EVP_CIPHER_get_key_length(rc);
    unsigned char key[32], iv[12];
    uint64_t rng = seed ^ 0x1234;
    EVP_CIPHER_CTX *ke = EVP_CIPHER_CTX_new(), *re = EVP_CIPHER_CTX_new(),
                   *kd = EVP_CIPHER_CTX_new();
    size_t i, cap = 16384 + 64;
    unsigned char *a = malloc(cap), *b = malloc(cap), *pt = malloc(cap);

    assert_true(kc && rc && ke && re && kd && a && b && pt);
    kactest_rand(&rng, key, (size_t)keylen);
    kactest_rand(&rng, iv, sizeof(iv));
    assert_int_equal(EVP_CipherInit_ex2(ke, kc, key, NULL, 1, NULL), 1);
    assert_int_equal(EVP_CipherInit_ex2(re, rc, key, NULL, 1, NULL), 1);
    assert_int_equal(EVP_CipherInit_ex2(kd, kc, key, NULL, 0, NULL), 1);
    /* GCM: -1 sets the whole IV (fixed and invocation part) so both sides agree */
    assert_int_equal(EVP_CIPHER_CTX_ctrl(ke, EVP_CTRL_AEAD_SET_IV_FIXED, gcm ? -1 : 12, iv), 1);
    assert_int_equal(EVP_CIPHER_CTX_ctrl(re, EVP_CTRL_AEAD_SET_IV_FIXED, gcm ? -1 : 12, iv), 1);
    assert_int_equal(EVP_CIPHER_CTX_ctrl(kd, EVP_CTRL_AEAD_SET_IV_FIXED, gcm ? 4 : 12, iv), 1);
    for (i = 0; i < 2 * sizeof(plens) / sizeof(plens[0]); i++) {
        size_t plen = plens[i % (sizeof(plens) / sizeof(plens[0]))], off = gcm ? 8 : 0;
        int la = -1, lb = -2, ld = -3;
        unsigned char iva[12], ivb[12];

        kactest_rand(&rng, pt, plen);
        memcpy(a + off, pt, plen);
        memcpy(b + off, pt, plen);
        if (!tls_record(ke, 1, gcm, i, a, plen, &la) || !tls_record(re, 1, gcm, i, b, plen, &lb))
            fail_msg("%s: TLS record %zu (%zu bytes) encrypt failed", name, i, plen);
        if (la != lb || memcmp(a, b, (size_t)lb) != 0)
            fail_msg("%s: TLS record %zu (%zu bytes) differs from the default provider", name,
                     i, plen);
        if (gcm) {
            assert_int_equal(EVP_CIPHER_CTX_get_updated_iv(ke, iva, 12), 1);
            assert_int_equal(EVP_CIPHER_CTX_get_updated_iv(re, ivb, 12), 1);
            assert_memory_equal(iva, ivb, 12);
        }
        if (!tls_record(kd, 0, gcm, i, a, plen, &ld) || (size_t)ld != plen
            || memcmp(a + off, pt, plen) != 0)
            fail_msg("%s: TLS record %zu (%zu bytes) decrypt failed or differs", name, i, plen);
        if (plen >= 16) {
            /* tampered: fails and the payload holds no plaintext */
            memcpy(a + off, pt, plen);
            memcpy(b + off, pt, plen);
            assert_int_equal(tls_record(ke, 1, gcm, 1000 + i, a, plen, &la), 1);
            assert_int_equal(tls_record(re, 1, gcm, 1000 + i, b, plen, &lb), 1);
            assert_true(la == lb && memcmp(a, b, (size_t)la) == 0);
            a[lb - 1] ^= 1;
            if (tls_record(kd, 0, gcm, 1000 + i, a, plen, &ld))
                fail_msg("%s: tampered TLS record accepted", name);
            if (memcmp(a + off, pt, plen) == 0)
                fail_msg("%s: tampered TLS record left plaintext", name);
            ERR_clear_error();
        }
    }
    EVP_CIPHER_CTX_free(ke);
    EVP_CIPHER_CTX_free(re);
    EVP_CIPHER_CTX_free(kd);
    EVP_CIPHER_free(kc);
    EVP_CIPHER_free(rc);
    free(a);
    free(b);
    free(pt);
}

/* ---- parameters and bad input -------------------------------------------- */

static int same_names(const OSSL_PARAM *a, const OSSL_PARAM *b)
{
    size_t na = 0, nb = 0;
    const OSSL_PARAM *p;

    if (a == NULL || b == NULL)
        return a == b;
    for (p = a; p->key != NULL; p++, na++)
        if (OSSL_PARAM_locate_const(b, p->key) == NULL)
            return 0;
    for (p = b; p->key != NULL; p++)
        nb++;
    return na == nb;
}

static void params(struct kactest *t, const char *name)
{
    EVP_CIPHER *kc = EVP_CIPHER_fetch(t->ctx, name, "provider=kaccel");
    EVP_CIPHER *rc = EVP_CIPHER_fetch(t->ref, name, NULL);
    EVP_CIPHER_CTX *k = EVP_CIPHER_CTX_new(), *r = EVP_CIPHER_CTX_new();
    unsigned char key[32] = { 1 }, iv[16] = { 2 }, in[100] = { 3 }, o1[100], o2[100];
    unsigned char t1[16], t2[16];
    size_t v1, v2;
    int n;

    assert_true(kc && rc && k && r);
    assert_true(same_names(EVP_CIPHER_gettable_ctx_params(kc), EVP_CIPHER_gettable_ctx_params(rc)));
    assert_true(same_names(EVP_CIPHER_settable_ctx_params(kc), EVP_CIPHER_settable_ctx_params(rc)));
    assert_true(same_names(EVP_CIPHER_gettable_params(kc), EVP_CIPHER_gettable_params(rc)));
    assert_int_equal(EVP_CIPHER_get_mode(kc), EVP_CIPHER_get_mode(rc));
    assert_int_equal(EVP_CIPHER_get_flags(kc), EVP_CIPHER_get_flags(rc));
    assert_int_equal(EVP_CIPHER_get_block_size(kc), 1);
    assert_int_equal(EVP_CIPHER_get_iv_length(kc), EVP_CIPHER_get_iv_length(rc));
    assert_int_equal(EVP_CIPHER_get_key_length(kc), EVP_CIPHER_get_key_length(rc));
    /* a whole encrypt with per-context parameters read back */
    assert_int_equal(EVP_EncryptInit_ex2(k, kc, key, iv, NULL), 1);
    assert_int_equal(EVP_EncryptInit_ex2(r, rc, key, iv, NULL), 1);
    if (is_ccm(name)) {
        assert_int_equal(EVP_EncryptUpdate(k, o1, &n, in, sizeof(in)), 1);
        assert_int_equal(EVP_EncryptUpdate(r, o2, &n, in, sizeof(in)), 1);
    } else {
        assert_int_equal(EVP_EncryptUpdate(k, NULL, &n, in, 5), 1);
        assert_int_equal(EVP_EncryptUpdate(r, NULL, &n, in, 5), 1);
        assert_int_equal(EVP_EncryptUpdate(k, o1, &n, in, sizeof(in)), 1);
        assert_int_equal(EVP_EncryptUpdate(r, o2, &n, in, sizeof(in)), 1);
    }
    assert_memory_equal(o1, o2, sizeof(in));
    assert_int_equal(EVP_EncryptFinal_ex(k, o1, &n), 1);
    assert_int_equal(EVP_EncryptFinal_ex(r, o2, &n), 1);
    {
        OSSL_PARAM p1[] = { OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_AEAD_TAGLEN, &v1), OSSL_PARAM_END };
        OSSL_PARAM p2[] = { OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_AEAD_TAGLEN, &v2), OSSL_PARAM_END };

        assert_int_equal(EVP_CIPHER_CTX_get_params(k, p1), 1);
        assert_int_equal(EVP_CIPHER_CTX_get_params(r, p2), 1);
        assert_int_equal(v1, v2);
    }
    v1 = (size_t)EVP_CIPHER_CTX_get_tag_length(k);
    assert_int_equal(v1, (size_t)EVP_CIPHER_CTX_get_tag_length(r));
    if (v1 == 0)
        v1 = 16; /* ChaCha20-Poly1305 reports 0 until a tag length is set */
    if (!get_tag(k, t1, v1)) { ERR_print_errors_fp(stderr); fail_msg("%s: tag get failed (%zu)", name, v1); }
    assert_int_equal(get_tag(r, t2, v1), 1);
    assert_memory_equal(t1, t2, v1);
    if (!strstr(name, "ChaCha")) {
        assert_int_equal(EVP_CIPHER_CTX_get_updated_iv(k, t1, 16), 1);
        assert_int_equal(EVP_CIPHER_CTX_get_updated_iv(r, t2, 16), 1);
        assert_memory_equal(t1, t2, (size_t)EVP_CIPHER_CTX_get_iv_length(r));
        assert_int_equal(EVP_CIPHER_CTX_get_original_iv(k, t1, 16), 1);
        assert_int_equal(EVP_CIPHER_CTX_get_original_iv(r, t2, 16), 1);
        assert_memory_equal(t1, t2, (size_t)EVP_CIPHER_CTX_get_iv_length(r));
    }
    EVP_CIPHER_CTX_free(k);
    EVP_CIPHER_CTX_free(r);
    EVP_CIPHER_free(kc);
    EVP_CIPHER_free(rc);
}

static void bad_inputs(struct kactest *t)
{
    EVP_CIPHER *gcm = EVP_CIPHER_fetch(t->ctx, "AES-128-GCM", "provider=kaccel");
    EVP_CIPHER *ccm = EVP_CIPHER_fetch(t->ctx, "AES-128-CCM", "provider=kaccel");
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    unsigned char key[32] = { 0 }, iv[16] = { 0 }, buf[64] = { 0 }, out[96], tag[17] = { 0 };
    int n;

    assert_true(gcm && ccm && x);
    /* no key */
    assert_int_equal(EVP_EncryptInit_ex2(x, gcm, NULL, iv, NULL), 1);
    assert_int_equal(EVP_EncryptUpdate(x, out, &n, buf, 16), 0);
    ERR_clear_error();
    /* no IV to decrypt */
    EVP_CIPHER_CTX_free(x);
    x = EVP_CIPHER_CTX_new();
    assert_int_equal(EVP_DecryptInit_ex2(x, gcm, key, NULL, NULL), 1);
    assert_int_equal(EVP_DecryptUpdate(x, out, &n, buf, 16), 0); /* encrypt makes one up */
    ERR_clear_error();
    /* update after final */
    assert_int_equal(EVP_EncryptInit_ex2(x, gcm, key, iv, NULL), 1);
    assert_int_equal(EVP_EncryptUpdate(x, out, &n, buf, 16), 1);
    assert_int_equal(EVP_EncryptFinal_ex(x, out, &n), 1);
    assert_int_equal(EVP_EncryptUpdate(x, out, &n, buf, 16), 0);
    assert_int_not_equal(ERR_peek_error(), 0);
    ERR_clear_error();
    /* tag lengths: GCM 17 and CCM 5 are refused; setting a tag to encrypt GCM too */
    assert_int_equal(EVP_DecryptInit_ex2(x, gcm, key, iv, NULL), 1);
    assert_int_equal(set_tag(x, tag, 17), 0);
    ERR_clear_error();
    assert_int_equal(EVP_EncryptInit_ex2(x, gcm, key, iv, NULL), 1);
    assert_int_equal(set_tag(x, tag, 16), 0);
    ERR_clear_error();
    assert_int_equal(EVP_EncryptInit_ex2(x, ccm, NULL, NULL, NULL), 1);
    assert_int_equal(set_tag(x, NULL, 5), 0);
    ERR_clear_error();
    /* CCM: nonce lengths outside 7..13 */
    assert_int_equal(set_size(x, OSSL_CIPHER_PARAM_AEAD_IVLEN, 14), 0);
    ERR_clear_error();
    assert_int_equal(set_size(x, OSSL_CIPHER_PARAM_AEAD_IVLEN, 6), 0);
    ERR_clear_error();
    /* CCM: decrypt without a tag */
    assert_int_equal(EVP_DecryptInit_ex2(x, ccm, key, iv, NULL), 1);
    assert_int_equal(EVP_DecryptUpdate(x, out, &n, buf, 16), 0);
    ERR_clear_error();
    /* wrong key length */
    {
        size_t kl = 17;
        OSSL_PARAM p[] = { OSSL_PARAM_size_t("keylen", &kl), OSSL_PARAM_END };

        EVP_CIPHER_CTX_free(x);
        x = EVP_CIPHER_CTX_new();
        assert_int_equal(EVP_EncryptInit_ex2(x, gcm, key, iv, NULL), 1);
        (void)EVP_CIPHER_CTX_set_params(x, p); /* ignored or refused, never applied */
        ERR_clear_error();
        assert_int_equal(EVP_CIPHER_CTX_get_key_length(x), 16);
    }
    EVP_CIPHER_CTX_free(x);
    EVP_CIPHER_free(gcm);
    EVP_CIPHER_free(ccm);
}

/* ---- scenarios ------------------------------------------------------------ */

static void scenario(const char *const *lines, int expect_offload, const char *what)
{
    struct kactest t;
    uint64_t before[NAEADS];
    size_t i;

    kactest_open(&t, lines);
    for (i = 0; i < NAEADS; i++)
        before[i] = kactest_stat(&t, aeads[i], "offload_ops");
    run_kats(&t);
    for (i = 0; i < NAEADS; i++) {
        differential(&t, aeads[i]);
        mismatch_single(&t, aeads[i]);
        params(&t, aeads[i]);
    }
    tls12(&t, "AES-128-GCM");
    tls12(&t, "AES-256-GCM");
    tls12(&t, "ChaCha20-Poly1305");
    bad_inputs(&t);
    for (i = 0; i < NAEADS; i++) {
        uint64_t off = kactest_stat(&t, aeads[i], "offload_ops") - before[i];
        const char *drv = kactest_route(&t, aeads[i]);

        printf("# %-8s %-18s driver %-28s offloaded ops %llu\n", what, aeads[i],
               drv ? drv : "-", (unsigned long long)off);
        if (expect_offload && drv != NULL && off == 0)
            fail_msg("%s: routed to %s but nothing was offloaded", aeads[i], drv);
        if (!expect_offload && off != 0)
            fail_msg("%s: offloaded although routing says software", aeads[i]);
    }
    kactest_close(&t);
}

static void test_software_only(void **state)
{
    static const char *const l[] = { "kaccel-algorithms = all", "kaccel-backends = none", NULL };

    (void)state;
    scenario(l, 0, "software");
}

static void test_offload_only(void **state)
{
    static const char *const l[] = { "kaccel-algorithms = all", "kaccel-afalg-drivers = any",
                                     "kaccel-min-offload = 0", NULL };

    (void)state;
    scenario(l, 1, "offload");
}

static void test_threshold(void **state)
{
    static const char *const l[] = { "kaccel-algorithms = all", "kaccel-afalg-drivers = any",
                                     "kaccel-min-offload = 2000", NULL };

    (void)state;
    scenario(l, 1, "mixed");
}

/* In the guest every AEAD the kernel offers must have a route. */
static void test_routes(void **state)
{
    static const char *const any[] = { "kaccel-algorithms = all", "kaccel-afalg-drivers = any",
                                       NULL };
    struct kactest t;
    size_t i;

    (void)state;
    if (!have_afalg)
        skip();
    kactest_open(&t, any);
    for (i = 0; i < NAEADS; i++)
        if (kactest_route(&t, aeads[i]) == NULL)
            fprintf(stderr, "# %s: no route in this kernel\n", aeads[i]);
    if (kactest_route(&t, "AES-128-GCM") == NULL)
        fail_msg("AES-128-GCM: the guest kernel offers gcm(aes) but kaccel has no route");
    kactest_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_software_only),
        cmocka_unit_test(test_offload_only),
        cmocka_unit_test(test_threshold),
        cmocka_unit_test(test_routes),
    };

    seed = kactest_seed();
    have_afalg = kac_afalg_available();
    if (!have_afalg && getenv("KACCEL_REQUIRE_AFALG")
        && !strcmp(getenv("KACCEL_REQUIRE_AFALG"), "1"))
        kac_test_need_afalg("test_aead"); /* fails */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
