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
#include "katutil.h"

#define MAXLEN 40000   /* past KAC_DPDK_MAX_OP (32 KiB): those messages are software */
#define NJOBS 64
#define CHILD_ENV "KACTEST_DPDK_AEAD_CASE"

static const char *const aeads[] = { KAT_AEADS };
#define NAEADS (sizeof(aeads) / sizeof(aeads[0]))

static const size_t sizes[] = { 1,    2,    15,    16,    17,    64,    255,   256,  1000, 2047,
                                2048, 2049, 4096,  8191,  16384, 32767, 32768, 32769, MAXLEN };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))
static const size_t aadsizes[] = { 0, 1, 13, 13, 20, 46, 47, 100, 256, 257, 600 };
#define NAADSIZES (sizeof(aadsizes) / sizeof(aadsizes[0]))

static uint64_t seed;
static char want_route[160]; /* "dpdk:<device>" */

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

/* ---- known answers ------------------------------------------------------- */

/* Every published known answer, in place or not, in chunks or not (the tag set first). */
static void run_kats(struct kactest *t)
{
    static const struct kat_how ways[] = {
        { .tag_early = 1 },
        { .tag_early = 1, .inplace = 1 },
        { .tag_early = 1, .chunks = 1 },
        { .tag_early = 1, .chunks = 1, .inplace = 1 },
    };

    kat_aead_known_answers(t, kat_aead_nvectors, ways, 4, seed);
}

/* ---- differential -------------------------------------------------------- */

/*
 * Decrypts a tampered message (tag, ciphertext or AAD) with kaccel and the
 * default provider the same way: both must fail the same way with the same
 * output; an update that fails (CCM) releases no plaintext.
 */
