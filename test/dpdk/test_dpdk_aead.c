/*
 * AES-GCM, AES-CCM and ChaCha20-Poly1305 through kaccel's DPDK backend on a
 * software PMD (KACTEST_DPDK_DEVICE: crypto_aesni_mb0, crypto_openssl0...),
 * every result checked against OpenSSL's default provider:
 *  - published known answers (McGrew-Viega GCM, RFC 3610 and SP 800-38C CCM,
 *    RFC 8439 ChaCha20-Poly1305), encrypt and decrypt;
 *  - differential over random keys, nonces, AAD and sizes (1 byte to past
 *    KAC_DPDK_MAX_OP), random update chunking, in place and out of place,
 *    nonce and tag lengths the device may or may not take, with every message
 *    offloaded (kaccel-min-offload = 0) and across a 2048-byte threshold;
 *  - tampered tag, ciphertext or AAD: the same failure as the default
 *    provider (CCM: the update fails and releases no plaintext; streaming
 *    GCM/ChaCha20-Poly1305: the update output is OpenSSL's and final fails);
 *  - one context reused across keys, directions and parameters (its DPDK
 *    session remade when they change), and dupctx;
 *  - TLS 1.2 records (tlsaad, explicit nonce), tampered records;
 *  - 64 OpenSSL ASYNC jobs of mixed AEADs and sizes driven through their wait
 *    fds;
 *  - faults (KACCEL_FAULT, read once per process, and a process that
 *    inherited an EAL through fork never uses it: each case runs in a fresh
 *    exec of this program): failing op status, full queue pair, op
 *    allocation failure, session refusal (asked once per key and parameters)
 *    still give the default provider's bytes through software, and an
 *    injected authentication failure on decrypt fails cleanly.
 * The device decides which algorithms it offers (kaccel-routes names it as
 * "dpdk:<device>"); for those the work must really have gone through DPDK.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/async.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include <kaccel/kaccel.h>

#include "kactest.h"

#define MAXLEN 40000   /* past KAC_DPDK_MAX_OP (32 KiB): those messages are software */
#define NJOBS 64
#define CHILD_ENV "KACTEST_DPDK_AEAD_CASE"

static const char *const aeads[] = {
    "AES-128-GCM", "AES-192-GCM", "AES-256-GCM", "AES-128-CCM",
    "AES-192-CCM", "AES-256-CCM", "ChaCha20-Poly1305",
};
#define NAEADS (sizeof(aeads) / sizeof(aeads[0]))

static const size_t sizes[] = { 1,    2,    15,    16,    17,    64,    255,   256,  1000, 2047,
                                2048, 2049, 4096,  8191,  16384, 32767, 32768, 32769, MAXLEN };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))
static const size_t aadsizes[] = { 0, 1, 13, 13, 20, 46, 47, 100, 256, 257, 600 };
#define NAADSIZES (sizeof(aadsizes) / sizeof(aadsizes[0]))

static uint64_t seed;
static char want_route[160]; /* "dpdk:<device>" */

static int is_ccm(const char *n) { return strstr(n, "CCM") != NULL; }
static int is_gcm(const char *n) { return strstr(n, "GCM") != NULL; }

static size_t rnd(uint64_t *rng, size_t mod)
{
    unsigned char b[4];

    kactest_rand(rng, b, sizeof(b));
    return ((size_t)b[0] << 24 | (size_t)b[1] << 16 | (size_t)b[2] << 8 | b[3]) % mod;
}

/* kaccel routed to DPDK, everything offloadable (threshold line), every algorithm registered. */
static const char *const *dpdk_cnf(const char *threshold)
{
    const char *extra[] = { "kaccel-algorithms = all", threshold, NULL };

    return kactest_dpdk_lines(extra);
}

/* 1 when alg runs on the test's DPDK device (the EAL must be up: after an offload). */
static int on_dpdk(struct kactest *t, const char *alg)
{
    const char *r = kactest_route(t, alg);

    return r != NULL && strcmp(r, want_route) == 0;
}

/* Brings the EAL up through one offloadable message, so routes name the device. */
static void warm_up(struct kactest *t)
{
    EVP_CIPHER *c = EVP_CIPHER_fetch(t->ctx, "AES-128-GCM", "provider=kaccel");
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    static unsigned char buf[8192], key[16], iv[12];
    int n;

    assert_true(c != NULL && x != NULL);
    assert_int_equal(EVP_EncryptInit_ex2(x, c, key, iv, NULL), 1);
    assert_int_equal(EVP_EncryptUpdate(x, buf, &n, buf, (int)sizeof(buf)), 1);
    assert_int_equal(EVP_EncryptFinal_ex(x, buf, &n), 1);
    EVP_CIPHER_CTX_free(x);
    EVP_CIPHER_free(c);
}

/* ---- one message, many ways ---------------------------------------------- */

