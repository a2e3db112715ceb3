/*
 * HMAC and CMAC through kaccel: RFC 2202 / RFC 4231 / RFC 4493 and
 * NIST SP 800-38B known answers, and differential tests against OpenSSL's
 * default provider for every HMAC digest and CMAC cipher kaccel knows (and a
 * few it does not, which stay in software), over sizes 0..70000 with random
 * keys and chunking, dupctx mid-stream and context reuse, under three
 * routings: software only, offload only, and a threshold that splits messages.
 * Where AF_ALG exists (the guest), every variant with a route must offload.
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

#include "kactest.h"
#include "katutil.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* mac, digest or cipher, kaccel's variant name (NULL: not kaccel's, software), key length */
static const struct variant {
    const char *mac, *sub, *kvar;
    size_t keylen; /* CMAC; HMAC keys are random lengths */
} variants[] = {
    { "HMAC", "SHA1", "HMAC-SHA1", 0 },
    { "HMAC", "SHA2-224", "HMAC-SHA2-224", 0 },
    { "HMAC", "SHA256", "HMAC-SHA2-256", 0 }, /* an alias */
    { "HMAC", "SHA2-384", "HMAC-SHA2-384", 0 },
    { "HMAC", "SHA2-512", "HMAC-SHA2-512", 0 },
    { "HMAC", "SHA3-224", "HMAC-SHA3-224", 0 },
    { "HMAC", "SHA3-256", "HMAC-SHA3-256", 0 },
    { "HMAC", "SHA3-384", "HMAC-SHA3-384", 0 },
    { "HMAC", "SHA3-512", "HMAC-SHA3-512", 0 },
    { "HMAC", "SHA2-512/256", NULL, 0 },
    { "HMAC", "MD5", NULL, 0 },
    { "CMAC", "AES-128-CBC", "CMAC-AES-128", 16 },
    { "CMAC", "aes-192-cbc", "CMAC-AES-192", 24 },
    { "CMAC", "AES-256-CBC", "CMAC-AES-256", 32 },
    { "CMAC", "DES-EDE3-CBC", NULL, 24 },
};
static const size_t sizes[] = { 0,   1,   15,  16,   17,   63,   64,   65,   127,  128,  129,
                                136, 144, 1000, 1999, 2000, 2001, 4096, 16384, 65536, 70000 };

static uint64_t seed;

/* ---- helpers ------------------------------------------------------------ */

static void sub_params(OSSL_PARAM p[2], const char *mac, const char *sub)
{
    p[0] = OSSL_PARAM_construct_utf8_string(strcmp(mac, "HMAC") == 0 ? OSSL_MAC_PARAM_DIGEST
                                                                      : OSSL_MAC_PARAM_CIPHER,
                                            (char *)sub, 0);
    p[1] = OSSL_PARAM_construct_end();
}

static EVP_MAC_CTX *mac_new(OSSL_LIB_CTX *ctx, const char *props, const char *mac)
{
    EVP_MAC *m = EVP_MAC_fetch(ctx, mac, props);
    EVP_MAC_CTX *x;

    if (m == NULL)
        fail_msg("%s not found (%s)", mac, props ? props : "default");
    x = EVP_MAC_CTX_new(m);
    assert_non_null(x);
    EVP_MAC_free(m);
    return x;
}

static size_t mac_once(OSSL_LIB_CTX *ctx, const char *props, const char *mac, const char *sub,
                       const unsigned char *key, size_t keylen, const unsigned char *in,
                       size_t len, unsigned char *out)
{
    EVP_MAC_CTX *x = mac_new(ctx, props, mac);
    OSSL_PARAM p[2];
    size_t n = 0;

    sub_params(p, mac, sub);
    if (!EVP_MAC_init(x, key, keylen, p)) {
        ERR_print_errors_fp(stderr);
        fail_msg("%s/%s: init failed", mac, sub);
    }
    assert_int_equal(EVP_MAC_update(x, in, len), 1);
    assert_int_equal(EVP_MAC_final(x, out, &n, EVP_MAX_MD_SIZE), 1);
    EVP_MAC_CTX_free(x);
    return n;
}

