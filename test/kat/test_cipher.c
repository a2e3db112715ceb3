/*
 * AES-ECB/CBC/CTR/XTS through kaccel: published known answers, and
 * differential tests against OpenSSL's default provider over sizes 0..70000,
 * random chunking, in place, dupctx mid-stream, padding on and off, under
 * three routings: software only, offload only, and a threshold that makes
 * calls alternate between the two.  Where AF_ALG exists (the guest), counters
 * must show the offload path ran for every algorithm the kernel offers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "kactest.h"
#include "katutil.h"

static const char *const ciphers[] = {
    "AES-128-ECB", "AES-192-ECB", "AES-256-ECB", "AES-128-CBC", "AES-192-CBC",
    "AES-256-CBC", "AES-128-CTR", "AES-192-CTR", "AES-256-CTR", "AES-128-XTS", "AES-256-XTS",
};
static const size_t sizes[] = { 0,   1,   15,  16,   17,   31,   32,   33,   48,    63,   64,
                                100, 255, 256, 1000, 4095, 4096, 4097, 8192, 16384, 65536,
                                65537, 70000 };

static uint64_t seed;
static int have_afalg;

/* ---- known answers ---------------------------------------------------- */

struct kat {
    const char *cipher, *key, *iv, *pt, *ct;
};

/* NIST SP 800-38A F.1.1, F.2.1, F.2.5, F.5.1, F.5.5; IEEE 1619-2007 vectors 1 and 10. */
static const struct kat kats[] = {
    { "AES-128-ECB", "2b7e151628aed2a6abf7158809cf4f3c", NULL,
      "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51",
      "3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf" },
    { "AES-128-CBC", "2b7e151628aed2a6abf7158809cf4f3c", "000102030405060708090a0b0c0d0e0f",
      "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
      "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710",
      "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"
      "73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7" },
    { "AES-256-CBC", "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
      "000102030405060708090a0b0c0d0e0f",
      "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51",
      "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d" },
    { "AES-128-CTR", "2b7e151628aed2a6abf7158809cf4f3c", "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
      "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51",
      "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff" },
    { "AES-256-CTR", "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
      "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
      "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51",
      "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5" },
    { "AES-128-XTS",
      "0000000000000000000000000000000011111111111111111111111111111111",
      "00000000000000000000000000000000",
      "0000000000000000000000000000000000000000000000000000000000000000",
      NULL /* vector 1 uses K1 == K2 == 0, rejected by OpenSSL 3: see below */ },
    { "AES-256-XTS",
      "2718281828459045235360287471352662497757247093699959574966967627"
      "3141592653589793238462643383279502884197169399375105820974944592",
      "ff000000000000000000000000000000",
      "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
      "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f",
      "1c3b3a102f770386e4836c99e370cf9bea00803f5e482357a4ae12d414a3e63b"
      "5d31e276f8fe4a8d66b317f9ac683f44680a86ac35adfc3345befecb4bb188fd" },
};

/* One-shot encrypt/decrypt with padding off through a fetched cipher. */
static size_t crypt_once(OSSL_LIB_CTX *ctx, const char *props, const char *name, int enc,
                         const unsigned char *key, const unsigned char *iv,
                         const unsigned char *in, size_t len, unsigned char *out, int pad)
{
    EVP_CIPHER *c = EVP_CIPHER_fetch(ctx, name, props);
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    int n1 = 0, n2 = 0;

    assert_non_null(c);
    assert_non_null(x);
    assert_int_equal(EVP_CipherInit_ex2(x, c, key, iv, enc, NULL), 1);
    EVP_CIPHER_CTX_set_padding(x, pad);
    assert_int_equal(EVP_CipherUpdate(x, out, &n1, in, (int)len), 1);
    assert_int_equal(EVP_CipherFinal_ex(x, out + n1, &n2), 1);
    EVP_CIPHER_CTX_free(x);
    EVP_CIPHER_free(c);
    return (size_t)(n1 + n2);
}