struct how {
    int chunks;    /* data in random chunks, AAD in two pieces (not CCM) */
    int inplace;
    int tag_early; /* decrypt: tag set before the data (CCM always) */
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

enum { MSG_OK, MSG_UPDATE_FAILED, MSG_FINAL_FAILED, MSG_SETUP_FAILED };

/*
 * Encrypts (tag out) or decrypts (tag in) one message; chunking comes from
 * rng (by value: the same for kaccel and the reference).  out needs len + 16
 * bytes.  Returns MSG_*; last_error tells whether a failure queued an error.
 */
static int last_error;

static int aead_msg(EVP_CIPHER *c, int enc, const struct how *h, const unsigned char *key,
                    const unsigned char *iv, const unsigned char *aad, size_t aadlen,
                    const unsigned char *in, size_t len, unsigned char *out, unsigned char *tag,
                    uint64_t rng)
{
    const char *name = EVP_CIPHER_get0_name(c);
    int ccm = is_ccm(name), n = 0, rc = MSG_SETUP_FAILED;
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    const unsigned char *src = in;
    size_t off = 0;

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
    rc = MSG_UPDATE_FAILED;
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
    while (off < len) {
        size_t chunk = len - off;

        if (h->chunks && !ccm) {
            chunk = rnd(&rng, len / 2 + 2) + 1;
            if (chunk > len - off)
                chunk = len - off;
        }
        if (!EVP_CipherUpdate(x, out + off, &n, src + off, (int)chunk) || (size_t)n != chunk)
            goto done;
        off += chunk;
    }
    if (ccm && len == 0 && !EVP_CipherUpdate(x, out, &n, src, 0))
        goto done;
    if (!enc && !ccm && !h->tag_early && !set_tag(x, tag, h->taglen)) {
        rc = MSG_SETUP_FAILED;
        goto done;
    }
    rc = MSG_FINAL_FAILED;
    if (!EVP_CipherFinal_ex(x, out + len, &n) || n != 0)
        goto done;
    if (enc && !get_tag(x, tag, h->taglen))
        goto done;
    rc = MSG_OK;
done:
    last_error = ERR_peek_error() != 0;
    EVP_CIPHER_CTX_free(x);
    ERR_clear_error();
    return rc;
}

/* ---- known answers ------------------------------------------------------- */

struct kat {
    const char *cipher, *key, *iv, *aad, *pt, *ct, *tag;
};

static const struct kat kats[] = {
    /* McGrew-Viega GCM test cases 2, 3, 4, 8, 11, 14, 16 */
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
    { "AES-256-GCM", "0000000000000000000000000000000000000000000000000000000000000000",
      "000000000000000000000000", "", "00000000000000000000000000000000",
      "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919" },
    { "AES-256-GCM", "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
      "cafebabefacedbaddecaf888", "feedfacedeadbeeffeedfacedeadbeefabaddad2",
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
      "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
      "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
      "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
      "76fc6ece0f4e1768cddf8853bb2d551b" },
    /* RFC 3610 packet vectors #1 and #2 (13-byte nonce, M = 8) */
    { "AES-128-CCM", "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf", "00000003020100a0a1a2a3a4a5",
      "0001020304050607", "08090a0b0c0d0e0f101112131415161718191a1b1c1d1e",
      "588c979a61c663d2f066d0c2c0f989806d5f6b61dac384", "17e8d12cfdf926e0" },
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
        int v;

        assert_non_null(c);
        kactest_unhex(kats[i].key, key);
        kactest_unhex(kats[i].ct, ct);
        h.taglen = taglen;
        if (ivlen != (size_t)EVP_CIPHER_get_iv_length(c) || is_ccm(kats[i].cipher))
            h.ivlen = ivlen;
        for (v = 0; v < 4; v++) {
            h.tag_early = 1;
            h.inplace = v & 1;
            h.chunks = (v >> 1) & 1;
            if (aead_msg(c, 1, &h, key, iv, aad, aadlen, pt, len, out, otag, seed) != MSG_OK)
                fail_msg("%s: known answer %zu: encrypt failed", kats[i].cipher, i);
            if (memcmp(out, ct, len) != 0 || memcmp(otag, tag, taglen) != 0)
                fail_msg("%s: known answer %zu mismatch (encrypt)", kats[i].cipher, i);
            memcpy(otag, tag, taglen);
            if (aead_msg(c, 0, &h, key, iv, aad, aadlen, ct, len, out, otag, seed) != MSG_OK
                || memcmp(out, pt, len) != 0)
                fail_msg("%s: known answer %zu mismatch (decrypt)", kats[i].cipher, i);
        }
        EVP_CIPHER_free(c);
    }
}

/* ---- differential -------------------------------------------------------- */

/*
 * Decrypts a tampered message (tag, ciphertext or AAD) with kaccel and the
 * default provider the same way: both must fail the same way with the same
 * output; an update that fails (CCM) releases no plaintext.
 */
static void tampered(EVP_CIPHER *kc, EVP_CIPHER *rc, const struct how *h, const unsigned char *key,
                     const unsigned char *iv, const unsigned char *aad, size_t aadlen,
                     const unsigned char *ct, const unsigned char *pt, size_t len,
                     const unsigned char *tag, uint64_t *rng)
{
    const char *name = EVP_CIPHER_get0_name(kc);
    unsigned char *c2 = malloc(len + 16), *ko = malloc(len + 16), *ro = malloc(len + 16);
    unsigned char a2[600], t2[16];
    size_t what = rnd(rng, 3);
    uint64_t chunking = *rng;
    int k, r;

    assert_true(c2 && ko && ro);
    memcpy(c2, ct, len);
    memcpy(a2, aad, aadlen);
    memcpy(t2, tag, h->taglen);
    if (what == 1 && len == 0)
        what = 0;
    if (what == 2 && aadlen == 0)
        what = 0;
    switch (what) {
    case 0: t2[rnd(rng, h->taglen)] ^= 0x20; break;
    case 1: c2[rnd(rng, len)] ^= 0x01; break;
    default: a2[rnd(rng, aadlen)] ^= 0x80; break;
    }
    memset(ko, 0xa5, len + 16);
    memset(ro, 0xa5, len + 16);
    k = aead_msg(kc, 0, h, key, iv, a2, aadlen, c2, len, ko, t2, chunking);
    r = aead_msg(rc, 0, h, key, iv, a2, aadlen, c2, len, ro, t2, chunking);
    if (k == MSG_OK || r == MSG_OK)
        fail_msg("%s: tampered %s (%zu bytes, AAD %zu) accepted (kaccel %d, default %d)", name,
                 what == 0 ? "tag" : what == 1 ? "ciphertext" : "AAD", len, aadlen, k, r);
    if (k != r || memcmp(ko, ro, len) != 0)
        fail_msg("%s: tampered %s (%zu bytes, AAD %zu, chunks %d in-place %d tag early %d): "
                 "kaccel fails at %d, default at %d, outputs %s", name,
                 what == 0 ? "tag" : what == 1 ? "ciphertext" : "AAD", len, aadlen, h->chunks,
                 h->inplace, h->tag_early, k, r, memcmp(ko, ro, len) ? "differ" : "equal");
    if (k == MSG_UPDATE_FAILED && len >= 8 && memcmp(ko, pt, len) == 0)
        fail_msg("%s: a failed update released the plaintext", name);
    free(c2);
    free(ko);
    free(ro);
}

/*
 * Random messages of every size in sizes[] (and random ones) for one
 * algorithm, each encrypted, decrypted and tampered with; quick: fewer.
 */
