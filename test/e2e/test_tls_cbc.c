/*
 * TLS-mode AES-CBC records (tls-version, tls-mac-size set, one update per
 * record, in place), as libssl drives them for the CBC suites, through
 * kaccel and through OpenSSL's default provider: TLS 1.0 (chained IV) and
 * TLS 1.2 (explicit IV), encrypt-then-MAC (tls-mac-size 0) and
 * MAC-then-encrypt (20, 32, 48), records of 0 to 16 KiB + MAC, every byte,
 * length and IV compared; the MAC handed out (tls-mac); records with bad
 * padding and lengths OpenSSL refuses fail alike.  Under the kat routings
 * (software, offload, mixed) and the default one (hardware drivers only: in
 * the guest, virtio-crypto); where a route exists, records must have been
 * offloaded.
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
#include <openssl/err.h>
#include <openssl/evp.h>

#include "kactest.h"
#include "katutil.h"

#define MAXREC (16384 + 48 + 16 + 256)

static const char *const ciphers[] = { "AES-128-CBC", "AES-256-CBC" };
static uint64_t seed;

struct side {
    EVP_CIPHER_CTX *e, *d;
    unsigned char buf[MAXREC];
};

static void tls_params(EVP_CIPHER_CTX *x, unsigned int version, size_t macsize)
{
    OSSL_PARAM p[] = {
        OSSL_PARAM_uint(OSSL_CIPHER_PARAM_TLS_VERSION, &version),
        OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_TLS_MAC_SIZE, &macsize),
        OSSL_PARAM_END,
    };

    assert_int_equal(EVP_CIPHER_CTX_set_params(x, p), 1);
}

static void side_open(struct side *s, const EVP_CIPHER *c, const unsigned char *key,
                      const unsigned char *iv, unsigned int version, size_t macsize)
{
    s->e = EVP_CIPHER_CTX_new();
    s->d = EVP_CIPHER_CTX_new();
    assert_non_null(s->e);
    assert_non_null(s->d);
    assert_int_equal(EVP_EncryptInit_ex2(s->e, c, key, iv, NULL), 1);
    assert_int_equal(EVP_DecryptInit_ex2(s->d, c, key, iv, NULL), 1);
    tls_params(s->e, version, macsize);
    tls_params(s->d, version, macsize);
}

static void side_close(struct side *s)
{
    EVP_CIPHER_CTX_free(s->e);
    EVP_CIPHER_CTX_free(s->d);
}

/* One record through a context, in place as libssl does: 1/0 and its length. */
static int record(EVP_CIPHER_CTX *x, unsigned char *buf, size_t len, int *outl)
{
    *outl = -1;
    return EVP_CipherUpdate(x, buf, outl, buf, (int)len);
}

static void same_iv(const char *what, EVP_CIPHER_CTX *a, EVP_CIPHER_CTX *b)
{
    unsigned char ia[16], ib[16];

    assert_int_equal(EVP_CIPHER_CTX_get_updated_iv(a, ia, sizeof(ia)), 1);
    assert_int_equal(EVP_CIPHER_CTX_get_updated_iv(b, ib, sizeof(ib)), 1);
    if (memcmp(ia, ib, sizeof(ia)) != 0)
        fail_msg("%s: IV after the record differs from the default provider's", what);
}

static void same_mac(const char *what, EVP_CIPHER_CTX *a, EVP_CIPHER_CTX *b, size_t macsize)
{
    unsigned char *ma = NULL, *mb = NULL;
    OSSL_PARAM pa[] = { OSSL_PARAM_octet_ptr(OSSL_CIPHER_PARAM_TLS_MAC, (void **)&ma, macsize),
                        OSSL_PARAM_END };
    OSSL_PARAM pb[] = { OSSL_PARAM_octet_ptr(OSSL_CIPHER_PARAM_TLS_MAC, (void **)&mb, macsize),
                        OSSL_PARAM_END };

    assert_int_equal(EVP_CIPHER_CTX_get_params(a, pa), 1);
    assert_int_equal(EVP_CIPHER_CTX_get_params(b, pb), 1);
    if (ma == NULL || mb == NULL || memcmp(ma, mb, macsize) != 0)
        fail_msg("%s: the MAC handed out differs from the default provider's", what);
}

/*
 * n records of one cipher, version and MAC size through kaccel (k) and the
 * default provider (r), each encrypted, compared, decrypted, compared; every
 * fourth one of two blocks or more tampered with (a bad padding length) and a
 * few with lengths OpenSSL refuses.
 */