static void run_kats(struct kactest *t)
{
    size_t i;

    for (i = 0; i < sizeof(kats) / sizeof(kats[0]); i++) {
        unsigned char key[64], iv[16], pt[64], ct[64], out[80];
        size_t len;

        if (kats[i].ct == NULL)
            continue;
        kactest_unhex(kats[i].key, key);
        if (kats[i].iv)
            kactest_unhex(kats[i].iv, iv);
        len = kactest_unhex(kats[i].pt, pt);
        kactest_unhex(kats[i].ct, ct);
        assert_int_equal(crypt_once(t->ctx, "provider=kaccel", kats[i].cipher, 1, key,
                                    kats[i].iv ? iv : NULL, pt, len, out, 0), len);
        if (memcmp(out, ct, len) != 0)
            fail_msg("%s: known answer mismatch (encrypt)", kats[i].cipher);
        assert_int_equal(crypt_once(t->ctx, "provider=kaccel", kats[i].cipher, 0, key,
                                    kats[i].iv ? iv : NULL, ct, len, out, 0), len);
        if (memcmp(out, pt, len) != 0)
            fail_msg("%s: known answer mismatch (decrypt)", kats[i].cipher);
    }
}

/* ---- differential ----------------------------------------------------- */

static int is_xts(const char *n) { return strstr(n, "XTS") != NULL; }
static int is_block(const char *n) { return strstr(n, "ECB") || strstr(n, "CBC"); }

/*
 * Streams len bytes through ctx in random chunks (XTS: one update), optionally
 * in place and with a dupctx at a random point whose copy must finish the same
 * way.  Returns the output length.
 */
static size_t stream(EVP_CIPHER_CTX *x, const unsigned char *in, size_t len, unsigned char *out,
                     int inplace, int dup, uint64_t *rng)
{
    unsigned char *src = (unsigned char *)in, r;
    size_t off = 0, outl = 0, dup_at;
    EVP_CIPHER_CTX *copy = NULL;
    unsigned char *copy_out = NULL;
    size_t copy_outl = 0;
    int n = 0;
    const char *name = EVP_CIPHER_get0_name(EVP_CIPHER_CTX_get0_cipher(x));

    if (inplace) {
        memcpy(out, in, len);
        src = out;
    }
    kactest_rand(rng, &r, 1);
    dup_at = dup && len > 0 ? (size_t)r * len / 256 : (size_t)-1;
    while (off < len) {
        size_t chunk;
        unsigned char b[2];

        kactest_rand(rng, b, 2);
        /*
         * XTS: one data unit.  In place, OpenSSL requires out == in exactly, so
         * padded block modes (whose output lags the input) go in one update.
         */
        if (is_xts(name) || (inplace && is_block(name)))
            chunk = len;
        else
            chunk = (b[0] & 1) ? (size_t)b[1] + 1 : ((size_t)b[0] << 8 | b[1]) % 20000 + 1;
        if (chunk > len - off)
            chunk = len - off;
        if (copy == NULL && dup_at != (size_t)-1 && off >= dup_at) {
            copy = EVP_CIPHER_CTX_new();
            assert_non_null(copy);
            assert_int_equal(EVP_CIPHER_CTX_copy(copy, x), 1);
            copy_out = malloc(len + 32);
            assert_non_null(copy_out);
            memcpy(copy_out, out, outl);
            copy_outl = outl;
            /* the copy finishes in one go from here, out of place */
            assert_int_equal(EVP_CipherUpdate(copy, copy_out + copy_outl, &n, in + off,
                                              (int)(len - off)), 1);
            copy_outl += (size_t)n;
            assert_int_equal(EVP_CipherFinal_ex(copy, copy_out + copy_outl, &n), 1);
            copy_outl += (size_t)n;
        }
        /* in place: output lags input by at most the held-back partial block */
        assert_int_equal(EVP_CipherUpdate(x, out + outl, &n, src + off, (int)chunk), 1);
        outl += (size_t)n;
        off += chunk;
    }
    if (!EVP_CipherFinal_ex(x, out + outl, &n))
        return (size_t)-1;
    outl += (size_t)n;
    if (copy != NULL) {
        assert_int_equal(copy_outl, outl);
        if (memcmp(copy_out, out, outl) != 0)
            fail_msg("dupctx: the copy's output differs");
        EVP_CIPHER_CTX_free(copy);
        free(copy_out);
    }
    return outl;
}