static void differential(struct kactest *t, const char *name, int quick)
{
    EVP_CIPHER *kc = EVP_CIPHER_fetch(t->ctx, name, "provider=kaccel");
    EVP_CIPHER *rc = EVP_CIPHER_fetch(t->ref, name, NULL);
    uint64_t rng = seed ^ (uint64_t)strlen(name) * 0x9e3779b97f4a7c15ULL ^ (uint64_t)name[4];
    size_t si, keylen, nmsg = quick ? NSIZES : NSIZES + 12;
    int ccm = is_ccm(name), gcm = is_gcm(name);

    if (kc == NULL)
        fail_msg("%s not offered by kaccel (kaccel-algorithms = all)", name);
    assert_non_null(rc);
    keylen = (size_t)EVP_CIPHER_get_key_length(rc);
    for (si = 0; si < nmsg; si++) {
        size_t len = si < NSIZES ? sizes[si] : rnd(&rng, MAXLEN) + 1;
        unsigned char *pt = malloc(len + 16), *ct = malloc(len + 16), *ref = malloc(len + 16),
                      *back = malloc(len + 16);
        int variant;

        assert_true(pt && ct && ref && back);
        for (variant = 0; variant < 4; variant++) {
            size_t aadlen = aadsizes[rnd(&rng, NAADSIZES)];
            unsigned char key[32], iv[64], aad[600], rtag[16], ktag[16], r[2];
            struct how h = { 0 }, plain;
            int k;

            if (quick && (variant & 1))
                continue;
            kactest_rand(&rng, key, keylen);
            kactest_rand(&rng, iv, sizeof(iv));
            kactest_rand(&rng, aad, aadlen);
            kactest_rand(&rng, pt, len);
            kactest_rand(&rng, r, sizeof(r));
            h.chunks = variant & 1;
            h.inplace = (variant >> 1) & 1;
            h.tag_early = (r[0] & 3) != 0; /* mostly: a decrypt is offloaded only so */
            h.taglen = 16;
            if (ccm) {
                static const size_t ccmtags[] = { 4, 6, 8, 10, 12, 14, 16, 16 };
                static const size_t ccmivs[] = { 0, 7, 8, 9, 10, 11, 12, 13 };

                h.taglen = ccmtags[(r[0] >> 2) & 7];
                h.ivlen = ccmivs[r[1] % 8];
            } else if (gcm && ((r[0] >> 2) & 7) == 0) {
                static const size_t gcmivs[] = { 1, 8, 16, 60 }; /* not 12: software */

                h.ivlen = gcmivs[(r[0] >> 5) & 3];
            }
            plain = h;
            plain.chunks = plain.inplace = 0;
            /* reference: the default provider, one update */
            k = aead_msg(rc, 1, &plain, key, iv, aad, aadlen, pt, len, ref, rtag, rng);
            assert_int_equal(k, MSG_OK);
            k = aead_msg(kc, 1, &h, key, iv, aad, aadlen, pt, len, ct, ktag, rng);
            if (k != MSG_OK)
                fail_msg("%s: encrypt %zu+%zu failed (%d; variant %d)", name, aadlen, len, k,
                         variant);
            if (memcmp(ct, ref, len) != 0 || memcmp(ktag, rtag, h.taglen) != 0)
                fail_msg("%s encrypt %zu bytes, AAD %zu (chunks %d in-place %d ivlen %zu "
                         "taglen %zu) differs from the default provider",
                         name, len, aadlen, h.chunks, h.inplace, h.ivlen, h.taglen);
            /* decrypt, a truncated tag sometimes (GCM: the device decides; ChaCha: software) */
            if (!ccm && (r[1] >> 4) == 0)
                h.taglen = gcm && ((r[1] >> 3) & 1) == 0 ? 4 : 12;
            else if (gcm && (r[1] >> 4) == 1)
                h.taglen = 8 + (r[1] & 7); /* 8..15 */
            k = aead_msg(kc, 0, &h, key, iv, aad, aadlen, ref, len, back, rtag, rng);
            if (k != MSG_OK || memcmp(back, pt, len) != 0)
                fail_msg("%s decrypt %zu bytes, AAD %zu (chunks %d in-place %d tag early %d "
                         "ivlen %zu taglen %zu) failed (%d) or differs", name, len, aadlen,
                         h.chunks, h.inplace, h.tag_early, h.ivlen, h.taglen, k);
            tampered(kc, rc, &h, key, iv, aad, aadlen, ref, pt, len, rtag, &rng);
        }
        free(pt);
        free(ct);
        free(ref);
        free(back);
    }
    EVP_CIPHER_free(kc);
    EVP_CIPHER_free(rc);
}

/* ---- one context, many messages ----------------------------------------- */

/*
 * One message on a context already in use (key given only when set anew).
 * Returns MSG_*; out and tag as aead_msg.
 */
static int reuse_msg(EVP_CIPHER_CTX *x, int ccm, int enc, const unsigned char *key,
                     const unsigned char *iv, size_t ivlen, size_t taglen,
                     const unsigned char *aad, size_t aadlen, const unsigned char *in, size_t len,
                     unsigned char *out, unsigned char *tag)
{
    int n, rc = MSG_SETUP_FAILED;

    if (!EVP_CipherInit_ex2(x, NULL, NULL, NULL, enc, NULL)
        || !set_size(x, OSSL_CIPHER_PARAM_AEAD_IVLEN, ivlen)
        || (ccm && !set_tag(x, enc ? NULL : tag, taglen))
        || !EVP_CipherInit_ex2(x, NULL, key, iv, enc, NULL)
        || (!enc && !ccm && !set_tag(x, tag, taglen)))
        goto done;
    rc = MSG_UPDATE_FAILED;
    if ((ccm && !EVP_CipherUpdate(x, NULL, &n, NULL, (int)len))
        || (aadlen > 0 && !EVP_CipherUpdate(x, NULL, &n, aad, (int)aadlen))
        || !EVP_CipherUpdate(x, out, &n, in, (int)len) || (size_t)n != len)
        goto done;
    rc = MSG_FINAL_FAILED;
    if (!EVP_CipherFinal_ex(x, out + len, &n) || (enc && !get_tag(x, tag, taglen)))
        goto done;
    rc = MSG_OK;
done:
    ERR_clear_error();
    return rc;
}

/*
 * One kaccel context and one default-provider context, in lockstep, encrypt
 * and decrypt a series of messages whose key, direction, nonce length (CCM),
 * tag length (CCM) and AAD length change now and then: kaccel's DPDK session
 * must follow.  OpenSSL's CCM keeps the M and L it had when the key was set,
 * so a change without setting the key gives OpenSSL's own (unusual) results,
 * which kaccel must give too.  Halfway, both contexts are duplicated and the
 * copies continue (dupctx: a copy makes its own session).
 */