static void records(struct kactest *t, const char *name, unsigned int version, size_t macsize,
                    uint64_t *rng)
{
    static struct side k, r;
    static unsigned char plain[MAXREC];
    unsigned char key[32], iv[16];
    size_t eiv = version >= 0x0302 ? 16 : 0, i, n = 24;
    EVP_CIPHER *kc, *rc;
    char what[160];

    kat_cipher_pair(t, name, &kc, &rc);
    kactest_rand(rng, key, sizeof(key));
    kactest_rand(rng, iv, sizeof(iv));
    side_open(&k, kc, key, iv, version, macsize);
    side_open(&r, rc, key, iv, version, macsize);
    for (i = 0; i < n; i++) {
        /* payload lengths: tiny, around the block size, and up to 16 KiB */
        size_t plen = i < 4 ? i * 7 : i % 3 == 0 ? 16384 : kat_rnd(rng, 16385);
        size_t len = eiv + plen + macsize;
        int kr, rr, kl, rl, tamper;

        snprintf(what, sizeof(what), "%s TLS 0x%04x mac %zu record %zu (%zu bytes)", name,
                 version, macsize, i, plen);
        kactest_rand(rng, plain, len);
        memcpy(k.buf, plain, len);
        memcpy(r.buf, plain, len);
        kr = record(k.e, k.buf, len, &kl);
        rr = record(r.e, r.buf, len, &rl);
        if (kr != rr || kl != rl || (rr && memcmp(k.buf, r.buf, (size_t)rl) != 0))
            fail_msg("%s: encrypt: kaccel %d (%d bytes), default %d (%d bytes) or bytes differ",
                     what, kr, kl, rr, rl);
        assert_int_equal(rr, 1);
        same_iv(what, k.e, r.e);
        len = (size_t)rl;
        /* a record of one block has no previous block to tamper with */
        tamper = i % 4 == 3 && len >= 32;
        if (tamper) {
            /*
             * A bad padding length: the byte above it in the previous block
             * flipped (the last block, which the next IV chains from, intact).
             */
            k.buf[len - 17] ^= 0x5a;
            r.buf[len - 17] ^= 0x5a;
        }
        kr = record(k.d, k.buf, len, &kl);
        rr = record(r.d, r.buf, len, &rl);
        ERR_clear_error();
        if (kr != rr || (rr && (kl != rl || memcmp(k.buf, r.buf, len) != 0)))
            fail_msg("%s: decrypt%s: kaccel %d (%d bytes), default %d (%d bytes) or bytes "
                     "differ", what, tamper ? " (tampered)" : "", kr, kl, rr, rl);
        if (!tamper) {
            if (rr != 1 || (size_t)rl != plen || memcmp(k.buf + eiv, plain + eiv, plen) != 0)
                fail_msg("%s: the record did not decrypt to its plaintext", what);
            if (macsize > 0) {
                same_mac(what, k.d, r.d, macsize);
                if (memcmp(k.buf + eiv + plen, plain + eiv + plen, macsize) != 0)
                    fail_msg("%s: the MAC did not decrypt", what);
            }
        }
        same_iv(what, k.d, r.d);
        if (i == 5) { /* lengths OpenSSL refuses: not whole blocks, too short */
            size_t bad[] = { 33, eiv };

            for (size_t j = 0; j < 2; j++) {
                if (bad[j] == 0)
                    continue;
                kr = record(k.d, k.buf, bad[j], &kl);
                rr = record(r.d, r.buf, bad[j], &rl);
                ERR_clear_error();
                if (kr != rr)
                    fail_msg("%s: a %zu-byte record: kaccel %d, default %d", what, bad[j], kr,
                             rr);
            }
            /* the contexts' IVs went their own ways on the failures: restart both */
            assert_int_equal(EVP_DecryptInit_ex2(k.d, NULL, NULL, iv, NULL), 1);
            assert_int_equal(EVP_DecryptInit_ex2(r.d, NULL, NULL, iv, NULL), 1);
            assert_int_equal(EVP_EncryptInit_ex2(k.e, NULL, NULL, iv, NULL), 1);
            assert_int_equal(EVP_EncryptInit_ex2(r.e, NULL, NULL, iv, NULL), 1);
        }
    }
    side_close(&k);
    side_close(&r);
    EVP_CIPHER_free(kc);
    EVP_CIPHER_free(rc);
}

static void scenario(const char *const *lines, int expect_offload, const char *what)
{
    static const unsigned int versions[] = { 0x0301, 0x0303 };
    static const size_t macs[] = { 0, 20, 32, 48 };
    uint64_t rng = seed;
    struct kactest t;
    struct kat_offload o;
    size_t c, v, m;

    kactest_open(&t, lines);
    kat_offload_begin(&o, &t, ciphers, 2, 0);
    for (c = 0; c < 2; c++)
        for (v = 0; v < 2; v++)
            for (m = 0; m < 4; m++)
                records(&t, ciphers[c], versions[v], macs[m], &rng);
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

/* The default drivers (hardware only): in the guest, virtio-crypto's cbc(aes). */
static void test_hardware(void **state)
{
    static const char *const l[] = { "kaccel-algorithms = all", "kaccel-min-offload = 0", NULL };

    scenario(l, 1, "hardware");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_software_only),
        cmocka_unit_test(test_offload_only),
        cmocka_unit_test(test_mixed),
        cmocka_unit_test(test_hardware),
    };

    seed = kactest_seed();
    kat_afalg("test_tls_cbc"); /* fails where AF_ALG is required but absent */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