static void differential(struct kactest *t, const char *name)
{
    EVP_CIPHER *kc, *rc;
    size_t si;
    uint64_t rng = seed ^ (uint64_t)strlen(name) * 0x9e3779b97f4a7c15ULL;

    kat_cipher_pair(t, name, &kc, &rc);
    for (si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
        size_t len = sizes[si], keylen = (size_t)EVP_CIPHER_get_key_length(rc);
        unsigned char key[64], iv[16];
        struct kat_bufs m;
        int pad, variant;

        kat_bufs_new(&m, len + 32);
        if (is_xts(name) && len < 16)
            goto next;
        for (variant = 0; variant < 4; variant++) {
            int inplace = variant & 1, dup = variant & 2;

            for (pad = 0; pad <= 1; pad++) {
                EVP_CIPHER_CTX *x;
                size_t reflen, outl;

                if (!is_block(name) && pad == 0)
                    continue; /* padding is meaningless for stream modes */
                if (is_block(name) && !pad && len % 16 != 0)
                    continue;
                kactest_rand(&rng, key, keylen);
                if (is_xts(name))
                    key[keylen / 2] = (unsigned char)~key[0]; /* halves differ */
                kactest_rand(&rng, iv, sizeof(iv));
                kactest_rand(&rng, m.pt, len);
                reflen = crypt_once(t->ref, NULL, name, 1, key, iv, m.pt, len, m.ref, pad);

                x = EVP_CIPHER_CTX_new();
                assert_int_equal(EVP_EncryptInit_ex2(x, kc, key, iv, NULL), 1);
                EVP_CIPHER_CTX_set_padding(x, pad);
                outl = stream(x, m.pt, len, m.ct, inplace, dup, &rng);
                if (outl != reflen || memcmp(m.ct, m.ref, reflen) != 0)
                    fail_msg("%s encrypt %zu bytes (pad %d, in-place %d, dup %d) differs from "
                             "the default provider", name, len, pad, inplace, !!dup);
                EVP_CIPHER_CTX_free(x);

                x = EVP_CIPHER_CTX_new();
                assert_int_equal(EVP_DecryptInit_ex2(x, kc, key, iv, NULL), 1);
                EVP_CIPHER_CTX_set_padding(x, pad);
                outl = stream(x, m.ct, reflen, m.back, inplace, dup, &rng);
                if (outl != len || memcmp(m.back, m.pt, len) != 0)
                    fail_msg("%s decrypt %zu bytes (pad %d, in-place %d, dup %d) differs", name,
                             len, pad, inplace, !!dup);
                EVP_CIPHER_CTX_free(x);
            }
        }
    next:
        kat_bufs_free(&m);
    }
    EVP_CIPHER_free(kc);
    EVP_CIPHER_free(rc);
}