static void one_context(struct kactest *t, const char *name)
{
    EVP_CIPHER *kc = EVP_CIPHER_fetch(t->ctx, name, "provider=kaccel");
    EVP_CIPHER *rc = EVP_CIPHER_fetch(t->ref, name, NULL);
    EVP_CIPHER_CTX *kx = EVP_CIPHER_CTX_new(), *rx = EVP_CIPHER_CTX_new();
    uint64_t rng = seed ^ 0x5151 ^ (uint64_t)name[8];
    size_t keylen = (size_t)EVP_CIPHER_get_key_length(rc), i, ivlen = 12;
    static const size_t aads[] = { 0, 13, 13, 13, 20, 46, 256, 300 };
    unsigned char key[32], iv[16], aad[300], ktag[16], rtag[16], ctag[16];
    unsigned char *pt = malloc(8192), *ko = malloc(8192 + 16), *ro = malloc(8192 + 16),
                  *ct = malloc(8192 + 16);
    int ccm = is_ccm(name), k, r;
    size_t taglen = ccm ? 12 : 16;

    assert_true(kc && rc && kx && rx && pt && ko && ro && ct);
    kactest_rand(&rng, key, keylen);
    assert_int_equal(EVP_CipherInit_ex2(kx, kc, key, NULL, 1, NULL), 1);
    assert_int_equal(EVP_CipherInit_ex2(rx, rc, key, NULL, 1, NULL), 1);
    for (i = 0; i < 80; i++) {
        size_t len = rnd(&rng, 8192) + 1, aadlen = aads[rnd(&rng, 8)];
        int enc = (int)rnd(&rng, 2), newkey = rnd(&rng, 8) == 0, setkey = newkey;
        struct how h = { 0 };

        if (ccm && rnd(&rng, 3) == 0) {
            ivlen = 7 + rnd(&rng, 7);
            taglen = 4 + 2 * rnd(&rng, 7);
            setkey |= (int)rnd(&rng, 2); /* the same key again: M and L taken */
        }
        if (newkey)
            kactest_rand(&rng, key, keylen);
        kactest_rand(&rng, iv, sizeof(iv));
        kactest_rand(&rng, aad, aadlen);
        kactest_rand(&rng, pt, len);
        h.ivlen = ivlen;
        h.taglen = taglen;
        /* a genuine ciphertext and tag for the decrypts */
        assert_int_equal(aead_msg(rc, 1, &h, key, iv, aad, aadlen, pt, len, ct, ctag, 0),
                         MSG_OK);
        if (i == 40) {
            EVP_CIPHER_CTX *k2 = EVP_CIPHER_CTX_new(), *r2 = EVP_CIPHER_CTX_new();

            assert_true(k2 && r2 && EVP_CIPHER_CTX_copy(k2, kx) && EVP_CIPHER_CTX_copy(r2, rx));
            EVP_CIPHER_CTX_free(kx);
            EVP_CIPHER_CTX_free(rx);
            kx = k2;
            rx = r2;
        }
        memcpy(ktag, ctag, 16);
        memcpy(rtag, ctag, 16);
        k = reuse_msg(kx, ccm, enc, setkey ? key : NULL, iv, ivlen, taglen, aad, aadlen,
                      enc ? pt : ct, len, ko, ktag);
        r = reuse_msg(rx, ccm, enc, setkey ? key : NULL, iv, ivlen, taglen, aad, aadlen,
                      enc ? pt : ct, len, ro, rtag);
        if (k != r || (r == MSG_OK && (memcmp(ko, ro, len) != 0
                                       || (enc && memcmp(ktag, rtag, taglen) != 0))))
            fail_msg("%s: message %zu (%s %zu bytes, AAD %zu, nonce %zu, tag %zu%s): kaccel %d, "
                     "default %d%s", name, i, enc ? "encrypt" : "decrypt", len, aadlen, ivlen,
                     taglen, setkey ? ", key set" : "", k, r,
                     k == r ? ", outputs differ" : "");
    }
    EVP_CIPHER_CTX_free(kx);
    EVP_CIPHER_CTX_free(rx);
    EVP_CIPHER_free(kc);
    EVP_CIPHER_free(rc);
    free(pt);
    free(ko);
    free(ro);
    free(ct);
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

static void tls12(struct kactest *t, const char *name, int tamper)
{
    static const size_t plens[] = { 0, 1, 100, 1500, 2047, 2048, 4000, 16384, 16385 };
    EVP_CIPHER *kc = EVP_CIPHER_fetch(t->ctx, name, "provider=kaccel");
    EVP_CIPHER *rc = EVP_CIPHER_fetch(t->ref, name, NULL);
    int gcm = is_gcm(name), keylen = EVP_CIPHER_get_key_length(rc);
    unsigned char key[32], iv[12];
    uint64_t rng = seed ^ 0x1234;
    EVP_CIPHER_CTX *ke = EVP_CIPHER_CTX_new(), *re = EVP_CIPHER_CTX_new(),
                   *kd = EVP_CIPHER_CTX_new(), *rd = EVP_CIPHER_CTX_new();
    size_t i, cap = 16385 + 64;
    unsigned char *a = malloc(cap), *b = malloc(cap), *pt = malloc(cap);

    assert_true(kc && rc && ke && re && kd && rd && a && b && pt);
    kactest_rand(&rng, key, (size_t)keylen);
    kactest_rand(&rng, iv, sizeof(iv));
    assert_int_equal(EVP_CipherInit_ex2(ke, kc, key, NULL, 1, NULL), 1);
    assert_int_equal(EVP_CipherInit_ex2(re, rc, key, NULL, 1, NULL), 1);
    assert_int_equal(EVP_CipherInit_ex2(kd, kc, key, NULL, 0, NULL), 1);
    assert_int_equal(EVP_CipherInit_ex2(rd, rc, key, NULL, 0, NULL), 1);
    /* GCM: -1 sets the whole IV (fixed and invocation part) so both sides agree */
    assert_int_equal(EVP_CIPHER_CTX_ctrl(ke, EVP_CTRL_AEAD_SET_IV_FIXED, gcm ? -1 : 12, iv), 1);
    assert_int_equal(EVP_CIPHER_CTX_ctrl(re, EVP_CTRL_AEAD_SET_IV_FIXED, gcm ? -1 : 12, iv), 1);
    assert_int_equal(EVP_CIPHER_CTX_ctrl(kd, EVP_CTRL_AEAD_SET_IV_FIXED, gcm ? 4 : 12, iv), 1);
    assert_int_equal(EVP_CIPHER_CTX_ctrl(rd, EVP_CTRL_AEAD_SET_IV_FIXED, gcm ? 4 : 12, iv), 1);
    for (i = 0; i < 3 * sizeof(plens) / sizeof(plens[0]); i++) {
        size_t plen = plens[i % (sizeof(plens) / sizeof(plens[0]))], off = gcm ? 8 : 0;
        int la = -1, lb = -2, ld = -3, okk, okr;
        unsigned char iva[12], ivb[12];

        if (i >= 2 * sizeof(plens) / sizeof(plens[0]))
            plen = rnd(&rng, 16385);
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
        if (tamper && plen >= 1) {
            /* tampered: fails as the default provider's, and the payload holds no plaintext */
            memcpy(a + off, pt, plen);
            memcpy(b + off, pt, plen);
            assert_int_equal(tls_record(ke, 1, gcm, 1000 + i, a, plen, &la), 1);
            assert_int_equal(tls_record(re, 1, gcm, 1000 + i, b, plen, &lb), 1);
            assert_true(la == lb && memcmp(a, b, (size_t)la) == 0);
            a[rnd(&rng, (size_t)la)] ^= 4;
            memcpy(b, a, (size_t)la);
            okk = tls_record(kd, 0, gcm, 1000 + i, a, plen, &ld);
            okr = tls_record(rd, 0, gcm, 1000 + i, b, plen, &lb);
            ERR_clear_error();
            if (okk || okr)
                fail_msg("%s: tampered TLS record %zu accepted (kaccel %d, default %d)", name, i,
                         okk, okr);
            if (plen >= 8 && memcmp(a + off, pt, plen) == 0)
                fail_msg("%s: tampered TLS record left plaintext", name);
        }
    }
    EVP_CIPHER_CTX_free(ke);
    EVP_CIPHER_CTX_free(re);
    EVP_CIPHER_CTX_free(kd);
    EVP_CIPHER_CTX_free(rd);
    EVP_CIPHER_free(kc);
    EVP_CIPHER_free(rc);
    free(a);
    free(b);
    free(pt);
}

/* ---- scenarios ------------------------------------------------------------ */

static void snapshot(struct kactest *t, const char *counter, uint64_t v[NAEADS])
{
    size_t i;

    for (i = 0; i < NAEADS; i++)
        v[i] = kactest_stat(t, aeads[i], counter);
}

/* Every algorithm the device offers went through DPDK; the rest did not. */
static void check_dpdk_ops(struct kactest *t, const uint64_t before[NAEADS], const char *what)
{
    size_t i, routed = 0;

    for (i = 0; i < NAEADS; i++) {
        uint64_t d = kactest_stat(t, aeads[i], "dpdk_ops") - before[i];
        int on = on_dpdk(t, aeads[i]);

        printf("# %-10s %-18s %-24s dpdk_ops +%llu\n", what, aeads[i],
               on ? want_route : "software", (unsigned long long)d);
        if (on && d == 0)
            fail_msg("%s: %s is routed to %s but nothing went through DPDK", what, aeads[i],
                     want_route);
        if (!on && d != 0)
            fail_msg("%s: %s went through DPDK though the device does not offer it", what,
                     aeads[i]);
        routed += (size_t)on;
    }
    if (routed == 0)
        fail_msg("%s: %s offers none of the AEADs", what, kactest_dpdk_device());
}

static void scenario(const char *threshold, const char *what)
{
    struct kactest t;
    uint64_t before[NAEADS];
    size_t i;

    kactest_open(&t, dpdk_cnf(threshold));
    warm_up(&t);
    snapshot(&t, "dpdk_ops", before);
    run_kats(&t);
    for (i = 0; i < NAEADS; i++) {
        differential(&t, aeads[i], 0);
        one_context(&t, aeads[i]);
    }
    check_dpdk_ops(&t, before, what);
    if (strstr(threshold, "2048") != NULL)
        for (i = 0; i < NAEADS; i++)
            if (on_dpdk(&t, aeads[i]) && kactest_stat(&t, aeads[i], "sw_small") == 0)
                fail_msg("%s: %s never stayed below the threshold", what, aeads[i]);
    for (i = 0; i < NAEADS; i++)
        if (kactest_stat(&t, aeads[i], "errors") != 0)
            fail_msg("%s: %s counted %llu backend errors without faults", what, aeads[i],
                     (unsigned long long)kactest_stat(&t, aeads[i], "errors"));
    kactest_close(&t);
}

static void test_every_message(void **state)
{
    (void)state;
    scenario("kaccel-min-offload = 0", "all");
}

static void test_threshold(void **state)
{
    (void)state;
    scenario("kaccel-min-offload = 2048", "threshold");
}

static void test_tls12(void **state)
{
    static const char *const tls_algs[] = { "AES-128-GCM", "AES-256-GCM", "ChaCha20-Poly1305" };
    struct kactest t;
    uint64_t before[NAEADS];
    size_t i, j;

    (void)state;
    kactest_open(&t, dpdk_cnf("kaccel-min-offload = 1024"));
    warm_up(&t);
    snapshot(&t, "dpdk_ops", before);
    for (i = 0; i < 3; i++) {
        tls12(&t, tls_algs[i], 1);
        for (j = 0; j < NAEADS; j++)
            if (strcmp(aeads[j], tls_algs[i]) == 0) {
                uint64_t d = kactest_stat(&t, aeads[j], "dpdk_ops") - before[j];

                printf("# tls %-18s %s dpdk_ops +%llu\n", aeads[j],
                       on_dpdk(&t, aeads[j]) ? want_route : "software", (unsigned long long)d);
                if (on_dpdk(&t, aeads[j]) && d == 0)
                    fail_msg("tls: %s records did not go through DPDK", aeads[j]);
            }
    }
    kactest_close(&t);
}

/* ---- ASYNC jobs ----------------------------------------------------------- */

struct work {
    EVP_CIPHER *c;
    int enc;
    struct how h;
    unsigned char key[32], iv[16], tag[16], aad[64];
    size_t aadlen;
    unsigned char *in, *out;
    size_t len;
    int rc;
};

static int run_work(void *arg)
{
    struct work *w = *(struct work **)arg;

    w->rc = aead_msg(w->c, w->enc, &w->h, w->key, w->iv, w->aad, w->aadlen, w->in, w->len,
                     w->out, w->tag, 0);
    return w->rc == MSG_OK;
}

/* Drives the jobs like `openssl speed -async_jobs`: start, select on wait fds, resume. */
static void run_jobs(struct work *w, int n)
{
    ASYNC_JOB *jobs[NJOBS] = { 0 };
    ASYNC_WAIT_CTX *wctx[NJOBS];
    int done[NJOBS] = { 0 }, left = n, i, ret, rounds = 0;

    assert_true(n <= NJOBS);
    for (i = 0; i < n; i++) {
        struct work *p = &w[i];

        wctx[i] = ASYNC_WAIT_CTX_new();
        assert_non_null(wctx[i]);
        switch (ASYNC_start_job(&jobs[i], wctx[i], &ret, run_work, &p, sizeof(p))) {
        case ASYNC_FINISH:
            done[i] = 1;
            left--;
            break;
        case ASYNC_PAUSE:
            break;
        default:
            fail_msg("ASYNC_start_job failed");
        }
    }
    while (left > 0) {
        fd_set rf;
        int maxfd = -1;
        struct timeval tv = { 20, 0 };

        assert_true(++rounds < 1000000);
        FD_ZERO(&rf);
        for (i = 0; i < n; i++) {
            OSSL_ASYNC_FD fds[4];
            size_t nfds = 0, k;

            if (done[i])
                continue;
            assert_true(ASYNC_WAIT_CTX_get_all_fds(wctx[i], NULL, &nfds));
            assert_true(nfds <= 4);
            assert_true(ASYNC_WAIT_CTX_get_all_fds(wctx[i], fds, &nfds));
            for (k = 0; k < nfds; k++) {
                FD_SET(fds[k], &rf);
                if (fds[k] > maxfd)
                    maxfd = fds[k];
            }
        }
        if (maxfd >= 0 && select(maxfd + 1, &rf, NULL, NULL, &tv) == 0)
            fail_msg("jobs waited 20 s without a completion (lost wakeup?)");
        for (i = 0; i < n; i++) {
            struct work *p = &w[i];

            if (done[i])
                continue;
            switch (ASYNC_start_job(&jobs[i], wctx[i], &ret, run_work, &p, sizeof(p))) {
            case ASYNC_FINISH:
                done[i] = 1;
                left--;
                break;
            case ASYNC_PAUSE:
                break;
            default:
                fail_msg("ASYNC_start_job (resume) failed");
            }
        }
    }
    for (i = 0; i < n; i++)
        ASYNC_WAIT_CTX_free(wctx[i]);
}

static void test_async_jobs(void **state)
{
    static const char *const algs[] = { "AES-128-GCM", "AES-192-GCM", "AES-256-GCM",
                                        "AES-128-CCM", "AES-256-CCM", "ChaCha20-Poly1305" };
    enum { NALGS = sizeof(algs) / sizeof(algs[0]) };
    struct kactest t;
    EVP_CIPHER *kc[NALGS], *rc[NALGS];
    struct work w[NJOBS];
    unsigned char *ref[NJOBS], rtag[NJOBS][16];
    uint64_t rng = seed ^ 0xa5a5, before[NAEADS], pauses0;
    int round, i, used[NALGS] = { 0 };

    (void)state;
    kactest_open(&t, dpdk_cnf("kaccel-min-offload = 0"));
    warm_up(&t);
    snapshot(&t, "dpdk_ops", before);
    pauses0 = kactest_stat(&t, "dpdk", "pauses");
    for (i = 0; i < NALGS; i++) {
        kc[i] = EVP_CIPHER_fetch(t.ctx, algs[i], "provider=kaccel");
        rc[i] = EVP_CIPHER_fetch(t.ref, algs[i], NULL);
        assert_true(kc[i] != NULL && rc[i] != NULL);
    }
    for (round = 0; round < 3; round++) {
        for (i = 0; i < NJOBS; i++) {
            int a = (int)rnd(&rng, NALGS), ccm = is_ccm(algs[a]);
            struct work *p = &w[i];
            unsigned char *pt;

            memset(p, 0, sizeof(*p));
            used[a] = 1;
            p->c = kc[a];
            p->enc = (int)rnd(&rng, 2);
            p->len = rnd(&rng, MAXLEN) + 1;
            p->aadlen = rnd(&rng, 4) == 0 ? 0 : rnd(&rng, sizeof(p->aad) + 1);
            p->h.inplace = (int)rnd(&rng, 2);
            p->h.tag_early = 1;
            p->h.taglen = ccm ? 4 + 2 * rnd(&rng, 7) : 16;
            p->h.ivlen = ccm ? 7 + rnd(&rng, 7) : 0;
            kactest_rand(&rng, p->key, sizeof(p->key));
            kactest_rand(&rng, p->iv, sizeof(p->iv));
            kactest_rand(&rng, p->aad, p->aadlen);
            pt = malloc(p->len);
            p->in = malloc(p->len);
            p->out = malloc(p->len + 16);
            ref[i] = malloc(p->len + 16);
            assert_true(pt && p->in && p->out && ref[i]);
            kactest_rand(&rng, pt, p->len);
            /* the reference, by the default provider, outside any job */
            assert_int_equal(aead_msg(rc[a], 1, &(struct how){ .taglen = p->h.taglen,
                                                               .ivlen = p->h.ivlen },
                                      p->key, p->iv, p->aad, p->aadlen, pt, p->len, ref[i],
                                      rtag[i], 0), MSG_OK);
            if (p->enc) {
                memcpy(p->in, pt, p->len);
            } else {
                /* decrypt the reference ciphertext: the expected output is pt */
                memcpy(p->in, ref[i], p->len);
                memcpy(p->tag, rtag[i], 16);
                memcpy(ref[i], pt, p->len);
            }
            free(pt);
        }
        run_jobs(w, NJOBS);
        for (i = 0; i < NJOBS; i++) {
            struct work *p = &w[i];
            const char *name = EVP_CIPHER_get0_name(p->c);

            if (p->rc != MSG_OK)
                fail_msg("job %d (%s %s %zu bytes, AAD %zu) failed (%d)", i, name,
                         p->enc ? "enc" : "dec", p->len, p->aadlen, p->rc);
            if (memcmp(p->out, ref[i], p->len) != 0
                || (p->enc && memcmp(p->tag, rtag[i], p->h.taglen) != 0))
                fail_msg("job %d (%s %s %zu bytes, AAD %zu) differs from the default provider",
                         i, name, p->enc ? "enc" : "dec", p->len, p->aadlen);
            free(p->in);
            free(p->out);
            free(ref[i]);
        }
    }
    printf("# async: 3 x %d jobs ok; dpdk pauses +%llu, largest burst %llu\n", NJOBS,
           (unsigned long long)(kactest_stat(&t, "dpdk", "pauses") - pauses0),
           (unsigned long long)kactest_stat(&t, "dpdk", "burst_max"));
    for (i = 0; i < NALGS; i++) {
        size_t j;

        for (j = 0; j < NAEADS; j++)
            if (strcmp(aeads[j], algs[i]) == 0 && used[i] && on_dpdk(&t, algs[i])
                && kactest_stat(&t, algs[i], "dpdk_ops") == before[j])
                fail_msg("async: %s jobs did not go through DPDK", algs[i]);
        EVP_CIPHER_free(kc[i]);
        EVP_CIPHER_free(rc[i]);
    }
    if (kactest_stat(&t, "dpdk", "pauses") == pauses0)
        fail_msg("async: no job ever paused for its DPDK op");
    kactest_close(&t);
}

/* ---- faults, each in a fresh process -------------------------------------- */

struct fcase {
    const char *name, *spec;
};

static const struct fcase fcases[] = {
    { "op_error", "dpdk_status:1+:EIO" },
    { "queue_full", "dpdk_enqueue:1+:EAGAIN" },
    { "op_alloc", "dpdk_op_alloc:1+:ENOMEM" },
    { "session", "dpdk_session:1+:ENOMEM" },
    { "badmsg", "dpdk_status:1+:EBADMSG" },
    /* (no EBADMSG here: a device's "forged" verdict on a genuine CCM message is final) */
    { "storm", "dpdk_status:*3:EIO,dpdk_enqueue:*4:EAGAIN,dpdk_session:*5:ENOMEM,"
               "dpdk_op_alloc:*7:ENOMEM" },
};

static char logpath[64];

/* Lines of this process's debug log containing s. */
static unsigned log_count(const char *s)
{
    FILE *f = fopen(logpath, "r");
    char line[1024];
    unsigned n = 0;

    if (f == NULL)
        return 0;
    while (fgets(line, sizeof(line), f) != NULL)
        n += strstr(line, s) != NULL;
    fclose(f);
    return n;
}

/* 20 messages on one context, same key and parameters, then a new key: sessions asked for. */
static void session_asked_once(struct kactest *t)
{
    EVP_CIPHER *kc = EVP_CIPHER_fetch(t->ctx, "AES-128-GCM", "provider=kaccel");
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    unsigned char key[16] = { 1 }, iv[12] = { 2 }, aad[13] = { 3 }, buf[4096], tag[16];
    unsigned before = log_count("into dpdk_session"), i;
    int n;

    assert_true(kc && x);
    for (i = 0; i < 21; i++) {
        if (i == 20)
            key[0] ^= 1;
        iv[0] = (unsigned char)i;
        assert_int_equal(EVP_EncryptInit_ex2(x, i == 0 ? kc : NULL, i == 0 || i == 20 ? key : NULL,
                                             iv, NULL), 1);
        assert_int_equal(EVP_EncryptUpdate(x, NULL, &n, aad, sizeof(aad)), 1);
        assert_int_equal(EVP_EncryptUpdate(x, buf, &n, buf, sizeof(buf)), 1);
        assert_int_equal(EVP_EncryptFinal_ex(x, buf, &n), 1);
        assert_int_equal(get_tag(x, tag, 16), 1);
        if (i == 19 && log_count("into dpdk_session") - before != 1)
            fail_msg("a refused session was asked for %u times in 20 messages",
                     log_count("into dpdk_session") - before);
    }
    if (log_count("into dpdk_session") - before != 2)
        fail_msg("a new key did not ask for a session again");
    EVP_CIPHER_CTX_free(x);
    EVP_CIPHER_free(kc);
}

/* Injected authentication failures: clean failures where OpenSSL verifies first. */
static void badmsg_checks(struct kactest *t)
{
    static const char *const algs[] = { "AES-128-CCM", "AES-256-GCM", "ChaCha20-Poly1305" };
    unsigned char key[32] = { 7 }, iv[16] = { 9 }, aad[20] = { 1 }, pt[4096], ct[4096 + 16],
                  out[4096 + 16], tag[16];
    uint64_t rng = seed;
    size_t i;

    kactest_rand(&rng, pt, sizeof(pt));
    for (i = 0; i < 3; i++) {
        EVP_CIPHER *kc = EVP_CIPHER_fetch(t->ctx, algs[i], "provider=kaccel");
        EVP_CIPHER *rc = EVP_CIPHER_fetch(t->ref, algs[i], NULL);
        struct how h = { 0 };
        int k;

        assert_true(kc && rc);
        h.taglen = 16;
        h.tag_early = 1;
        h.ivlen = is_ccm(algs[i]) ? 12 : 0;
        /* encrypt: the failed op is redone in software */
        assert_int_equal(aead_msg(kc, 1, &h, key, iv, aad, sizeof(aad), pt, sizeof(pt), ct, tag,
                                  0), MSG_OK);
        assert_int_equal(aead_msg(rc, 1, &h, key, iv, aad, sizeof(aad), pt, sizeof(pt), out,
                                  out + sizeof(pt), 0), MSG_OK);
        assert_memory_equal(ct, out, sizeof(pt));
        assert_memory_equal(tag, out + sizeof(pt), 16);
        /* decrypt of a genuine message the device calls forged */
        memset(out, 0x5a, sizeof(out));
        k = aead_msg(kc, 0, &h, key, iv, aad, sizeof(aad), ct, sizeof(pt), out, tag, 0);
        if (is_ccm(algs[i]) && on_dpdk(t, algs[i])) {
            /* CCM verifies before it releases anything: a clean failure */
            if (k != MSG_UPDATE_FAILED || !last_error)
                fail_msg("%s: injected EBADMSG: update %s", algs[i],
                         k == MSG_OK ? "succeeded" : "failed without an error");
            for (k = 0; k < (int)sizeof(pt); k++)
                if (out[k] != 0)
                    fail_msg("%s: injected EBADMSG left output bytes", algs[i]);
        } else if (k != MSG_OK || memcmp(out, pt, sizeof(pt)) != 0) {
            /* a stream's first update is only redone in software: final decides (it passes) */
            fail_msg("%s: injected EBADMSG on a stream's update: %d", algs[i], k);
        }
        /* the same in place */
        memcpy(out, ct, sizeof(pt));
        h.inplace = 1;
        k = aead_msg(kc, 0, &h, key, iv, aad, sizeof(aad), out, sizeof(pt), out, tag, 0);
        if (is_ccm(algs[i]) && on_dpdk(t, algs[i]) ? k != MSG_UPDATE_FAILED
                                                    : k != MSG_OK || memcmp(out, pt, sizeof(pt)))
            fail_msg("%s: injected EBADMSG in place: %d", algs[i], k);
        if (is_ccm(algs[i]) && on_dpdk(t, algs[i]))
            for (k = 0; k < (int)sizeof(pt); k++)
                if (out[k] != 0)
                    fail_msg("%s: injected EBADMSG in place left bytes", algs[i]);
        EVP_CIPHER_free(kc);
        EVP_CIPHER_free(rc);
    }
    /* TLS records: the device's verdict is final (OpenSSL verifies before releasing too) */
    for (i = 1; i < 3; i++) {
        EVP_CIPHER *kc = EVP_CIPHER_fetch(t->ctx, algs[i], "provider=kaccel");
        EVP_CIPHER_CTX *e = EVP_CIPHER_CTX_new(), *d = EVP_CIPHER_CTX_new();
        int gcm = is_gcm(algs[i]), l1 = 0, l2 = 0, ok;
        size_t off = gcm ? 8 : 0, plen = 3000;

        assert_true(kc && e && d);
        assert_int_equal(EVP_CipherInit_ex2(e, kc, key, NULL, 1, NULL), 1);
        assert_int_equal(EVP_CipherInit_ex2(d, kc, key, NULL, 0, NULL), 1);
        assert_int_equal(EVP_CIPHER_CTX_ctrl(e, EVP_CTRL_AEAD_SET_IV_FIXED, gcm ? -1 : 12, iv), 1);
        assert_int_equal(EVP_CIPHER_CTX_ctrl(d, EVP_CTRL_AEAD_SET_IV_FIXED, gcm ? 4 : 12, iv), 1);
        memcpy(out + off, pt, plen);
        assert_int_equal(tls_record(e, 1, gcm, 5, out, plen, &l1), 1);
        ok = tls_record(d, 0, gcm, 5, out, plen, &l2);
        if (on_dpdk(t, algs[i]) && (ok || memcmp(out + off, pt, plen) == 0))
            fail_msg("%s: TLS record with an injected EBADMSG %s", algs[i],
                     ok ? "accepted" : "left plaintext");
        if (!on_dpdk(t, algs[i]) && (!ok || memcmp(out + off, pt, plen) != 0))
            fail_msg("%s: TLS record in software failed", algs[i]);
        ERR_clear_error();
        EVP_CIPHER_CTX_free(e);
        EVP_CIPHER_CTX_free(d);
        EVP_CIPHER_free(kc);
    }
}

/* The child's whole run: the named case under its KACCEL_FAULT. */
static void child_case(void **state)
{
    const char *name = getenv(CHILD_ENV);
    struct kactest t;
    uint64_t before[NAEADS];
    size_t i, routed = 0;

    (void)state;
    kactest_open(&t, dpdk_cnf("kaccel-min-offload = 0"));
    if (strcmp(name, "session") == 0)
        session_asked_once(&t);
    warm_up(&t);
    snapshot(&t, "dpdk_ops", before);
    if (strcmp(name, "badmsg") == 0) {
        badmsg_checks(&t);
    } else {
        run_kats(&t);
        for (i = 0; i < NAEADS; i++)
            differential(&t, aeads[i], 1);
        tls12(&t, "AES-256-GCM", 1);
        tls12(&t, "ChaCha20-Poly1305", 1);
    }
    for (i = 0; i < NAEADS; i++) {
        uint64_t ops = kactest_stat(&t, aeads[i], "dpdk_ops") - before[i];
        uint64_t errs = kactest_stat(&t, aeads[i], "errors");
        uint64_t opfail = kactest_stat(&t, aeads[i], "sw_op_error");
        uint64_t full = kactest_stat(&t, aeads[i], "sw_queue_full");
        uint64_t sess = kactest_stat(&t, aeads[i], "sw_session");

        if (!on_dpdk(&t, aeads[i]))
            continue;
        routed++;
        printf("# %-10s %-18s dpdk_ops %llu errors %llu sw_op_error %llu sw_queue_full %llu "
               "sw_session %llu\n", name, aeads[i], (unsigned long long)ops,
               (unsigned long long)errs, (unsigned long long)opfail, (unsigned long long)full,
               (unsigned long long)sess);
        if (strcmp(name, "op_error") == 0 && (ops != 0 || errs == 0 || opfail == 0))
            fail_msg("op_error: %s: failed ops not counted as errors and redone", aeads[i]);
        if ((strcmp(name, "queue_full") == 0 || strcmp(name, "op_alloc") == 0)
            && (ops != 0 || errs != 0 || full == 0))
            fail_msg("%s: %s: a full queue must go to software without an error", name,
                     aeads[i]);
        if (strcmp(name, "session") == 0 && (ops != 0 || sess == 0 || errs == 0))
            fail_msg("session: %s: refused sessions not counted", aeads[i]);
        if (strcmp(name, "badmsg") == 0 && strstr(aeads[i], "CCM") == NULL && errs == 0
            && (strcmp(aeads[i], "AES-256-GCM") == 0 || strcmp(aeads[i], "ChaCha20-Poly1305") == 0))
            fail_msg("badmsg: %s: an encryption's failed op not counted", aeads[i]);
        if (strcmp(name, "storm") == 0 && ops == 0)
            fail_msg("storm: %s: nothing got through DPDK between the faults", aeads[i]);
    }
    if (routed == 0)
        fail_msg("%s: no AEAD routed to %s", name, want_route);
    kactest_close(&t);
}

static int child_main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(child_case) };

    snprintf(logpath, sizeof(logpath), "%s", getenv(KACCEL_ENV_DEBUG));
    alarm(300);
    return cmocka_run_group_tests_name(getenv(CHILD_ENV), tests, NULL, NULL);
}