/* ---- known answers ------------------------------------------------------ */

/* key and data in kat_bytes()'s notation */
static const struct {
    const char *mac, *sub, *key, *data, *want;
} kats[] = {
    /* RFC 2202 section 3 */
    { "HMAC", "SHA1", "=0b20", "'Hi There", "b617318655057264e28bc0b6fb378c8ef146be00" },
    { "HMAC", "SHA1", "4a656665", "'what do ya want for nothing?",
      "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79" },
    { "HMAC", "SHA1", "=aa20", "=dd50", "125d7342b9ac11cd91a39af48aa17b4f63f175d3" },
    /* RFC 4231 test cases 1, 2, 3, 6, 7 */
    { "HMAC", "SHA2-256", "=0b20", "'Hi There",
      "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
    { "HMAC", "SHA2-512", "=0b20", "'Hi There",
      "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
      "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854" },
    { "HMAC", "SHA2-256", "4a656665", "'what do ya want for nothing?",
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
    { "HMAC", "SHA2-512", "4a656665", "'what do ya want for nothing?",
      "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
      "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737" },
    { "HMAC", "SHA2-256", "=aa20", "=dd50",
      "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe" },
    { "HMAC", "SHA2-512", "=aa20", "=dd50",
      "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39"
      "bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb" },
    { "HMAC", "SHA2-256", "=aa131", kat_rfc4231_tc6,
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
    { "HMAC", "SHA2-512", "=aa131", kat_rfc4231_tc6,
      "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
      "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598" },
    { "HMAC", "SHA2-256", "=aa131", kat_rfc4231_tc7,
      "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" },
    { "HMAC", "SHA2-512", "=aa131", kat_rfc4231_tc7,
      "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944"
      "b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58" },
    /* RFC 4493 section 4 (AES-128), NIST SP 800-38B D.2 / D.3 (AES-192, AES-256) */
    { "CMAC", "AES-128-CBC", "2b7e151628aed2a6abf7158809cf4f3c", "#0",
      "bb1d6929e95937287fa37d129b756746" },
    { "CMAC", "AES-128-CBC", "2b7e151628aed2a6abf7158809cf4f3c", "#16",
      "070a16b46b4d4144f79bdd9dd04a287c" },
    { "CMAC", "AES-128-CBC", "2b7e151628aed2a6abf7158809cf4f3c", "#40",
      "dfa66747de9ae63030ca32611497c827" },
    { "CMAC", "AES-128-CBC", "2b7e151628aed2a6abf7158809cf4f3c", "#64",
      "51f0bebf7e3b9d92fc49741779363cfe" },
    { "CMAC", "AES-192-CBC", "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b", "#0",
      "d17ddf46adaacde531cac483de7a9367" },
    { "CMAC", "AES-192-CBC", "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b", "#64",
      "a1d5df0eed790f794d77589659f39a11" },
    { "CMAC", "AES-256-CBC", "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
      "#16", "28a7023f452e8f82bd4bf28d8c37c35c" },
    { "CMAC", "AES-256-CBC", "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
      "#64", "e1992190549f6ed5696a2c056c315410" },
};

static void run_kats(struct kactest *t)
{
    size_t i;

    for (i = 0; i < N_ELEMS(kats); i++) {
        unsigned char want[64], got[EVP_MAX_MD_SIZE], *key, *data;
        size_t kl, dl, wl = kactest_unhex(kats[i].want, want);

        key = kat_bytes(kats[i].key, &kl);
        data = kat_bytes(kats[i].data, &dl);
        assert_int_equal(mac_once(t->ctx, "provider=kaccel", kats[i].mac, kats[i].sub, key, kl,
                                  data, dl, got), wl);
        if (memcmp(got, want, wl) != 0)
            fail_msg("%s-%s known answer %zu mismatch", kats[i].mac, kats[i].sub, i);
        free(key);
        free(data);
    }
}

/* ---- parameters --------------------------------------------------------- */

static void params_match(struct kactest *t, const struct variant *v)
{
    EVP_MAC *k = EVP_MAC_fetch(t->ctx, v->mac, "provider=kaccel");
    EVP_MAC *r = EVP_MAC_fetch(t->ref, v->mac, NULL);
    EVP_MAC_CTX *kx, *rx;
    unsigned char key[32] = { 7 };
    size_t sz[2] = { 1, 2 }, bs[2] = { 3, 4 };
    OSSL_PARAM p[2];
    int i;

    assert_non_null(k);
    assert_non_null(r);
    if (!kat_same_keys(EVP_MAC_settable_ctx_params(k), EVP_MAC_settable_ctx_params(r))
        || !kat_same_keys(EVP_MAC_gettable_ctx_params(k), EVP_MAC_gettable_ctx_params(r))
        || !kat_same_keys(EVP_MAC_gettable_params(k), EVP_MAC_gettable_params(r)))
        fail_msg("%s: parameter tables differ from the default provider", v->mac);
    kx = EVP_MAC_CTX_new(k);
    rx = EVP_MAC_CTX_new(r);
    sub_params(p, v->mac, v->sub);
    assert_int_equal(EVP_MAC_init(kx, key, v->keylen ? v->keylen : 20, p), 1);
    assert_int_equal(EVP_MAC_init(rx, key, v->keylen ? v->keylen : 20, p), 1);
    for (i = 0; i < 2; i++) {
        OSSL_PARAM g[] = { OSSL_PARAM_size_t(OSSL_MAC_PARAM_SIZE, &sz[i]),
                           OSSL_PARAM_size_t(OSSL_MAC_PARAM_BLOCK_SIZE, &bs[i]),
                           OSSL_PARAM_END };

        assert_int_equal(EVP_MAC_CTX_get_params(i == 0 ? kx : rx, g), 1);
    }
    if (sz[0] != sz[1] || bs[0] != bs[1])
        fail_msg("%s-%s: size / block-size differ", v->mac, v->sub);
    EVP_MAC_CTX_free(kx);
    EVP_MAC_CTX_free(rx);
    EVP_MAC_free(k);
    EVP_MAC_free(r);
}

/* ---- differential ------------------------------------------------------- */

static void stream(EVP_MAC_CTX *x, const char *what, const unsigned char *in, size_t len,
                   int dup, const unsigned char *want, size_t wantlen, uint64_t *rng)
{
    unsigned char out[EVP_MAX_MD_SIZE], r;
    size_t off = 0, dup_at, copy_off = 0, n = 0;
    EVP_MAC_CTX *copy = NULL;

    kactest_rand(rng, &r, 1);
    dup_at = dup ? (size_t)r * len / 256 : (size_t)-1;
    for (;;) {
        size_t chunk = kat_random_chunk(rng, len - off);

        if (copy == NULL && off >= dup_at) {
            copy_off = off;
            if ((copy = EVP_MAC_CTX_dup(x)) == NULL) {
                ERR_print_errors_fp(stderr);
                fail_msg("%s: EVP_MAC_CTX_dup after %zu of %zu bytes failed", what, off, len);
            }
        }
        if (off == len)
            break;
        assert_int_equal(EVP_MAC_update(x, in + off, chunk), 1);
        off += chunk;
    }
    if (!EVP_MAC_final(x, out, &n, sizeof(out))) {
        ERR_print_errors_fp(stderr);
        fail_msg("%s: final of %zu bytes failed", what, len);
    }
    if (n != wantlen || memcmp(out, want, n) != 0)
        fail_msg("%s: %zu bytes (dup %d) differ from the default provider", what, len, dup);
    if (copy != NULL) {
        assert_int_equal(EVP_MAC_update(copy, in + copy_off, len - copy_off), 1);
        assert_int_equal(EVP_MAC_final(copy, out, &n, sizeof(out)), 1);
        if (n != wantlen || memcmp(out, want, n) != 0)
            fail_msg("%s: dupctx after %zu of %zu bytes: the copy differs", what, copy_off, len);
        EVP_MAC_CTX_free(copy);
    }
}

static void differential(struct kactest *t, const struct variant *v)
{
    EVP_MAC_CTX *x = mac_new(t->ctx, "provider=kaccel", v->mac); /* reused across messages */
    uint64_t rng = seed ^ (uint64_t)strlen(v->sub) * 0x9e3779b97f4a7c15ULL ^ (uint64_t)v->sub[3];
    /* zeroed: the abandoned update below may read past len */
    unsigned char *in = calloc(1, 70000), key[200], want[EVP_MAX_MD_SIZE];
    char what[64];
    size_t si, keylen = 0;
    int dup;

    assert_non_null(in);
    snprintf(what, sizeof(what), "%s-%s", v->mac, v->sub);
    for (si = 0; si < N_ELEMS(sizes); si++) {
        size_t len = sizes[si], wl;
        OSSL_PARAM p[2];
        unsigned char b;

        kactest_rand(&rng, in, len);
        kactest_rand(&rng, &b, 1);
        /* a new key for most messages; otherwise re-init with the previous key */
        if (keylen == 0 || (b & 3) != 0) {
            keylen = v->keylen ? v->keylen : (size_t)(b % 199) + 1;
            kactest_rand(&rng, key, keylen);
            sub_params(p, v->mac, v->sub);
            assert_int_equal(EVP_MAC_init(x, key, keylen, p), 1);
        } else {
            assert_int_equal(EVP_MAC_init(x, NULL, 0, NULL), 1);
        }
        wl = mac_once(t->ref, NULL, v->mac, v->sub, key, keylen, in, len, want);
        stream(x, what, in, len, 0, want, wl, &rng);
        for (dup = 0; dup <= 1; dup++) {
            assert_int_equal(EVP_MAC_init(x, NULL, 0, NULL), 1);
            stream(x, what, in, len, 1, want, wl, &rng);
        }
        /* re-init mid-message: the abandoned part must not leak into the next one */
        assert_int_equal(EVP_MAC_init(x, NULL, 0, NULL), 1);
        assert_int_equal(EVP_MAC_update(x, in, len / 2 + 3000), 1);
        assert_int_equal(EVP_MAC_init(x, NULL, 0, NULL), 1);
        stream(x, what, in, len, 0, want, wl, &rng);
    }
    EVP_MAC_CTX_free(x);
    free(in);
}

/* HMAC TLS-record mode (tls-data-size) is OpenSSL's own constant-time code. */
static void hmac_tls(struct kactest *t)
{
    unsigned char key[20] = { 9 }, hdr[13] = { 1, 2, 3 }, rec[300], out[2][EVP_MAX_MD_SIZE];
    size_t n[2], tls = sizeof(rec);
    OSSL_LIB_CTX *ctxs[2] = { t->ctx, t->ref };
    int i;

    memset(rec, 0x33, sizeof(rec));
    for (i = 0; i < 2; i++) {
        EVP_MAC_CTX *x = mac_new(ctxs[i], i == 0 ? "provider=kaccel" : NULL, "HMAC");
        OSSL_PARAM p[] = { OSSL_PARAM_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA1", 0),
                           OSSL_PARAM_size_t(OSSL_MAC_PARAM_TLS_DATA_SIZE, &tls),
                           OSSL_PARAM_END };

        assert_int_equal(EVP_MAC_CTX_set_params(x, p), 1);
        assert_int_equal(EVP_MAC_init(x, key, sizeof(key), NULL), 1);
        assert_int_equal(EVP_MAC_update(x, hdr, sizeof(hdr)), 1);
        assert_int_equal(EVP_MAC_update(x, rec, 280), 1);
        assert_int_equal(EVP_MAC_final(x, out[i], &n[i], sizeof(out[i])), 1);
        EVP_MAC_CTX_free(x);
    }
    assert_int_equal(n[0], n[1]);
    assert_memory_equal(out[0], out[1], n[0]);
}

/* Bad input gets a clear error, never a crash. */
static void bad_inputs(struct kactest *t)
{
    unsigned char key[16] = { 1 }, buf[3000] = { 0 }, out[EVP_MAX_MD_SIZE];
    EVP_MAC_CTX *x;
    OSSL_PARAM p[2];
    size_t n, len;

    /* no key */
    x = mac_new(t->ctx, "provider=kaccel", "HMAC");
    sub_params(p, "HMAC", "SHA2-256");
    assert_int_equal(EVP_MAC_init(x, NULL, 0, p), 0);
    assert_int_not_equal(ERR_peek_error(), 0);
    ERR_clear_error();
    assert_int_equal(EVP_MAC_update(x, buf, 16), 0);
    ERR_clear_error();
    EVP_MAC_CTX_free(x);
    x = mac_new(t->ctx, "provider=kaccel", "CMAC");
    sub_params(p, "CMAC", "AES-128-CBC");
    assert_int_equal(EVP_MAC_init(x, NULL, 0, p), 0);
    assert_int_not_equal(ERR_peek_error(), 0);
    ERR_clear_error();
    /* CMAC: wrong key length for the cipher */
    sub_params(p, "CMAC", "AES-256-CBC");
    assert_int_equal(EVP_MAC_init(x, key, 16, p), 0);
    ERR_clear_error();
    EVP_MAC_CTX_free(x);
    /* unknown digest name */
    x = mac_new(t->ctx, "provider=kaccel", "HMAC");
    sub_params(p, "HMAC", "NO-SUCH-DIGEST");
    assert_int_equal(EVP_MAC_CTX_set_params(x, p), 0);
    assert_int_not_equal(ERR_peek_error(), 0);
    ERR_clear_error();
    assert_int_equal(EVP_MAC_init(x, key, sizeof(key), p), 0);
    ERR_clear_error();
    /* final twice, update after final (short and offloadable messages) */
    sub_params(p, "HMAC", "SHA2-256");
    for (len = 0; len <= 3000; len += 3000) {
        assert_int_equal(EVP_MAC_init(x, key, sizeof(key), p), 1);
        assert_int_equal(EVP_MAC_update(x, buf, len), 1);
        assert_int_equal(EVP_MAC_final(x, out, &n, sizeof(out)), 1);
        assert_int_equal(EVP_MAC_final(x, out, &n, sizeof(out)), 0);
        assert_int_not_equal(ERR_peek_error(), 0);
        ERR_clear_error();
        assert_int_equal(EVP_MAC_update(x, buf, 16), 0);
        assert_int_not_equal(ERR_peek_error(), 0);
        ERR_clear_error();
    }
    /* output buffer too small */
    assert_int_equal(EVP_MAC_init(x, key, sizeof(key), p), 1);
    assert_int_equal(EVP_MAC_final(x, out, &n, 16), 0);
    ERR_clear_error();
    EVP_MAC_CTX_free(x);
}

static void scenario(const char *const *lines, int expect_offload, const char *what)
{
    struct kactest t;
    struct kat_offload o;
    const char *names[N_ELEMS(variants)]; /* kaccel's variants (NULL: not kaccel's) */
    size_t i;

    kactest_open(&t, lines);
    for (i = 0; i < N_ELEMS(variants); i++)
        names[i] = variants[i].kvar;
    kat_offload_begin(&o, &t, names, N_ELEMS(variants), KAT_COUNT_SW);
    run_kats(&t);
    for (i = 0; i < N_ELEMS(variants); i++) {
        params_match(&t, &variants[i]);
        differential(&t, &variants[i]);
    }
    hmac_tls(&t);
    bad_inputs(&t);
    kat_offload_end(&o, &t, what, expect_offload);
    kactest_close(&t);
}

static void test_software_only(void **state)
{
    scenario(kat_software_only, 0, "software");
}

static void test_offload_only(void **state)
{
    scenario(kat_offload_only, 1, "offload");
}

static void test_mixed(void **state)
{
    scenario(kat_mixed, 1, "mixed");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_software_only),
        cmocka_unit_test(test_offload_only),
        cmocka_unit_test(test_mixed),
    };

    seed = kactest_seed();
    kat_afalg("test_mac");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