/* updated-iv and num after a partial CTR block and a CBC stream match OpenSSL's. */
static void state_params(struct kactest *t)
{
    static const char *const names[] = { "AES-128-CBC", "AES-256-CTR" };
    unsigned char key[32] = { 1 }, iv[16] = { 2 }, in[100] = { 3 }, out[132];
    size_t i;

    for (i = 0; i < 2; i++) {
        EVP_CIPHER *kc = EVP_CIPHER_fetch(t->ctx, names[i], "provider=kaccel");
        EVP_CIPHER *rc = EVP_CIPHER_fetch(t->ref, names[i], NULL);
        EVP_CIPHER_CTX *a = EVP_CIPHER_CTX_new(), *b = EVP_CIPHER_CTX_new();
        unsigned char iva[16], ivb[16];
        unsigned int numa = 99, numb = 98;
        int n;
        OSSL_PARAM pa[] = { OSSL_PARAM_uint("num", &numa), OSSL_PARAM_END };
        OSSL_PARAM pb[] = { OSSL_PARAM_uint("num", &numb), OSSL_PARAM_END };

        assert_int_equal(EVP_EncryptInit_ex2(a, kc, key, iv, NULL), 1);
        assert_int_equal(EVP_EncryptInit_ex2(b, rc, key, iv, NULL), 1);
        assert_int_equal(EVP_EncryptUpdate(a, out, &n, in, 37), 1);
        assert_int_equal(EVP_EncryptUpdate(b, out, &n, in, 37), 1);
        assert_int_equal(EVP_CIPHER_CTX_get_updated_iv(a, iva, 16), 1);
        assert_int_equal(EVP_CIPHER_CTX_get_updated_iv(b, ivb, 16), 1);
        assert_memory_equal(iva, ivb, 16);
        assert_int_equal(EVP_CIPHER_CTX_get_original_iv(a, iva, 16), 1);
        assert_memory_equal(iva, iv, 16);
        assert_int_equal(EVP_CIPHER_CTX_get_params(a, pa), 1);
        assert_int_equal(EVP_CIPHER_CTX_get_params(b, pb), 1);
        assert_int_equal(numa, numb);
        EVP_CIPHER_CTX_free(a);
        EVP_CIPHER_CTX_free(b);
        EVP_CIPHER_free(kc);
        EVP_CIPHER_free(rc);
    }
}

/* Bad input gets a clear error, never a crash. */
static void bad_inputs(struct kactest *t)
{
    EVP_CIPHER *cbc = EVP_CIPHER_fetch(t->ctx, "AES-128-CBC", "provider=kaccel");
    EVP_CIPHER *xts = EVP_CIPHER_fetch(t->ctx, "AES-128-XTS", "provider=kaccel");
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    unsigned char key[32] = { 0 }, iv[16] = { 0 }, buf[64] = { 0 }, out[96];
    int n;

    assert_non_null(cbc);
    assert_non_null(xts);
    /* no key */
    assert_int_equal(EVP_EncryptInit_ex2(x, cbc, NULL, iv, NULL), 1);
    assert_int_equal(EVP_EncryptUpdate(x, out, &n, buf, 16), 0);
    assert_int_not_equal(ERR_peek_error(), 0);
    ERR_clear_error();
    /* wrong final block length without padding */
    assert_int_equal(EVP_EncryptInit_ex2(x, cbc, key, iv, NULL), 1);
    EVP_CIPHER_CTX_set_padding(x, 0);
    assert_int_equal(EVP_EncryptUpdate(x, out, &n, buf, 17), 1);
    assert_int_equal(EVP_EncryptFinal_ex(x, out + n, &n), 0);
    assert_int_not_equal(ERR_peek_error(), 0);
    ERR_clear_error();
    /* bad padding on decrypt: zero blocks decrypt to a last byte 0x3a, no pad length */
    assert_int_equal(EVP_DecryptInit_ex2(x, cbc, key, iv, NULL), 1);
    EVP_CIPHER_CTX_set_padding(x, 1);
    assert_int_equal(EVP_DecryptUpdate(x, out, &n, buf, 32), 1);
    assert_int_equal(EVP_DecryptFinal_ex(x, out + n, &n), 0);
    assert_int_not_equal(ERR_peek_error(), 0);
    ERR_clear_error();
    /* update after final */
    assert_int_equal(EVP_EncryptInit_ex2(x, cbc, key, iv, NULL), 1);
    assert_int_equal(EVP_EncryptUpdate(x, out, &n, buf, 16), 1);
    assert_int_equal(EVP_EncryptFinal_ex(x, out, &n), 1);
    assert_int_equal(EVP_EncryptUpdate(x, out, &n, buf, 16), 0);
    ERR_clear_error();
    /* XTS: equal key halves are refused, as OpenSSL does */
    assert_int_equal(EVP_EncryptInit_ex2(x, xts, key, iv, NULL), 0);
    ERR_clear_error();
    /* XTS: less than a block */
    key[16] = 1;
    assert_int_equal(EVP_EncryptInit_ex2(x, xts, key, iv, NULL), 1);
    assert_int_equal(EVP_EncryptUpdate(x, out, &n, buf, 15), 0);
    ERR_clear_error();
    /* wrong key length through the parameter */
    {
        size_t kl = 17;
        OSSL_PARAM p[] = { OSSL_PARAM_size_t("keylen", &kl), OSSL_PARAM_END };

        assert_int_equal(EVP_CIPHER_CTX_set_params(x, p), 0);
        ERR_clear_error();
    }
    EVP_CIPHER_CTX_free(x);
    EVP_CIPHER_free(cbc);
    EVP_CIPHER_free(xts);
}