static void test_faults(void **state)
{
    char seedstr[32], path[64];
    size_t i;

    (void)state;
    snprintf(seedstr, sizeof(seedstr), "%llu", (unsigned long long)seed);
    for (i = 0; i < sizeof(fcases) / sizeof(fcases[0]); i++) {
        int st;
        pid_t pid;

        snprintf(path, sizeof(path), "/tmp/kactest-dpdk-aead-%d-%zu.log", (int)getpid(), i);
        unlink(path);
        printf("# fault case %s: KACCEL_FAULT=%s\n", fcases[i].name, fcases[i].spec);
        fflush(NULL);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            /* a fresh process: its own EAL and its own reading of KACCEL_FAULT */
            setenv(CHILD_ENV, fcases[i].name, 1);
            setenv("KACCEL_FAULT", fcases[i].spec, 1);
            setenv("KACCEL_TEST_SEED", seedstr, 1);
            setenv(KACCEL_ENV_DEBUG, path, 1);
            execl("/proc/self/exe", "test_dpdk_aead", (char *)NULL);
            _exit(127);
        }
        assert_int_equal(waitpid(pid, &st, 0), pid);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fail_msg("fault case %s (KACCEL_FAULT=%s) failed: %s %d; debug log %s", fcases[i].name,
                     fcases[i].spec, WIFEXITED(st) ? "exit" : "signal",
                     WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), path);
        }
        unlink(path);
    }
}

