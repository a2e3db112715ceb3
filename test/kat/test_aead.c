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

#include "kactest.h"
#include "katutil.h"

static const char *const aeads[] = { KAT_AEADS };
#define NAEADS (sizeof(aeads) / sizeof(aeads[0]))
static const size_t sizes[] = { 0,    1,    15,   16,   17,   63,    64,    255,   256, 1000,
                                1999, 2000, 2001, 4095, 4096, 4097, 16384, 65000, 65536 };
static const size_t aadsizes[] = { 0, 13, 20, 100 };

static uint64_t seed;
static int have_afalg;

/* ---- known answers ------------------------------------------------------- */

/* The basic known answers, each with the tag set last and first to decrypt. */
static void run_kats(struct kactest *t)
{
    static const struct kat_how ways[] = { { .tag_early = 0 }, { .tag_early = 1 } };

    kat_aead_known_answers(t, KAT_AEAD_NBASIC, ways, 2, seed);
}

/* ---- differential -------------------------------------------------------- */

static void differential(struct kactest *t, const char *name)
{
    EVP_CIPHER *kc, *rc;
    uint64_t rng = seed ^ (uint64_t)strlen(name) * 0x9e3779b97f4a7c15ULL ^ (uint64_t)name[4];
    size_t si, ai, keylen;
    int ccm = kat_is_ccm(name), gcm = kat_is_gcm(name);

    kat_cipher_pair(t, name, &kc, &rc);
    keylen = (size_t)EVP_CIPHER_get_key_length(rc);
    for (si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
        size_t len = sizes[si];
        struct kat_bufs m;

        kat_bufs_new(&m, len + 32);
        for (ai = 0; ai < sizeof(aadsizes) / sizeof(aadsizes[0]); ai++) {
            size_t aadlen = aadsizes[ai];
            unsigned char key[32], iv[16], aad[100], rtag[16], ktag[16], r;
            struct kat_how h = { 0 }, plain = { 0 };
            int variant;

            for (variant = 0; variant < 4; variant++) {
                kactest_rand(&rng, key, keylen);
                kactest_rand(&rng, iv, sizeof(iv));
                kactest_rand(&rng, aad, aadlen);
                kactest_rand(&rng, m.pt, len);
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
                assert_int_equal(kat_aead_msg(rc, 1, &plain, key, iv, aad, aadlen, m.pt, len, m.ref,
                                              rtag, rng), KAT_MSG_OK);
                if (kat_aead_msg(kc, 1, &h, key, iv, aad, aadlen, m.pt, len, m.ct, ktag, rng)
                    != KAT_MSG_OK)
                    fail_msg("%s: encrypt %zu+%zu failed (variant %d)", name, aadlen, len,
                             variant);
                if (memcmp(m.ct, m.ref, len) != 0 || memcmp(ktag, rtag, h.taglen) != 0)
                    fail_msg("%s encrypt %zu bytes, AAD %zu (chunks %d in-place %d dup %d "
                             "ivlen %zu taglen %zu) differs from the default provider",
                             name, len, aadlen, h.chunks, h.inplace, h.dup, h.ivlen, h.taglen);
                /* decrypt, with a truncated tag for GCM sometimes */
                if (gcm && ((r >> 6) & 1))
                    h.taglen = (r >> 7) & 1 ? 12 : 8;
                /* tag set first, then several updates (Python's cryptography does this) */
                if (kat_aead_msg(kc, 0, &h, key, iv, aad, aadlen, m.ref, len, m.back, rtag, rng)
                        != KAT_MSG_OK
                    || memcmp(m.back, m.pt, len) != 0)
                    fail_msg("%s decrypt %zu bytes, AAD %zu (chunks %d in-place %d dup %d "
                             "tag early %d taglen %zu) failed or differs",
                             name, len, aadlen, h.chunks, h.inplace, h.dup, h.tag_early,
                             h.taglen);
                /* tampered tag: must fail; an offloaded decrypt releases no plaintext */
                if (len >= 16 && variant == 0) {
                    uint64_t off0 = kactest_stat(t, name, "offload_ops");
                    int ok;

                    rtag[0] ^= 1;
                    memset(m.back, 0, len);
                    h.dup = 0;
                    ok = kat_aead_msg(kc, 0, &h, key, iv, aad, aadlen, m.ref, len, m.back, rtag,
                                      rng) == KAT_MSG_OK;
                    if (ok)
                        fail_msg("%s: a tampered tag was accepted (len %zu)", name, len);
                    /*
                     * As the default provider: CCM releases nothing; streaming GCM and
                     * ChaCha20-Poly1305 release the update's output and fail at final.
                     */
                    (void)off0;
                    if (ccm && memcmp(m.back, m.pt, len) == 0)
                        fail_msg("%s: plaintext released on a tag mismatch", name);
                }
            }
        }
        kat_bufs_free(&m);
    }
    EVP_CIPHER_free(kc);
    EVP_CIPHER_free(rc);
}