static void scenario(const char *const *lines, int expect_offload, const char *what)
{
    struct kactest t;
    struct kat_offload o;
    size_t i;

    kactest_open(&t, lines);
    kat_offload_begin(&o, &t, ciphers, sizeof(ciphers) / sizeof(ciphers[0]), 0);
    run_kats(&t);
    for (i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++)
        differential(&t, ciphers[i]);
    state_params(&t);
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

static void test_alternating(void **state)
{
    scenario(kat_mixed, 1, "mixed");
}

/* Hardware drivers only (the default): in the guest, AES-CBC on virtio-crypto. */
static void test_hardware(void **state)
{
    static const char *const l[] = { "kaccel-algorithms = all", "kaccel-min-offload = 0", NULL };
    static const char *const cbc[] = { "AES-128-CBC", "AES-192-CBC", "AES-256-CBC" };
    struct kactest t;
    size_t i;

    scenario(l, 1, "hardware");
    if (!have_afalg)
        return;
    kactest_open(&t, l);
    for (i = 0; i < 3; i++) {
        const char *d = kactest_route(&t, cbc[i]);

        if (d == NULL || strcmp(d, "virtio_crypto_aes_cbc") != 0)
            fail_msg("%s must run on virtio_crypto_aes_cbc, routed to %s", cbc[i],
                     d ? d : "software");
    }
    kactest_close(&t);
}

/* In the guest every algorithm the kernel offers must have been routed. */
static void test_routes(void **state)
{
    static const char *const any[] = { "kaccel-algorithms = all", "kaccel-afalg-drivers = any",
                                       NULL };
    static const char *const hw[] = { "kaccel-algorithms = all", NULL };
    struct kactest t;
    const char *d;
    size_t i;

    if (!have_afalg)
        skip();
    kactest_open(&t, any);
    for (i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++)
        if (kactest_route(&t, ciphers[i]) == NULL)
            fail_msg("%s: the guest kernel offers it but kaccel has no route", ciphers[i]);
    kactest_close(&t);
    kactest_open(&t, hw);
    d = kactest_route(&t, "AES-128-CBC");
    if (d == NULL || strcmp(d, "virtio_crypto_aes_cbc") != 0)
        fail_msg("AES-128-CBC must be routed to virtio_crypto_aes_cbc, got %s", d ? d : "none");
    assert_null(kactest_route(&t, "AES-128-CTR")); /* only CPU drivers: software */
    kactest_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_software_only),
        cmocka_unit_test(test_offload_only),
        cmocka_unit_test(test_alternating),
        cmocka_unit_test(test_hardware),
        cmocka_unit_test(test_routes),
    };

    seed = kactest_seed();
    have_afalg = kat_afalg("test_cipher");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