int main(void)
{
    OSSL_PROVIDER *dflt;
    int r;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_message),
        cmocka_unit_test(test_threshold),
        cmocka_unit_test(test_tls12),
        cmocka_unit_test(test_async_jobs),
        cmocka_unit_test(test_faults),
    };

    if (kactest_dpdk_lines(NULL) == NULL) {
        printf("# skip: the PMD for %s is not installed\n", kactest_dpdk_device());
        return 77;
    }
    snprintf(want_route, sizeof(want_route), "dpdk:%s", kactest_dpdk_device());
    seed = kactest_seed();
    /*
     * Like most applications, have the default provider in the default
     * library context: the crypto_openssl PMD computes there, and when it
     * cannot load the legacy provider (OPENSSL_MODULES is kaccel's build
     * folder) it loads nothing itself and every session fails.
     */
    dflt = OSSL_PROVIDER_load(NULL, "default");
    if (dflt == NULL) {
        fprintf(stderr, "cannot load the default provider\n");
        return 1;
    }
    if (getenv(CHILD_ENV) != NULL) {
        r = child_main();
    } else {
        unsetenv("KACCEL_FAULT"); /* the parent's runs are fault-free */
        r = cmocka_run_group_tests(tests, NULL, NULL);
    }
    OSSL_PROVIDER_unload(dflt);
    return r;
}
