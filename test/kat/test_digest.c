/*
 * SHA-1, SHA-2 and SHA-3 through kaccel: FIPS 180-4 / FIPS 202 known answers
 * ("abc" and the 448-bit message), and differential tests against OpenSSL's
 * default provider over sizes 0..70000 with random chunking, dupctx
 * mid-stream and context reuse, under three routings: software only, offload
 * only, and a threshold that splits messages between the two.  Where AF_ALG
 * exists (the guest), every digest the kernel offers must really offload.
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

static const char *const digests[] = {
    "SHA1",     "SHA2-224", "SHA2-256", "SHA2-384", "SHA2-512",
    "SHA3-224", "SHA3-256", "SHA3-384", "SHA3-512",
};
static const size_t sizes[] = { 0,   1,   3,   55,   56,   63,   64,   65,   71,   72,    100,
                                127, 128, 135, 136,  143,  144,  1000, 1999, 2000, 2001, 4096,
                                8191, 16384, 65535, 65536, 65537, 70000 };

static uint64_t seed;
static size_t min_offload; /* the scenario's threshold (SIZE_MAX: software only) */

/* ---- known answers ---------------------------------------------------- */

static const char msg448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

/* FIPS 180-4 and FIPS 202 examples (NIST CSRC "Example Values"). */
static const struct {
    const char *md, *abc, *m448;
} kats[] = {
    { "SHA1", "a9993e364706816aba3e25717850c26c9cd0d89d",
      "84983e441c3bd26ebaae4aa1f95129e5e54670f1" },
    { "SHA2-224", "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7",
      "75388b16512776cc5dba5da1fd890150b0c6455cb4f58b1952522525" },
    { "SHA2-256", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
    { "SHA2-384",
      "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
      "3391fdddfc8dc7393707a65b1b4709397cf8b1d162af05abfe8f450de5f36bc6b0455a8520bc4e6f5fe95b1fe3c8452b" },
    { "SHA2-512",
      "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
      "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
      "204a8fc6dda82f0a0ced7beb8e08a41657c16ef468b228a8279be331a703c335"
      "96fd15c13b1b07f9aa1d3bea57789ca031ad85c7a71dd70354ec631238ca3445" },
    { "SHA3-224", "e642824c3f8cf24ad09234ee7d3c766fc9a3a5168d0c94ad73b46fdf",
      "8a24108b154ada21c9fd5574494479ba5c7e7ab76ef264ead0fcce33" },
    { "SHA3-256", "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532",
      "41c0dba2a9d6240849100376a8235e2c82e1b9998a999e21db32dd97496d3376" },
    { "SHA3-384",
      "ec01498288516fc926459f58e2c6ad8df9b473cb0fc08c2596da7cf0e49be4b298d88cea927ac7f539f1edf228376d25",
      "991c665755eb3a4b6bbdfb75c78a492e8c56a22c5c4d7e429bfdbc32b9d4ad5aa04a1f076e62fea19eef51acd0657c22" },
    { "SHA3-512",
      "b751850b1a57168a5693cd924b6b096e08f621827444f70d884f5d0240d2712e"
      "10e116e9192af3c91a7ec57647e3934057340b4cf408d5a56592f8274eec53f0",
      "04a371e84ecfb5b8b77cb48610fca8182dd457ce6f326a0fd3d7ec2f1e91636d"
      "ee691fbe0c985302ba1b0d8dc78c086346b533b49c030d99a27daf1139d6e75e" },
};

static size_t digest_once(OSSL_LIB_CTX *ctx, const char *props, const char *name,
                          const unsigned char *in, size_t len, unsigned char *out)
{
    EVP_MD *md = EVP_MD_fetch(ctx, name, props);
    EVP_MD_CTX *x = EVP_MD_CTX_new();
    unsigned int n = 0;

    if (md == NULL)
        fail_msg("%s not found (%s)", name, props ? props : "default");
    assert_non_null(x);
    assert_int_equal(EVP_DigestInit_ex2(x, md, NULL), 1);
    assert_int_equal(EVP_DigestUpdate(x, in, len), 1);
    assert_int_equal(EVP_DigestFinal_ex(x, out, &n), 1);
    EVP_MD_CTX_free(x);
    EVP_MD_free(md);
    return n;
}

static void run_kats(struct kactest *t)
{
    size_t i;

    for (i = 0; i < N_ELEMS(kats); i++) {
        unsigned char want[64], got[64];
        size_t n;

        n = kactest_unhex(kats[i].abc, want);
        assert_int_equal(digest_once(t->ctx, "provider=kaccel", kats[i].md,
                                     (const unsigned char *)"abc", 3, got), n);
        if (memcmp(got, want, n) != 0)
            fail_msg("%s(\"abc\"): known answer mismatch", kats[i].md);
        n = kactest_unhex(kats[i].m448, want);
        assert_int_equal(digest_once(t->ctx, "provider=kaccel", kats[i].md,
                                     (const unsigned char *)msg448, 56, got), n);
        if (memcmp(got, want, n) != 0)
            fail_msg("%s(448-bit message): known answer mismatch", kats[i].md);
    }
}

/* ---- parameters --------------------------------------------------------- */

static void params_match(struct kactest *t, const char *name)
{
    EVP_MD *k = EVP_MD_fetch(t->ctx, name, "provider=kaccel");
    EVP_MD *r = EVP_MD_fetch(t->ref, name, NULL);
    size_t bs[2] = { 0, 0 }, sz[2] = { 0, 0 };
    int xof[2] = { 7, 7 }, absent[2] = { 7, 7 }, i;

    assert_non_null(k);
    assert_non_null(r);
    for (i = 0; i < 2; i++) {
        OSSL_PARAM p[] = {
            OSSL_PARAM_size_t(OSSL_DIGEST_PARAM_BLOCK_SIZE, &bs[i]),
            OSSL_PARAM_size_t(OSSL_DIGEST_PARAM_SIZE, &sz[i]),
            OSSL_PARAM_int(OSSL_DIGEST_PARAM_XOF, &xof[i]),
            OSSL_PARAM_int(OSSL_DIGEST_PARAM_ALGID_ABSENT, &absent[i]),
            OSSL_PARAM_END,
        };
        assert_int_equal(EVP_MD_get_params(i == 0 ? k : r, p), 1);
    }
    if (bs[0] != bs[1] || sz[0] != sz[1] || xof[0] != xof[1] || absent[0] != absent[1])
        fail_msg("%s: get_params differ from the default provider", name);
    if (!kat_same_keys(EVP_MD_gettable_params(k), EVP_MD_gettable_params(r))
        || !kat_same_keys(EVP_MD_settable_ctx_params(k), EVP_MD_settable_ctx_params(r))
        || !kat_same_keys(EVP_MD_gettable_ctx_params(k), EVP_MD_gettable_ctx_params(r)))
        fail_msg("%s: parameter tables differ from the default provider", name);
    assert_int_equal(EVP_MD_get_flags(k), EVP_MD_get_flags(r));
    EVP_MD_free(k);
    EVP_MD_free(r);
}

/* SHA-1 "ssl3-ms" after some handshake data, below and above the threshold. */
static void ssl3_ms(struct kactest *t)
{
    static const size_t lens[] = { 10, 3000 };
    unsigned char ms[48], data[3000], a[20], b[20];
    size_t i;

    memset(ms, 0x4d, sizeof(ms));
    memset(data, 0x17, sizeof(data));
    for (i = 0; i < N_ELEMS(lens); i++) {
        OSSL_PARAM p[] = { OSSL_PARAM_octet_string(OSSL_DIGEST_PARAM_SSL3_MS, ms, 48),
                           OSSL_PARAM_END };
        OSSL_LIB_CTX *ctxs[2] = { t->ctx, t->ref };
        unsigned char *outs[2] = { a, b };
        int j, ok[2];

        for (j = 0; j < 2; j++) {
            EVP_MD *md = EVP_MD_fetch(ctxs[j], "SHA1", j == 0 ? "provider=kaccel" : NULL);
            EVP_MD_CTX *x = EVP_MD_CTX_new();
            unsigned int n;

            assert_int_equal(EVP_DigestInit_ex2(x, md, NULL), 1);
            assert_int_equal(EVP_DigestUpdate(x, data, lens[i]), 1);
            ok[j] = EVP_MD_CTX_set_params(x, p) && EVP_DigestFinal_ex(x, outs[j], &n);
            EVP_MD_CTX_free(x);
            EVP_MD_free(md);
        }
        ERR_clear_error();
        assert_int_equal(ok[1], 1);
        /* an offloaded hash cannot take it: an error, never a wrong value */
        if (ok[0] && memcmp(a, b, 20) != 0)
            fail_msg("SHA1 ssl3-ms after %zu bytes differs", lens[i]);
        if (!ok[0] && (lens[i] < min_offload || kactest_route(t, "SHA1") == NULL))
            fail_msg("SHA1 ssl3-ms after %zu bytes (in software) failed", lens[i]);
    }
}

/* ---- differential ----------------------------------------------------- */

/*
 * Hashes len bytes through x (already initialised) in random chunks; with dup,
 * copies the context at a random point and finishes the copy in one update.
 */
static void stream(EVP_MD_CTX *x, const char *name, const unsigned char *in, size_t len,
                   int dup, const unsigned char *want, size_t wantlen, uint64_t *rng)
{
    unsigned char out[EVP_MAX_MD_SIZE], r;
    size_t off = 0, dup_at, copy_off = 0;
    unsigned int n = 0;
    EVP_MD_CTX *copy = NULL;

    kactest_rand(rng, &r, 1);
    dup_at = dup ? (size_t)r * len / 256 : (size_t)-1;
    for (;;) {
        size_t chunk = kat_random_chunk(rng, len - off);

        if (copy == NULL && off >= dup_at) {
            copy = EVP_MD_CTX_new();
            assert_non_null(copy);
            copy_off = off;
            if (!EVP_MD_CTX_copy_ex(copy, x)) {
                ERR_print_errors_fp(stderr);
                fail_msg("%s: EVP_MD_CTX_copy_ex after %zu of %zu bytes failed", name, off, len);
            }
        }
        if (off == len)
            break;
        assert_int_equal(EVP_DigestUpdate(x, in + off, chunk), 1);
        off += chunk;
    }
    if (!EVP_DigestFinal_ex(x, out, &n)) {
        ERR_print_errors_fp(stderr);
        fail_msg("%s: final of %zu bytes failed", name, len);
    }
    if (n != wantlen || memcmp(out, want, n) != 0)
        fail_msg("%s: %zu bytes (dup %d) differ from the default provider", name, len, dup);
    if (copy != NULL) {
        assert_int_equal(EVP_DigestUpdate(copy, in + copy_off, len - copy_off), 1);
        assert_int_equal(EVP_DigestFinal_ex(copy, out, &n), 1);
        if (n != wantlen || memcmp(out, want, n) != 0)
            fail_msg("%s: dupctx after %zu of %zu bytes: the copy differs", name, copy_off, len);
        EVP_MD_CTX_free(copy);
    }
}

static void differential(struct kactest *t, const char *name)
{
    EVP_MD *k = EVP_MD_fetch(t->ctx, name, "provider=kaccel");
    EVP_MD_CTX *x = EVP_MD_CTX_new(); /* reused across messages */
    uint64_t rng = seed ^ (uint64_t)strlen(name) * 0x9e3779b97f4a7c15ULL ^ (uint64_t)name[4];
    unsigned char *in = malloc(70000), want[EVP_MAX_MD_SIZE];
    size_t si;
    int dup;

    if (k == NULL)
        fail_msg("%s not offered by kaccel (kaccel-algorithms = all)", name);
    assert_non_null(x);
    assert_non_null(in);
    for (si = 0; si < N_ELEMS(sizes); si++) {
        size_t len = sizes[si], wl;

        kactest_rand(&rng, in, len);
        wl = digest_once(t->ref, NULL, name, in, len, want);
        for (dup = 0; dup <= 1; dup++) {
            assert_int_equal(EVP_DigestInit_ex2(x, k, NULL), 1);
            stream(x, name, in, len, dup, want, wl, &rng);
        }
        /* re-init mid-message: the abandoned part must not leak into the next one */
        assert_int_equal(EVP_DigestInit_ex2(x, k, NULL), 1);
        assert_int_equal(EVP_DigestUpdate(x, in, len / 2 + 3000), 1);
        assert_int_equal(EVP_DigestInit_ex2(x, k, NULL), 1);
        stream(x, name, in, len, 0, want, wl, &rng);
    }
    /* the one-shot API */
    {
        unsigned char out[EVP_MAX_MD_SIZE];
        unsigned int n = 0;

        kactest_rand(&rng, in, 5000);
        assert_int_equal(EVP_Digest(in, 5000, out, &n, k, NULL), 1);
        assert_int_equal(digest_once(t->ref, NULL, name, in, 5000, want), n);
        assert_memory_equal(out, want, n);
    }
    EVP_MD_CTX_free(x);
    EVP_MD_free(k);
    free(in);
}

/* Bad input gets a clear error, never a crash. */
static void bad_inputs(struct kactest *t)
{
    EVP_MD *k = EVP_MD_fetch(t->ctx, "SHA2-256", "provider=kaccel");
    EVP_MD_CTX *x = EVP_MD_CTX_new();
    unsigned char buf[3000] = { 0 }, out[64];
    unsigned int n;
    size_t len;

    assert_non_null(k);
    assert_null(EVP_MD_fetch(t->ctx, "NO-SUCH-DIGEST", "provider=kaccel"));
    ERR_clear_error();
    for (len = 0; len <= 3000; len += 3000) {
        /* final twice, update after final */
        assert_int_equal(EVP_DigestInit_ex2(x, k, NULL), 1);
        assert_int_equal(EVP_DigestUpdate(x, buf, len), 1);
        assert_int_equal(EVP_DigestFinal_ex(x, out, &n), 1);
        assert_int_equal(EVP_DigestFinal_ex(x, out, &n), 0);
        assert_int_not_equal(ERR_peek_error(), 0);
        ERR_clear_error();
        assert_int_equal(EVP_DigestUpdate(x, buf, 16), 0);
        assert_int_not_equal(ERR_peek_error(), 0);
        ERR_clear_error();
    }
    /* update without init on a fresh context */
    EVP_MD_CTX_free(x);
    x = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestUpdate(x, buf, 16), 0);
    ERR_clear_error();
    /* SHA-256 takes no ctx parameters, as in the default provider */
    {
        unsigned char ms[48] = { 0 };
        OSSL_PARAM p[] = { OSSL_PARAM_octet_string(OSSL_DIGEST_PARAM_SSL3_MS, ms, 48),
                           OSSL_PARAM_END };

        assert_int_equal(EVP_DigestInit_ex2(x, k, NULL), 1);
        assert_int_equal(EVP_MD_CTX_set_params(x, p), 0);
        ERR_clear_error();
    }
    EVP_MD_CTX_free(x);
    EVP_MD_free(k);
}

static void scenario(const char *const *lines, int expect_offload, const char *what)
{
    struct kactest t;
    struct kat_offload o;
    size_t i;

    kactest_open(&t, lines);
    kat_offload_begin(&o, &t, digests, N_ELEMS(digests), KAT_COUNT_SW);
    run_kats(&t);
    for (i = 0; i < N_ELEMS(digests); i++) {
        params_match(&t, digests[i]);
        differential(&t, digests[i]);
    }
    ssl3_ms(&t);
    bad_inputs(&t);
    kat_offload_end(&o, &t, what, expect_offload);
    kactest_close(&t);
}

static void test_software_only(void **state)
{
    min_offload = (size_t)-1;
    scenario(kat_software_only, 0, "software");
}

static void test_offload_only(void **state)
{
    min_offload = 0;
    scenario(kat_offload_only, 1, "offload");
}

static void test_mixed(void **state)
{
    min_offload = KAT_MIXED_MIN_OFFLOAD;
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
    kat_afalg("test_digest");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