static void tampered(EVP_CIPHER *kc, EVP_CIPHER *rc, const struct kat_how *h,
                     const unsigned char *key, const unsigned char *iv, const unsigned char *aad,
                     size_t aadlen, const unsigned char *ct, const unsigned char *pt, size_t len,
                     const unsigned char *tag, uint64_t *rng)
{
    const char *name = EVP_CIPHER_get0_name(kc);
    unsigned char *c2 = malloc(len + 16), *ko = malloc(len + 16), *ro = malloc(len + 16);
    unsigned char a2[600], t2[16];
    size_t what = kat_rnd(rng, 3);
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
    case 0: t2[kat_rnd(rng, h->taglen)] ^= 0x20; break;
    case 1: c2[kat_rnd(rng, len)] ^= 0x01; break;
    default: a2[kat_rnd(rng, aadlen)] ^= 0x80; break;
    }
    memset(ko, 0xa5, len + 16);
    memset(ro, 0xa5, len + 16);
    k = kat_aead_msg(kc, 0, h, key, iv, a2, aadlen, c2, len, ko, t2, chunking);
    r = kat_aead_msg(rc, 0, h, key, iv, a2, aadlen, c2, len, ro, t2, chunking);
    if (k == KAT_MSG_OK || r == KAT_MSG_OK)
        fail_msg("%s: tampered %s (%zu bytes, AAD %zu) accepted (kaccel %d, default %d)", name,
                 what == 0 ? "tag" : what == 1 ? "ciphertext" : "AAD", len, aadlen, k, r);
    if (k != r || memcmp(ko, ro, len) != 0)
        fail_msg("%s: tampered %s (%zu bytes, AAD %zu, chunks %d in-place %d tag early %d): "
                 "kaccel fails at %d, default at %d, outputs %s", name,
                 what == 0 ? "tag" : what == 1 ? "ciphertext" : "AAD", len, aadlen, h->chunks,
                 h->inplace, h->tag_early, k, r, memcmp(ko, ro, len) ? "differ" : "equal");
    if (k == KAT_MSG_UPDATE_FAILED && len >= 8 && memcmp(ko, pt, len) == 0)
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
    EVP_CIPHER *kc, *rc;
    uint64_t rng = seed ^ (uint64_t)strlen(name) * 0x9e3779b97f4a7c15ULL ^ (uint64_t)name[4];
    size_t si, keylen, nmsg = quick ? NSIZES : NSIZES + 12;
    int ccm = kat_is_ccm(name), gcm = kat_is_gcm(name);

    kat_cipher_pair(t, name, &kc, &rc);
    keylen = (size_t)EVP_CIPHER_get_key_length(rc);
    for (si = 0; si < nmsg; si++) {
        size_t len = si < NSIZES ? sizes[si] : kat_rnd(&rng, MAXLEN) + 1;
        struct kat_bufs m;
        int variant;

        kat_bufs_new(&m, len + 16);
        for (variant = 0; variant < 4; variant++) {
            size_t aadlen = aadsizes[kat_rnd(&rng, NAADSIZES)];
            unsigned char key[32], iv[64], aad[600], rtag[16], ktag[16], r[2];
            struct kat_how h = { 0 }, plain;
            int k;

            if (quick && (variant & 1))
                continue;
            kactest_rand(&rng, key, keylen);
            kactest_rand(&rng, iv, sizeof(iv));
            kactest_rand(&rng, aad, aadlen);
            kactest_rand(&rng, m.pt, len);
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
            k = kat_aead_msg(rc, 1, &plain, key, iv, aad, aadlen, m.pt, len, m.ref, rtag, rng);
            assert_int_equal(k, KAT_MSG_OK);
            k = kat_aead_msg(kc, 1, &h, key, iv, aad, aadlen, m.pt, len, m.ct, ktag, rng);
            if (k != KAT_MSG_OK)
                fail_msg("%s: encrypt %zu+%zu failed (%d; variant %d)", name, aadlen, len, k,
                         variant);
            if (memcmp(m.ct, m.ref, len) != 0 || memcmp(ktag, rtag, h.taglen) != 0)
                fail_msg("%s encrypt %zu bytes, AAD %zu (chunks %d in-place %d ivlen %zu "
                         "taglen %zu) differs from the default provider",
                         name, len, aadlen, h.chunks, h.inplace, h.ivlen, h.taglen);
            /* decrypt, a truncated tag sometimes (GCM: the device decides; ChaCha: software) */
            if (!ccm && (r[1] >> 4) == 0)
                h.taglen = gcm && ((r[1] >> 3) & 1) == 0 ? 4 : 12;
            else if (gcm && (r[1] >> 4) == 1)
                h.taglen = 8 + (r[1] & 7); /* 8..15 */
            k = kat_aead_msg(kc, 0, &h, key, iv, aad, aadlen, m.ref, len, m.back, rtag, rng);
            if (k != KAT_MSG_OK || memcmp(m.back, m.pt, len) != 0)
                fail_msg("%s decrypt %zu bytes, AAD %zu (chunks %d in-place %d tag early %d "
                         "ivlen %zu taglen %zu) failed (%d) or differs", name, len, aadlen,
                         h.chunks, h.inplace, h.tag_early, h.ivlen, h.taglen, k);
            tampered(kc, rc, &h, key, iv, aad, aadlen, m.ref, m.pt, len, rtag, &rng);
        }
        kat_bufs_free(&m);
    }
    EVP_CIPHER_free(kc);
    EVP_CIPHER_free(rc);
}

/* ---- one context, many messages ----------------------------------------- */

/*
 * One message on a context already in use (key given only when set anew).
 * Returns KAT_MSG_*; out and tag as kat_aead_msg().
 */