/* A tag mismatch on a single-update message with the tag set first: final fails. */
static void mismatch_single(struct kactest *t, const char *name)
{
    EVP_CIPHER *kc = EVP_CIPHER_fetch(t->ctx, name, "provider=kaccel");
    unsigned char key[32] = { 7 }, iv[16] = { 9 }, pt[4096], ct[4096], out[4096], tag[16];
    struct kat_how h = { 0 };
    EVP_CIPHER_CTX *x;
    int n = 0, upd, fin;

    if (kat_is_ccm(name)) {
        EVP_CIPHER_free(kc);
        return; /* covered in differential (CCM verifies in its update) */
    }
    memset(pt, 0x5a, sizeof(pt));
    h.taglen = 16;
    assert_int_equal(kat_aead_msg(kc, 1, &h, key, iv, NULL, 0, pt, sizeof(pt), ct, tag, seed),
                     KAT_MSG_OK);
    tag[15] ^= 0x80;
    x = EVP_CIPHER_CTX_new();
    assert_int_equal(EVP_DecryptInit_ex2(x, kc, key, iv, NULL), 1);
    assert_int_equal(kat_set_tag(x, tag, 16), 1);
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

static void tls12(struct kactest *t, const char *name)
{
    static const size_t plens[] = { 0, 1, 100, 1500, 1999, 2000, 4000, 16384 };
    struct kat_tls12 s;
    uint64_t rng = seed ^ 0x1234;
    size_t i;

    kat_tls12_open(&s, t, name, 16384, &rng);
    for (i = 0; i < 2 * sizeof(plens) / sizeof(plens[0]); i++) {
        size_t plen = plens[i % (sizeof(plens) / sizeof(plens[0]))];
        int la, ld;

        kat_tls12_record(&s, i, plen, &rng);
        if (plen >= 16) {
            /* tampered: fails and the payload holds no plaintext */
            la = kat_tls12_seal(&s, 1000 + i, plen);
            s.a[la - 1] ^= 1;
            if (kat_tls_record(s.kd, 0, s.gcm, 1000 + i, s.a, plen, &ld))
                fail_msg("%s: tampered TLS record accepted", name);
            if (memcmp(s.a + s.off, s.pt, plen) == 0)
                fail_msg("%s: tampered TLS record left plaintext", name);
            ERR_clear_error();
        }
    }
    kat_tls12_close(&s);
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
    if (kat_is_ccm(name)) {
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
    if (!kat_get_tag(k, t1, v1)) { ERR_print_errors_fp(stderr); fail_msg("%s: tag get failed (%zu)", name, v1); }
    assert_int_equal(kat_get_tag(r, t2, v1), 1);
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
    assert_int_equal(kat_set_tag(x, tag, 17), 0);
    ERR_clear_error();
    assert_int_equal(EVP_EncryptInit_ex2(x, gcm, key, iv, NULL), 1);
    assert_int_equal(kat_set_tag(x, tag, 16), 0);
    ERR_clear_error();
    assert_int_equal(EVP_EncryptInit_ex2(x, ccm, NULL, NULL, NULL), 1);
    assert_int_equal(kat_set_tag(x, NULL, 5), 0);
    ERR_clear_error();
    /* CCM: nonce lengths outside 7..13 */
    assert_int_equal(kat_set_size(x, OSSL_CIPHER_PARAM_AEAD_IVLEN, 14), 0);
    ERR_clear_error();
    assert_int_equal(kat_set_size(x, OSSL_CIPHER_PARAM_AEAD_IVLEN, 6), 0);
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
    struct kat_offload o;
    size_t i;

    kactest_open(&t, lines);
    kat_offload_begin(&o, &t, aeads, NAEADS, 0);
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
    kat_offload_end(&o, &t, what, expect_offload);
    kactest_close(&t);
}

static void test_software_only(void **state)
{
    (void)state;
    scenario(kat_software_only, 0, "software");
}

static void test_offload_only(void **state)
{
    (void)state;
    scenario(kat_offload_only, 1, "offload");
}

static void test_threshold(void **state)
{
    (void)state;
    scenario(kat_mixed, 1, "mixed");
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
    have_afalg = kat_afalg("test_aead");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