static int reuse_msg(EVP_CIPHER_CTX *x, int ccm, int enc, const unsigned char *key,
                     const unsigned char *iv, size_t ivlen, size_t taglen,
                     const unsigned char *aad, size_t aadlen, const unsigned char *in, size_t len,
                     unsigned char *out, unsigned char *tag)
{
    int n, rc = KAT_MSG_SETUP_FAILED;

    if (!EVP_CipherInit_ex2(x, NULL, NULL, NULL, enc, NULL)
        || !kat_set_size(x, OSSL_CIPHER_PARAM_AEAD_IVLEN, ivlen)
        || (ccm && !kat_set_tag(x, enc ? NULL : tag, taglen))
        || !EVP_CipherInit_ex2(x, NULL, key, iv, enc, NULL)
        || (!enc && !ccm && !kat_set_tag(x, tag, taglen)))
        goto done;
    rc = KAT_MSG_UPDATE_FAILED;
    if ((ccm && !EVP_CipherUpdate(x, NULL, &n, NULL, (int)len))
        || (aadlen > 0 && !EVP_CipherUpdate(x, NULL, &n, aad, (int)aadlen))
        || !EVP_CipherUpdate(x, out, &n, in, (int)len) || (size_t)n != len)
        goto done;
    rc = KAT_MSG_FINAL_FAILED;
    if (!EVP_CipherFinal_ex(x, out + len, &n) || (enc && !kat_get_tag(x, tag, taglen)))
        goto done;
    rc = KAT_MSG_OK;
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
    int ccm = kat_is_ccm(name), k, r;
    size_t taglen = ccm ? 12 : 16;

    assert_true(kc && rc && kx && rx && pt && ko && ro && ct);
    kactest_rand(&rng, key, keylen);
    assert_int_equal(EVP_CipherInit_ex2(kx, kc, key, NULL, 1, NULL), 1);
    assert_int_equal(EVP_CipherInit_ex2(rx, rc, key, NULL, 1, NULL), 1);
    for (i = 0; i < 80; i++) {
        size_t len = kat_rnd(&rng, 8192) + 1, aadlen = aads[kat_rnd(&rng, 8)];
        int enc = (int)kat_rnd(&rng, 2), newkey = kat_rnd(&rng, 8) == 0, setkey = newkey;
        struct kat_how h = { 0 };

        if (ccm && kat_rnd(&rng, 3) == 0) {
            ivlen = 7 + kat_rnd(&rng, 7);
            taglen = 4 + 2 * kat_rnd(&rng, 7);
            setkey |= (int)kat_rnd(&rng, 2); /* the same key again: M and L taken */
        }
        if (newkey)
            kactest_rand(&rng, key, keylen);
        kactest_rand(&rng, iv, sizeof(iv));
        kactest_rand(&rng, aad, aadlen);
        kactest_rand(&rng, pt, len);
        h.ivlen = ivlen;
        h.taglen = taglen;
        /* a genuine ciphertext and tag for the decrypts */
        assert_int_equal(kat_aead_msg(rc, 1, &h, key, iv, aad, aadlen, pt, len, ct, ctag, 0),
                         KAT_MSG_OK);
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
        if (k != r || (r == KAT_MSG_OK && (memcmp(ko, ro, len) != 0
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

static void tls12(struct kactest *t, const char *name, int tamper)
{
    static const size_t plens[] = { 0, 1, 100, 1500, 2047, 2048, 4000, 16384, 16385 };
    struct kat_tls12 s;
    uint64_t rng = seed ^ 0x1234;
    size_t i;

    kat_tls12_open(&s, t, name, 16385, &rng);
    for (i = 0; i < 3 * sizeof(plens) / sizeof(plens[0]); i++) {
        size_t plen = plens[i % (sizeof(plens) / sizeof(plens[0]))];
        int la, lb, ld, okk, okr;

        if (i >= 2 * sizeof(plens) / sizeof(plens[0]))
            plen = kat_rnd(&rng, 16385);
        kat_tls12_record(&s, i, plen, &rng);
        if (tamper && plen >= 1) {
            /* tampered: fails as the default provider's, and the payload holds no plaintext */
            la = kat_tls12_seal(&s, 1000 + i, plen);
            s.a[kat_rnd(&rng, (size_t)la)] ^= 4;
            memcpy(s.b, s.a, (size_t)la);
            okk = kat_tls_record(s.kd, 0, s.gcm, 1000 + i, s.a, plen, &ld);
            okr = kat_tls_record(s.rd, 0, s.gcm, 1000 + i, s.b, plen, &lb);
            ERR_clear_error();
            if (okk || okr)
                fail_msg("%s: tampered TLS record %zu accepted (kaccel %d, default %d)", name, i,
                         okk, okr);
            if (plen >= 8 && memcmp(s.a + s.off, s.pt, plen) == 0)
                fail_msg("%s: tampered TLS record left plaintext", name);
        }
    }
    kat_tls12_close(&s);
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
    struct kat_how h;
    unsigned char key[32], iv[16], tag[16], aad[64];
    size_t aadlen;
    unsigned char *in, *out;
    size_t len;
    int rc;
};

static int run_work(void *arg)
{
    struct work *w = arg;

    w->rc = kat_aead_msg(w->c, w->enc, &w->h, w->key, w->iv, w->aad, w->aadlen, w->in, w->len,
                     w->out, w->tag, 0);
    return w->rc == KAT_MSG_OK;
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
            int a = (int)kat_rnd(&rng, NALGS), ccm = kat_is_ccm(algs[a]);
            struct work *p = &w[i];
            unsigned char *pt;

            memset(p, 0, sizeof(*p));
            used[a] = 1;
            p->c = kc[a];
            p->enc = (int)kat_rnd(&rng, 2);
            p->len = kat_rnd(&rng, MAXLEN) + 1;
            p->aadlen = kat_rnd(&rng, 4) == 0 ? 0 : kat_rnd(&rng, sizeof(p->aad) + 1);
            p->h.inplace = (int)kat_rnd(&rng, 2);
            p->h.tag_early = 1;
            p->h.taglen = ccm ? 4 + 2 * kat_rnd(&rng, 7) : 16;
            p->h.ivlen = ccm ? 7 + kat_rnd(&rng, 7) : 0;
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
            assert_int_equal(kat_aead_msg(rc[a], 1, &(struct kat_how){ .taglen = p->h.taglen,
                                                               .ivlen = p->h.ivlen },
                                      p->key, p->iv, p->aad, p->aadlen, pt, p->len, ref[i],
                                      rtag[i], 0), KAT_MSG_OK);
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
        /* like `openssl speed -async_jobs`: start, wait on the wait fds, resume */
        kactest_jobs_must_run(&(struct kactest_jobs)KACTEST_JOBS(w, NJOBS, run_work));
        for (i = 0; i < NJOBS; i++) {
            struct work *p = &w[i];
            const char *name = EVP_CIPHER_get0_name(p->c);

            if (p->rc != KAT_MSG_OK)
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
        assert_int_equal(kat_get_tag(x, tag, 16), 1);
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
        struct kat_how h = { 0 };
        int k;

        assert_true(kc && rc);
        h.taglen = 16;
        h.tag_early = 1;
        h.ivlen = kat_is_ccm(algs[i]) ? 12 : 0;
        /* encrypt: the failed op is redone in software */
        assert_int_equal(kat_aead_msg(kc, 1, &h, key, iv, aad, sizeof(aad), pt, sizeof(pt), ct, tag,
                                  0), KAT_MSG_OK);
        assert_int_equal(kat_aead_msg(rc, 1, &h, key, iv, aad, sizeof(aad), pt, sizeof(pt), out,
                                  out + sizeof(pt), 0), KAT_MSG_OK);
        assert_memory_equal(ct, out, sizeof(pt));
        assert_memory_equal(tag, out + sizeof(pt), 16);
        /* decrypt of a genuine message the device calls forged */
        memset(out, 0x5a, sizeof(out));
        k = kat_aead_msg(kc, 0, &h, key, iv, aad, sizeof(aad), ct, sizeof(pt), out, tag, 0);
        if (kat_is_ccm(algs[i]) && on_dpdk(t, algs[i])) {
            /* CCM verifies before it releases anything: a clean failure */
            if (k != KAT_MSG_UPDATE_FAILED || !kat_msg_error)
                fail_msg("%s: injected EBADMSG: update %s", algs[i],
                         k == KAT_MSG_OK ? "succeeded" : "failed without an error");
            for (k = 0; k < (int)sizeof(pt); k++)
                if (out[k] != 0)
                    fail_msg("%s: injected EBADMSG left output bytes", algs[i]);
        } else if (k != KAT_MSG_OK || memcmp(out, pt, sizeof(pt)) != 0) {
            /* a stream's first update is only redone in software: final decides (it passes) */
            fail_msg("%s: injected EBADMSG on a stream's update: %d", algs[i], k);
        }
        /* the same in place */
        memcpy(out, ct, sizeof(pt));
        h.inplace = 1;
        k = kat_aead_msg(kc, 0, &h, key, iv, aad, sizeof(aad), out, sizeof(pt), out, tag, 0);
        if (kat_is_ccm(algs[i]) && on_dpdk(t, algs[i])
                ? k != KAT_MSG_UPDATE_FAILED
                : k != KAT_MSG_OK || memcmp(out, pt, sizeof(pt)))
            fail_msg("%s: injected EBADMSG in place: %d", algs[i], k);
        if (kat_is_ccm(algs[i]) && on_dpdk(t, algs[i]))
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
        int gcm = kat_is_gcm(algs[i]), l1 = 0, l2 = 0, ok;
        size_t off = gcm ? 8 : 0, plen = 3000;

        assert_true(kc && e && d);
        assert_int_equal(EVP_CipherInit_ex2(e, kc, key, NULL, 1, NULL), 1);
        assert_int_equal(EVP_CipherInit_ex2(d, kc, key, NULL, 0, NULL), 1);
        assert_int_equal(EVP_CIPHER_CTX_ctrl(e, EVP_CTRL_AEAD_SET_IV_FIXED, gcm ? -1 : 12, iv), 1);
        assert_int_equal(EVP_CIPHER_CTX_ctrl(d, EVP_CTRL_AEAD_SET_IV_FIXED, gcm ? 4 : 12, iv), 1);
        memcpy(out + off, pt, plen);
        assert_int_equal(kat_tls_record(e, 1, gcm, 5, out, plen, &l1), 1);
        ok = kat_tls_record(d, 0, gcm, 5, out, plen, &l2);
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
    return cmocka_run_group_tests_name(getenv(CHILD_ENV), tests, NULL, NULL);
}

static void test_faults(void **state)
{
    char seedstr[48], casestr[64], path[64], what[200];
    const char *const env[] = { casestr, seedstr, NULL };
    struct kactest_child c = { .log = path, .env = env, .timeout = 300 };
    size_t i;

    (void)state;
    snprintf(seedstr, sizeof(seedstr), "KACCEL_TEST_SEED=%llu", (unsigned long long)seed);
    for (i = 0; i < sizeof(fcases) / sizeof(fcases[0]); i++) {
        snprintf(path, sizeof(path), "/tmp/kactest-dpdk-aead-%d-%zu.log", (int)getpid(), i);
        printf("# fault case %s: KACCEL_FAULT=%s\n", fcases[i].name, fcases[i].spec);
        /* a fresh process: its own EAL and its own reading of KACCEL_FAULT */
        snprintf(casestr, sizeof(casestr), "%s=%s", CHILD_ENV, fcases[i].name);
        snprintf(what, sizeof(what), "fault case %s (KACCEL_FAULT=%s)", fcases[i].name,
                 fcases[i].spec);
        c.fault = fcases[i].spec;
        kactest_child_expect(&c, what);
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

    kactest_dpdk_require("test_dpdk_aead");
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
