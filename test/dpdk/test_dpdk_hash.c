/*
 * Digests, HMAC and CMAC through the DPDK backend, on the software PMD named
 * by KACTEST_DPDK_DEVICE (crypto_aesni_mb0, crypto_openssl0): published
 * vectors; differential tests against OpenSSL's default provider for every
 * digest and MAC kaccel knows (those the device does not offer stay in
 * software and are checked too) over sizes 0..40 KiB around the offload
 * threshold and the largest DPDK op, with random chunking and dupctx at
 * random points; HMAC keys of every length 1..200; one session per context,
 * reused by every message until a re-key; 64 ASYNC jobs; and fault injection
 * (KACCEL_FAULT) at every DPDK call site, where the bytes must still be the
 * default provider's.
 *
 * A DPDK op hashes one whole message of at most 32 KiB: kaccel buffers the
 * message and runs one op at final; a longer message continues in software
 * here (no AF_ALG on this configuration), which the counters show.
 *
 * Fault cases and session counting run in a child that re-executes this
 * program: kaccel's copy of the core reads KACCEL_FAULT once per process and
 * the EAL comes up once per process.  The child logs through KACCEL_DEBUG
 * ("trace" logs every DPDK call) and reads its own log back.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/async.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include <kaccel/kaccel.h>

#include "afalg_guard.h"
#include "backend/dpdk/dpdk.h"
#include "kactest.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define THRESH 4096                 /* kaccel-min-offload of most scenarios */
#define MAXOP KAC_DPDK_MAX_OP       /* 32 KiB */
#define MAXMSG (40 * 1024)
#define MAXKEY 64                   /* make_key() */
#define NJOBS 64
#define CHILD_TIMEOUT 300

enum kind { DIGEST, HMAC, CMAC };

/* kaccel's name (counters, routes), kind, digest or cipher, CMAC key length */
static const struct halg {
    const char *stat;
    enum kind kind;
    const char *sub;
    size_t keylen;
} algs[] = {
    { "SHA1", DIGEST, "SHA1", 0 },
    { "SHA2-224", DIGEST, "SHA2-224", 0 },
    { "SHA2-256", DIGEST, "SHA2-256", 0 },
    { "SHA2-384", DIGEST, "SHA2-384", 0 },
    { "SHA2-512", DIGEST, "SHA2-512", 0 },
    { "SHA3-224", DIGEST, "SHA3-224", 0 },
    { "SHA3-256", DIGEST, "SHA3-256", 0 },
    { "SHA3-384", DIGEST, "SHA3-384", 0 },
    { "SHA3-512", DIGEST, "SHA3-512", 0 },
    { "HMAC-SHA1", HMAC, "SHA1", 0 },
    { "HMAC-SHA2-224", HMAC, "SHA2-224", 0 },
    { "HMAC-SHA2-256", HMAC, "SHA256", 0 }, /* an alias */
    { "HMAC-SHA2-384", HMAC, "SHA2-384", 0 },
    { "HMAC-SHA2-512", HMAC, "SHA2-512", 0 },
    { "HMAC-SHA3-224", HMAC, "SHA3-224", 0 },
    { "HMAC-SHA3-256", HMAC, "SHA3-256", 0 },
    { "HMAC-SHA3-384", HMAC, "SHA3-384", 0 },
    { "HMAC-SHA3-512", HMAC, "SHA3-512", 0 },
    { "CMAC-AES-128", CMAC, "AES-128-CBC", 16 },
    { "CMAC-AES-192", CMAC, "aes-192-cbc", 24 },
    { "CMAC-AES-256", CMAC, "AES-256-CBC", 32 },
};
#define NALGS N_ELEMS(algs)

static uint64_t seed;
static int served[NALGS]; /* 1: the device serves it (route "dpdk:<device>") */
static char dpdk_route[160];

static const struct halg *alg_named(const char *stat)
{
    size_t i;

    for (i = 0; i < NALGS; i++)
        if (strcmp(algs[i].stat, stat) == 0)
            return &algs[i];
    fail_msg("no algorithm %s", stat);
    return NULL;
}

static size_t rnd(uint64_t *s, size_t n)
{
    unsigned char b[8];
    uint64_t v;

    kactest_rand(s, b, sizeof(b));
    memcpy(&v, b, sizeof(v));
    return n > 0 ? (size_t)(v % n) : 0;
}

/* kaccel's DPDK openssl.cnf lines with extra lines, in a static list. */
static const char *const *cnf(const char *const *extra)
{
    const char *const *l = kactest_dpdk_lines(extra);

    assert_non_null(l);
    return l;
}

static const char *const cnf_thresh[] = { "kaccel-algorithms = all",
                                          "kaccel-min-offload = 4096", NULL };
static const char *const cnf_zero[] = { "kaccel-algorithms = all", "kaccel-min-offload = 0",
                                        NULL };

/* ---- one digest or MAC context, either provider -------------------------- */

struct h {
    const struct halg *a;
    EVP_MD *md;
    EVP_MD_CTX *mdx;
    EVP_MAC_CTX *macx;
};

static void h_new(struct h *h, OSSL_LIB_CTX *ctx, const char *props, const struct halg *a)
{
    memset(h, 0, sizeof(*h));
    h->a = a;
    if (a->kind == DIGEST) {
        h->md = EVP_MD_fetch(ctx, a->sub, props);
        if (h->md == NULL)
            fail_msg("%s not found (%s)", a->sub, props ? props : "default");
        h->mdx = EVP_MD_CTX_new();
        assert_non_null(h->mdx);
    } else {
        EVP_MAC *m = EVP_MAC_fetch(ctx, a->kind == HMAC ? "HMAC" : "CMAC", props);

        if (m == NULL)
            fail_msg("%s not found (%s)", a->stat, props ? props : "default");
        h->macx = EVP_MAC_CTX_new(m);
        assert_non_null(h->macx);
        EVP_MAC_free(m);
    }
}

/* Starts a message; a MAC without key keeps its key. */
static int h_init(struct h *h, const unsigned char *key, size_t keylen)
{
    OSSL_PARAM p[2];

    if (h->mdx != NULL)
        return EVP_DigestInit_ex2(h->mdx, h->md, NULL);
    p[0] = OSSL_PARAM_construct_utf8_string(h->a->kind == HMAC ? OSSL_MAC_PARAM_DIGEST
                                                               : OSSL_MAC_PARAM_CIPHER,
                                            (char *)h->a->sub, 0);
    p[1] = OSSL_PARAM_construct_end();
    return EVP_MAC_init(h->macx, key, keylen, key != NULL ? p : NULL);
}

static int h_update(struct h *h, const unsigned char *in, size_t len)
{
    return h->mdx != NULL ? EVP_DigestUpdate(h->mdx, in, len) : EVP_MAC_update(h->macx, in, len);
}

/* The result's length, or 0 when final failed. */
static size_t h_final(struct h *h, unsigned char *out)
{
    size_t n = 0;

    if (h->mdx != NULL) {
        unsigned int m = 0;

        return EVP_DigestFinal_ex(h->mdx, out, &m) ? m : 0;
    }
    return EVP_MAC_final(h->macx, out, &n, EVP_MAX_MD_SIZE) ? n : 0;
}

static void h_dup(struct h *dst, const struct h *src)
{
    memset(dst, 0, sizeof(*dst));
    dst->a = src->a;
    if (src->mdx != NULL) {
        assert_true(EVP_MD_up_ref(src->md));
        dst->md = src->md;
        dst->mdx = EVP_MD_CTX_new();
        assert_non_null(dst->mdx);
        if (!EVP_MD_CTX_copy_ex(dst->mdx, src->mdx)) {
            ERR_print_errors_fp(stderr);
            fail_msg("%s: EVP_MD_CTX_copy_ex failed", src->a->stat);
        }
    } else {
        dst->macx = EVP_MAC_CTX_dup(src->macx);
        if (dst->macx == NULL) {
            ERR_print_errors_fp(stderr);
            fail_msg("%s: EVP_MAC_CTX_dup failed", src->a->stat);
        }
    }
}

static void h_free(struct h *h)
{
    EVP_MD_CTX_free(h->mdx);
    EVP_MD_free(h->md);
    EVP_MAC_CTX_free(h->macx);
    memset(h, 0, sizeof(*h));
}

/* One message in one update through the default provider: the reference. */
static size_t reference(struct kactest *t, const struct halg *a, const unsigned char *key,
                        size_t keylen, const unsigned char *in, size_t len, unsigned char *out)
{
    struct h h;
    size_t n;

    h_new(&h, t->ref, NULL, a);
    assert_int_equal(h_init(&h, key, keylen), 1);
    assert_int_equal(h_update(&h, in, len), 1);
    n = h_final(&h, out);
    assert_int_not_equal(n, 0);
    h_free(&h);
    return n;
}

/* in[0..len) in random updates: the rest, small ones (maybe empty), or random. */
static void feed(struct h *h, const unsigned char *in, size_t len, uint64_t *rng)
{
    size_t off = 0;

    do {
        size_t n;

        switch (rnd(rng, 4)) {
        case 0:
            n = len - off;
            break;
        case 1:
            n = rnd(rng, 65);
            break;
        default:
            n = rnd(rng, len - off + 1);
            break;
        }
        if (n > len - off)
            n = len - off;
        if (h_update(h, in + off, n) != 1) {
            ERR_print_errors_fp(stderr);
            fail_msg("%s: update of %zu bytes at %zu of %zu failed", h->a->stat, n, off, len);
        }
        off += n;
    } while (off < len);
}

static void expect(struct h *h, const unsigned char *want, size_t wl, const char *what,
                   size_t len)
{
    unsigned char got[EVP_MAX_MD_SIZE];
    size_t n = h_final(h, got);

    if (n == 0) {
        ERR_print_errors_fp(stderr);
        fail_msg("%s %s (%zu bytes): final failed", h->a->stat, what, len);
    }
    if (n != wl || memcmp(got, want, wl) != 0)
        fail_msg("%s %s (%zu bytes): differs from the default provider", h->a->stat, what, len);
}

/*
 * One message through h (initialised) in random updates.  With dup set, a
 * copy taken at a random update boundary finishes the message too, before,
 * interleaved with or after the original; or is dropped unfinished.  Returns
 * the finals run (1 or 2).
 */
static int message(struct h *h, const unsigned char *in, size_t len, int dup, uint64_t *rng,
                   const unsigned char *want, size_t wl)
{
    size_t cut = rnd(rng, len + 1), mid;
    struct h d;
    int finals = 1;

    feed(h, in, cut, rng);
    if (!dup) {
        feed(h, in + cut, len - cut, rng);
        expect(h, want, wl, "message", len);
        return 1;
    }
    h_dup(&d, h);
    mid = cut + rnd(rng, len - cut + 1);
    switch (rnd(rng, 4)) {
    case 0: /* the copy first */
        feed(&d, in + cut, len - cut, rng);
        expect(&d, want, wl, "copy", len);
        feed(h, in + cut, len - cut, rng);
        finals = 2;
        break;
    case 1: /* interleaved */
        feed(h, in + cut, mid - cut, rng);
        feed(&d, in + cut, mid - cut, rng);
        feed(&d, in + mid, len - mid, rng);
        feed(h, in + mid, len - mid, rng);
        expect(&d, want, wl, "copy", len);
        finals = 2;
        break;
    case 2: /* the original first */
        feed(h, in + cut, len - cut, rng);
        expect(h, want, wl, "original", len);
        feed(&d, in + cut, len - cut, rng);
        expect(&d, want, wl, "copy", len);
        h_free(&d);
        return 2;
    default: /* the copy is dropped half-way */
        feed(&d, in + cut, mid - cut, rng);
        feed(h, in + cut, len - cut, rng);
        break;
    }
    h_free(&d);
    expect(h, want, wl, "original", len);
    return finals;
}

/* A key for a: the CMAC key length, or random 1..64 bytes for HMAC. */
static size_t make_key(const struct halg *a, unsigned char *key, uint64_t *rng)
{
    size_t kl = a->kind == CMAC ? a->keylen : a->kind == HMAC ? 1 + rnd(rng, 64) : 0;

    kactest_rand(rng, key, kl);
    return kl;
}

static int offloadable(size_t i, size_t len, size_t thresh)
{
    return served[i] && len >= thresh && len > 0 && len <= MAXOP;
}

static uint64_t stat_of(struct kactest *t, size_t i, const char *counter)
{
    return kactest_stat(t, algs[i].stat, counter);
}

/* ---- group setup: which algorithms the device serves --------------------- */

static int setup(void **state)
{
    struct kactest t;
    unsigned char in[8192], out[EVP_MAX_MD_SIZE], key[32] = { 1 };
    size_t i;

    (void)state;
    snprintf(dpdk_route, sizeof(dpdk_route), "dpdk:%s", kactest_dpdk_device());
    kactest_open(&t, cnf(cnf_thresh));
    /* One offloadable message brings the EAL up: routes then name the device. */
    memset(in, 7, sizeof(in));
    {
        struct h h;

        h_new(&h, t.ctx, "provider=kaccel", alg_named("HMAC-SHA2-256"));
        assert_int_equal(h_init(&h, key, sizeof(key)), 1);
        assert_int_equal(h_update(&h, in, sizeof(in)), 1);
        assert_int_not_equal(h_final(&h, out), 0);
        h_free(&h);
    }
    printf("# %s serves:", kactest_dpdk_device());
    for (i = 0; i < NALGS; i++) {
        const char *r = kactest_route(&t, algs[i].stat);

        served[i] = r != NULL && strcmp(r, dpdk_route) == 0;
        if (served[i])
            printf(" %s", algs[i].stat);
    }
    printf("\n# in software:");
    for (i = 0; i < NALGS; i++)
        if (!served[i])
            printf(" %s", algs[i].stat);
    printf("\n");
    kactest_close(&t);
    return 0;
}

static void test_served(void **state)
{
    (void)state;
    /* Every cryptodev with hashing offers these: without them nothing is tested. */
    if (!served[2] || !served[11])
        fail_msg("%s does not serve SHA2-256 and HMAC-SHA2-256 through kaccel",
                 kactest_dpdk_device());
}

/* ---- published vectors ---------------------------------------------------- */

static const char nist_msg[] =
    "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
    "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
static const char tc6[] = "Test Using Larger Than Block-Size Key - Hash Key First";
static const char tc7[] = "This is a test using a larger than block-size key and a larger than "
                          "block-size data. The key needs to be hashed before being used by the "
                          "HMAC algorithm.";
static const char m448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

/*
 * Key and data: hex; "'text"; "=XXn" n bytes of XX; "#n" the first n bytes of
 * the SP 800-38B example message; "%n" n bytes "a" (FIPS 180 long message).
 */
static const struct {
    const char *alg, *key, *data, *want;
} kats[] = {
    /* FIPS 180-4 / FIPS 202 examples */
    { "SHA1", "", "'abc", "a9993e364706816aba3e25717850c26c9cd0d89d" },
    { "SHA1", "", "", "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
    { "SHA1", "", m448, "84983e441c3bd26ebaae4aa1f95129e5e54670f1" },
    { "SHA1", "", "%1000000", "34aa973cd4c4daa4f61eeb2bdbad27316534016f" },
    { "SHA2-224", "", "'abc", "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7" },
    { "SHA2-256", "", "'abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
    { "SHA2-256", "", "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
    { "SHA2-256", "", m448, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
    { "SHA2-256", "", "%1000000",
      "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0" },
    { "SHA2-384", "", "'abc",
      "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
      "8086072ba1e7cc2358baeca134c825a7" },
    { "SHA2-512", "", "'abc",
      "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
      "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f" },
    { "SHA2-512", "", "%1000000",
      "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
      "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b" },
    { "SHA3-224", "", "'abc", "e642824c3f8cf24ad09234ee7d3c766fc9a3a5168d0c94ad73b46fdf" },
    { "SHA3-256", "", "'abc", "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532" },
    { "SHA3-384", "", "'abc",
      "ec01498288516fc926459f58e2c6ad8df9b473cb0fc08c2596da7cf0e49be4b2"
      "98d88cea927ac7f539f1edf228376d25" },
    { "SHA3-512", "", "'abc",
      "b751850b1a57168a5693cd924b6b096e08f621827444f70d884f5d0240d2712e"
      "10e116e9192af3c91a7ec57647e3934057340b4cf408d5a56592f8274eec53f0" },
    /* RFC 4231 test cases 1, 2, 3, 4, 6, 7 */
    { "HMAC-SHA2-224", "=0b20", "'Hi There",
      "896fb1128abbdf196832107cd49df33f47b4b1169912ba4f53684b22" },
    { "HMAC-SHA2-256", "=0b20", "'Hi There",
      "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
    { "HMAC-SHA2-384", "=0b20", "'Hi There",
      "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
      "faea9ea9076ede7f4af152e8b2fa9cb6" },
    { "HMAC-SHA2-512", "=0b20", "'Hi There",
      "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
      "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854" },
    { "HMAC-SHA2-224", "4a656665", "'what do ya want for nothing?",
      "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44" },
    { "HMAC-SHA2-256", "4a656665", "'what do ya want for nothing?",
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
    { "HMAC-SHA2-384", "4a656665", "'what do ya want for nothing?",
      "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
      "8e2240ca5e69e2c78b3239ecfab21649" },
    { "HMAC-SHA2-512", "4a656665", "'what do ya want for nothing?",
      "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
      "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737" },
    { "HMAC-SHA2-224", "=aa20", "=dd50",
      "7fb3cb3588c6c1f6ffa9694d7d6ad2649365b0c1f65d69d1ec8333ea" },
    { "HMAC-SHA2-256", "=aa20", "=dd50",
      "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe" },
    { "HMAC-SHA2-384", "=aa20", "=dd50",
      "88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b"
      "2a5ab39dc13814b94e3ab6e101a34f27" },
    { "HMAC-SHA2-512", "=aa20", "=dd50",
      "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39"
      "bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb" },
    { "HMAC-SHA2-224", "0102030405060708090a0b0c0d0e0f10111213141516171819", "=cd50",
      "6c11506874013cac6a2abc1bb382627cec6a90d86efc012de7afec5a" },
    { "HMAC-SHA2-256", "0102030405060708090a0b0c0d0e0f10111213141516171819", "=cd50",
      "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b" },
    { "HMAC-SHA2-384", "0102030405060708090a0b0c0d0e0f10111213141516171819", "=cd50",
      "3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e"
      "6801dd23c4a7d679ccf8a386c674cffb" },
    { "HMAC-SHA2-512", "0102030405060708090a0b0c0d0e0f10111213141516171819", "=cd50",
      "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3db"
      "a91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd" },
    { "HMAC-SHA2-224", "=aa131", tc6,
      "95e9a0db962095adaebe9b2d6f0dbce2d499f112f2d2b7273fa6870e" },
    { "HMAC-SHA2-256", "=aa131", tc6,
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
    { "HMAC-SHA2-384", "=aa131", tc6,
      "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6"
      "0c2ef6ab4030fe8296248df163f44952" },
    { "HMAC-SHA2-512", "=aa131", tc6,
      "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
      "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598" },
    { "HMAC-SHA2-224", "=aa131", tc7,
      "3a854166ac5d9f023f54d517d0b39dbd946770db9c2b95c9f6f565d1" },
    { "HMAC-SHA2-256", "=aa131", tc7,
      "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" },
    { "HMAC-SHA2-384", "=aa131", tc7,
      "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5"
      "a678cc31e799176d3860e6110c46523e" },
    { "HMAC-SHA2-512", "=aa131", tc7,
      "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944"
      "b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58" },
    /* RFC 2202 section 3 */
    { "HMAC-SHA1", "=0b20", "'Hi There", "b617318655057264e28bc0b6fb378c8ef146be00" },
    { "HMAC-SHA1", "=aa80", "'Test Using Larger Than Block-Size Key - Hash Key First",
      "aa4ae5e15272d00e95705637ce8a3b55ed402112" },
    /* NIST SP 800-38B appendix D.1 - D.3 */
    { "CMAC-AES-128", "2b7e151628aed2a6abf7158809cf4f3c", "#0",
      "bb1d6929e95937287fa37d129b756746" },
    { "CMAC-AES-128", "2b7e151628aed2a6abf7158809cf4f3c", "#16",
      "070a16b46b4d4144f79bdd9dd04a287c" },
    { "CMAC-AES-128", "2b7e151628aed2a6abf7158809cf4f3c", "#40",
      "dfa66747de9ae63030ca32611497c827" },
    { "CMAC-AES-128", "2b7e151628aed2a6abf7158809cf4f3c", "#64",
      "51f0bebf7e3b9d92fc49741779363cfe" },
    { "CMAC-AES-192", "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b", "#0",
      "d17ddf46adaacde531cac483de7a9367" },
    { "CMAC-AES-192", "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b", "#16",
      "9e99a7bf31e710900662f65e617c5184" },
    { "CMAC-AES-192", "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b", "#40",
      "8a1de5be2eb31aad089a82e6ee908b0e" },
    { "CMAC-AES-192", "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b", "#64",
      "a1d5df0eed790f794d77589659f39a11" },
    { "CMAC-AES-256", "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", "#0",
      "028962f61b7bf89efc6b551f4667d983" },
    { "CMAC-AES-256", "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", "#16",
      "28a7023f452e8f82bd4bf28d8c37c35c" },
    { "CMAC-AES-256", "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", "#40",
      "aaf3d8f1de5640c232f5b169b9c911e6" },
    { "CMAC-AES-256", "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", "#64",
      "e1992190549f6ed5696a2c056c315410" },
};

/* Decodes the notation of the table above into a malloc'ed buffer. */
static unsigned char *kat_bytes(const char *s, size_t *len)
{
    unsigned char *out;
    unsigned v, n;

    if (s[0] == '%') {
        *len = (size_t)atol(s + 1);
        out = malloc(*len + 1);
        assert_non_null(out);
        memset(out, 'a', *len);
        return out;
    }
    out = malloc(strlen(s) + 256);
    assert_non_null(out);
    if (s[0] == '\'') {
        *len = strlen(s) - 1;
        memcpy(out, s + 1, *len);
    } else if (s[0] == '#') {
        unsigned char all[64];

        kactest_unhex(nist_msg, all);
        *len = (size_t)atoi(s + 1);
        memcpy(out, all, *len);
    } else if (s[0] == '=') {
        assert_int_equal(sscanf(s + 1, "%2x%u", &v, &n), 2);
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

static void test_kats(void **state)
{
    struct kactest t;
    uint64_t ops0[NALGS], rng = seed;
    size_t i, j;

    (void)state;
    /* Threshold 0: every non-empty vector is one DPDK op where the device serves it. */
    kactest_open(&t, cnf(cnf_zero));
    for (j = 0; j < NALGS; j++)
        ops0[j] = stat_of(&t, j, "dpdk_ops");
    for (i = 0; i < N_ELEMS(kats); i++) {
        const struct halg *a = alg_named(kats[i].alg);
        size_t kl, dl, wl, n;
        unsigned char *key = kat_bytes(kats[i].key, &kl), *data = kat_bytes(kats[i].data, &dl);
        unsigned char want[64], got[EVP_MAX_MD_SIZE];
        struct h h;
        int pass;

        wl = kactest_unhex(kats[i].want, want);
        /* the default provider agrees with the vector (guards the table) */
        n = reference(&t, a, key, kl, data, dl, got);
        if (n != wl || memcmp(got, want, wl) != 0)
            fail_msg("vector %zu (%s): the default provider disagrees", i, a->stat);
        /* kaccel: in one update, then in random updates on the same context */
        h_new(&h, t.ctx, "provider=kaccel", a);
        for (pass = 0; pass < 2; pass++) {
            assert_int_equal(h_init(&h, a->kind == DIGEST ? NULL : key, kl), 1);
            if (pass == 0)
                assert_int_equal(h_update(&h, data, dl), 1);
            else
                feed(&h, data, dl, &rng);
            memset(got, 0, sizeof(got));
            n = h_final(&h, got);
            if (n != wl || memcmp(got, want, wl) != 0)
                fail_msg("vector %zu (%s, %zu bytes) mismatch through kaccel", i, a->stat, dl);
        }
        h_free(&h);
        free(key);
        free(data);
    }
    for (j = 0; j < NALGS; j++)
        if (served[j] && stat_of(&t, j, "dpdk_ops") == ops0[j])
            fail_msg("%s: no vector went through DPDK", algs[j].stat);
    kactest_close(&t);
}

/* ---- differential -------------------------------------------------------- */

/* Sizes: fixed ones around the threshold and the largest op, then random ones. */
static size_t pick_size(size_t k, uint64_t *rng)
{
    static const size_t fixed[] = { 0,    1,     55,    64,    4095,  4096, 4097,
                                    8191, 16384, 32767, 32768, 32769, 40960 };

    if (k < N_ELEMS(fixed))
        return fixed[k];
    switch (k % 3) {
    case 0:
        return THRESH - 64 + rnd(rng, 129);
    case 1:
        return MAXOP - 64 + rnd(rng, 129);
    default:
        return rnd(rng, MAXMSG + 1);
    }
}

static void differential(struct kactest *t, size_t ai, size_t thresh, uint64_t *rng)
{
    const struct halg *a = &algs[ai];
    unsigned char *in = malloc(MAXMSG), key[MAXKEY], want[EVP_MAX_MD_SIZE];
    uint64_t ops0 = stat_of(t, ai, "dpdk_ops"), bytes0 = stat_of(t, ai, "dpdk_bytes");
    uint64_t err0 = stat_of(t, ai, "errors"), nops = 0, nbytes = 0;
    size_t kl, k, len, wl;
    struct h h;

    assert_non_null(in);
    kl = make_key(a, key, rng);
    h_new(&h, t->ctx, "provider=kaccel", a);
    assert_int_equal(h_init(&h, a->kind == DIGEST ? NULL : key, kl), 1);
    for (k = 0; k < 31; k++) {
        int finals;

        len = pick_size(k, rng);
        kactest_rand(rng, in, len);
        if (k > 0) {
            /* mostly the same key (the session is reused), sometimes a new one */
            if (a->kind != DIGEST && rnd(rng, 6) == 0) {
                kl = make_key(a, key, rng);
                assert_int_equal(h_init(&h, key, kl), 1);
            } else {
                assert_int_equal(h_init(&h, NULL, 0), 1);
            }
        }
        wl = reference(t, a, a->kind == DIGEST ? NULL : key, kl, in, len, want);
        finals = message(&h, in, len, rnd(rng, 3) == 0, rng, want, wl);
        if (offloadable(ai, len, thresh)) {
            nops += (uint64_t)finals;
            nbytes += (uint64_t)finals * len;
        }
    }
    h_free(&h);
    free(in);
    if (stat_of(t, ai, "errors") != err0)
        fail_msg("%s: backend errors without faults", a->stat);
    if (stat_of(t, ai, "dpdk_ops") - ops0 != nops || stat_of(t, ai, "dpdk_bytes") - bytes0 != nbytes)
        fail_msg("%s: %llu DPDK ops of %llu bytes, expected %llu of %llu", a->stat,
                 (unsigned long long)(stat_of(t, ai, "dpdk_ops") - ops0),
                 (unsigned long long)(stat_of(t, ai, "dpdk_bytes") - bytes0),
                 (unsigned long long)nops, (unsigned long long)nbytes);
}

static void test_differential(void **state)
{
    struct kactest t;
    uint64_t rng = seed ^ 0x1111;
    size_t i;

    (void)state;
    kactest_open(&t, cnf(cnf_thresh));
    for (i = 0; i < NALGS; i++)
        differential(&t, i, THRESH, &rng);
    kactest_close(&t);
    /* threshold 0: every non-empty message of at most one op is offloaded */
    kactest_open(&t, cnf(cnf_zero));
    for (i = 0; i < NALGS; i++)
        differential(&t, i, 0, &rng);
    kactest_close(&t);
}

/* ---- where each size goes, by the counters ------------------------------- */

static void one_message(struct kactest *t, const struct halg *a, size_t len, uint64_t *rng)
{
    unsigned char *in = malloc(len + 1), key[MAXKEY], want[EVP_MAX_MD_SIZE];
    size_t kl = make_key(a, key, rng), wl;
    struct h h;

    assert_non_null(in);
    kactest_rand(rng, in, len);
    wl = reference(t, a, key, kl, in, len, want);
    h_new(&h, t->ctx, "provider=kaccel", a);
    assert_int_equal(h_init(&h, a->kind == DIGEST ? NULL : key, kl), 1);
    feed(&h, in, len, rng);
    expect(&h, want, wl, "message", len);
    h_free(&h);
    free(in);
}

static void test_boundaries(void **state)
{
    static const struct {
        size_t len;
        const char *counter; /* the one counter that grows */
    } cases[] = {
        { 0, "sw_small" },        { 4095, "sw_small" },   { 4096, "dpdk_ops" },
        { 32768, "dpdk_ops" },    { 32769, "sw_params" }, { 40960, "sw_params" },
        { 100000, "sw_params" },
    };
    static const char *const counters[] = { "dpdk_ops", "sw_small", "sw_params", "sw_session",
                                            "sw_op_error", "sw_queue_full", "errors" };
    struct kactest t;
    uint64_t rng = seed ^ 0x2222;
    size_t i, c, k;

    (void)state;
    kactest_open(&t, cnf(cnf_thresh));
    for (i = 0; i < NALGS; i++) {
        if (!served[i])
            continue;
        for (c = 0; c < N_ELEMS(cases); c++) {
            uint64_t before[N_ELEMS(counters)];

            for (k = 0; k < N_ELEMS(counters); k++)
                before[k] = stat_of(&t, i, counters[k]);
            one_message(&t, &algs[i], cases[c].len, &rng);
            for (k = 0; k < N_ELEMS(counters); k++) {
                uint64_t d = stat_of(&t, i, counters[k]) - before[k];

                if (d != (strcmp(counters[k], cases[c].counter) == 0))
                    fail_msg("%s, %zu bytes: %s grew by %llu (expected only %s)", algs[i].stat,
                             cases[c].len, counters[k], (unsigned long long)d,
                             cases[c].counter);
            }
        }
    }
    kactest_close(&t);
}

/* ---- HMAC keys ------------------------------------------------------------ */

static void test_hmac_keys(void **state)
{
    struct kactest t;
    uint64_t rng = seed ^ 0x3333;
    unsigned char key[2048], in[6000], want[EVP_MAX_MD_SIZE];
    size_t i, kl, wl, ops;

    (void)state;
    kactest_open(&t, cnf(cnf_thresh));
    kactest_rand(&rng, in, sizeof(in));
    for (i = 0; i < NALGS; i++) {
        const struct halg *a = &algs[i];
        uint64_t ops0 = stat_of(&t, i, "dpdk_ops");
        struct h fresh, reused;

        if (a->kind != HMAC)
            continue;
        /* one context re-keyed for every length, and a new context per key */
        h_new(&reused, t.ctx, "provider=kaccel", a);
        for (ops = 0, kl = 1; kl <= 200 + 2; kl++) {
            size_t len = kl <= 200 ? kl : kl == 201 ? 1025 : sizeof(key); /* > AF_ALG's limit */

            kactest_rand(&rng, key, len);
            wl = reference(&t, a, key, len, in, sizeof(in), want);
            assert_int_equal(h_init(&reused, key, len), 1);
            message(&reused, in, sizeof(in), 0, &rng, want, wl);
            h_new(&fresh, t.ctx, "provider=kaccel", a);
            assert_int_equal(h_init(&fresh, key, len), 1);
            message(&fresh, in, sizeof(in), 0, &rng, want, wl);
            h_free(&fresh);
            ops += 2;
        }
        h_free(&reused);
        /* keys longer than a block reach the device as their digest: all offloaded */
        if (served[i] && stat_of(&t, i, "dpdk_ops") - ops0 != ops)
            fail_msg("%s: %llu of %zu messages through DPDK", a->stat,
                     (unsigned long long)(stat_of(&t, i, "dpdk_ops") - ops0), ops);
    }
    kactest_close(&t);
}

/* ---- behaviour the default provider defines ------------------------------- */

static void test_semantics(void **state)
{
    struct kactest t;
    uint64_t rng = seed ^ 0x4444;
    unsigned char in[9000], out[2][EVP_MAX_MD_SIZE + 16];
    size_t i;

    (void)state;
    kactest_open(&t, cnf(cnf_thresh));
    kactest_rand(&rng, in, sizeof(in));
    for (i = 0; i < NALGS; i++) {
        const struct halg *a = &algs[i];
        unsigned char key[MAXKEY];
        size_t kl = make_key(a, key, &rng), n;
        struct h h;

        h_new(&h, t.ctx, "provider=kaccel", a);
        /* an empty message, and one of at least the threshold; then the context's end */
        for (n = 0; n <= sizeof(in); n += sizeof(in)) {
            unsigned char want[EVP_MAX_MD_SIZE];
            size_t wl = reference(&t, a, key, kl, in, n, want);

            assert_int_equal(h_init(&h, a->kind == DIGEST ? NULL : key, kl), 1);
            assert_int_equal(h_update(&h, in, n), 1);
            expect(&h, want, wl, "message", n);
            /* after final: update and final fail with an error until the next init */
            ERR_clear_error();
            assert_int_equal(h_update(&h, in, 16), 0);
            assert_int_not_equal(ERR_peek_error(), 0);
            ERR_clear_error();
            assert_int_equal(h_final(&h, out[0]), 0);
            assert_int_not_equal(ERR_peek_error(), 0);
            ERR_clear_error();
        }
        /* a MAC output buffer too small: refused, as by the default provider */
        if (a->kind != DIGEST) {
            struct h r;
            size_t got[2] = { 0, 0 };
            int ok[2];

            h_new(&r, t.ref, NULL, a);
            assert_int_equal(h_init(&h, key, kl), 1);
            assert_int_equal(h_init(&r, key, kl), 1);
            assert_int_equal(h_update(&h, in, sizeof(in)), 1);
            assert_int_equal(h_update(&r, in, sizeof(in)), 1);
            ok[0] = EVP_MAC_final(h.macx, out[0], &got[0], 4);
            ok[1] = EVP_MAC_final(r.macx, out[1], &got[1], 4);
            assert_int_equal(ok[0], ok[1]);
            ERR_clear_error();
            h_free(&r);
        }
        /* EVP_DigestFinalXOF on a fixed-size digest: what the default provider does */
        if (a->kind == DIGEST) {
            static const size_t xl[] = { 16, 20, 28, 32, 64 };
            size_t x;

            for (x = 0; x < N_ELEMS(xl); x++) {
                struct h r;
                int ok[2];

                h_new(&r, t.ref, NULL, a);
                assert_int_equal(h_init(&h, NULL, 0), 1);
                assert_int_equal(h_init(&r, NULL, 0), 1);
                assert_int_equal(h_update(&h, in, sizeof(in)), 1);
                assert_int_equal(h_update(&r, in, sizeof(in)), 1);
                memset(out, 0, sizeof(out));
                ok[0] = EVP_DigestFinalXOF(h.mdx, out[0], xl[x]);
                ok[1] = EVP_DigestFinalXOF(r.mdx, out[1], xl[x]);
                if (ok[0] != ok[1] || (ok[0] && memcmp(out[0], out[1], xl[x]) != 0))
                    fail_msg("%s: EVP_DigestFinalXOF(%zu) gives %d, the default provider %d",
                             a->stat, xl[x], ok[0], ok[1]);
                ERR_clear_error();
                h_free(&r);
            }
        }
        h_free(&h);
    }
    kactest_close(&t);
}

/* SHA-1's "ssl3-ms" set while the message is buffered for DPDK: it moves to software. */
static void test_ssl3_ms(void **state)
{
    struct kactest t;
    unsigned char in[10000], ms[48], out[2][EVP_MAX_MD_SIZE];
    uint64_t rng = seed ^ 0x5555, sw0;
    OSSL_PARAM p[] = { OSSL_PARAM_octet_string(OSSL_DIGEST_PARAM_SSL3_MS, ms, sizeof(ms)),
                       OSSL_PARAM_END };
    struct h h[2];
    int i;

    (void)state;
    kactest_open(&t, cnf(cnf_thresh));
    kactest_rand(&rng, in, sizeof(in));
    kactest_rand(&rng, ms, sizeof(ms));
    sw0 = kactest_stat(&t, "SHA1", "sw_params");
    h_new(&h[0], t.ctx, "provider=kaccel", alg_named("SHA1"));
    h_new(&h[1], t.ref, NULL, alg_named("SHA1"));
    for (i = 0; i < 2; i++) {
        assert_int_equal(h_init(&h[i], NULL, 0), 1);
        assert_int_equal(h_update(&h[i], in, 6000), 1);
        assert_int_equal(EVP_MD_CTX_set_params(h[i].mdx, p), 1);
        assert_int_equal(h_update(&h[i], in + 6000, sizeof(in) - 6000), 1);
        assert_int_equal(h_final(&h[i], out[i]), 20);
        h_free(&h[i]);
    }
    assert_memory_equal(out[0], out[1], 20);
    assert_int_equal(kactest_stat(&t, "SHA1", "sw_params"), sw0 + 1);
    kactest_close(&t);
}

/* ---- ASYNC jobs ----------------------------------------------------------- */

struct work {
    OSSL_LIB_CTX *ctx;
    const struct halg *a;
    unsigned char key[MAXKEY];
    size_t keylen;
    unsigned char *in;
    size_t len;
    unsigned char out[EVP_MAX_MD_SIZE], want[EVP_MAX_MD_SIZE];
    size_t outlen, wantlen;
    int ok;
};

/* One message in two updates; no cmocka in here (runs on a job's stack). */
static int run_work(void *arg)
{
    struct work *w = arg;
    const struct halg *a = w->a;
    size_t half = w->len / 2;
    EVP_MD *md = NULL;
    EVP_MD_CTX *mx = NULL;
    EVP_MAC *m = NULL;
    EVP_MAC_CTX *x = NULL;
    int ok = 0;

    w->outlen = 0;
    if (a->kind == DIGEST) {
        unsigned int n = 0;

        md = EVP_MD_fetch(w->ctx, a->sub, "provider=kaccel");
        mx = EVP_MD_CTX_new();
        ok = md != NULL && mx != NULL && EVP_DigestInit_ex2(mx, md, NULL)
             && EVP_DigestUpdate(mx, w->in, half)
             && EVP_DigestUpdate(mx, w->in + half, w->len - half)
             && EVP_DigestFinal_ex(mx, w->out, &n);
        w->outlen = n;
    } else {
        OSSL_PARAM p[2];

        p[0] = OSSL_PARAM_construct_utf8_string(a->kind == HMAC ? OSSL_MAC_PARAM_DIGEST
                                                                : OSSL_MAC_PARAM_CIPHER,
                                                (char *)a->sub, 0);
        p[1] = OSSL_PARAM_construct_end();
        m = EVP_MAC_fetch(w->ctx, a->kind == HMAC ? "HMAC" : "CMAC", "provider=kaccel");
        x = m != NULL ? EVP_MAC_CTX_new(m) : NULL;
        ok = x != NULL && EVP_MAC_init(x, w->key, w->keylen, p)
             && EVP_MAC_update(x, w->in, half) && EVP_MAC_update(x, w->in + half, w->len - half)
             && EVP_MAC_final(x, w->out, &w->outlen, sizeof(w->out));
    }
    EVP_MD_CTX_free(mx);
    EVP_MD_free(md);
    EVP_MAC_CTX_free(x);
    EVP_MAC_free(m);
    w->ok = ok;
    return ok;
}

static void test_async(void **state)
{
    struct kactest t;
    static struct work w[NJOBS];
    uint64_t rng = seed ^ 0x6666, ops0 = 0, ops = 0, pauses0, expected = 0;
    size_t i, j;
    int r;

    (void)state;
    kactest_open(&t, cnf(cnf_thresh));
    for (j = 0; j < NALGS; j++)
        ops0 += stat_of(&t, j, "dpdk_ops");
    pauses0 = kactest_stat(&t, "dpdk", "pauses");
    for (r = 0; r < 3; r++) {
        for (i = 0; i < NJOBS; i++) {
            size_t ai = rnd(&rng, NALGS);

            /* mostly algorithms the device serves */
            while (rnd(&rng, 4) != 0 && !served[ai])
                ai = rnd(&rng, NALGS);
            memset(&w[i], 0, sizeof(w[i]));
            w[i].ctx = t.ctx;
            w[i].a = &algs[ai];
            w[i].keylen = make_key(w[i].a, w[i].key, &rng);
            w[i].len = rnd(&rng, 2) ? THRESH + rnd(&rng, MAXOP - THRESH + 1)
                                    : rnd(&rng, MAXMSG + 1);
            w[i].in = malloc(w[i].len + 1);
            assert_non_null(w[i].in);
            kactest_rand(&rng, w[i].in, w[i].len);
            w[i].wantlen = reference(&t, w[i].a, w[i].key, w[i].keylen, w[i].in, w[i].len,
                                     w[i].want);
            expected += offloadable(ai, w[i].len, THRESH);
        }
        /* like `openssl speed -async_jobs`: start, wait on the wait fds, resume */
        kactest_jobs_must_run(&(struct kactest_jobs)KACTEST_JOBS(w, NJOBS, run_work));
        for (i = 0; i < NJOBS; i++) {
            if (!w[i].ok)
                fail_msg("job %zu (%s, %zu bytes) failed", i, w[i].a->stat, w[i].len);
            if (w[i].outlen != w[i].wantlen || memcmp(w[i].out, w[i].want, w[i].wantlen) != 0)
                fail_msg("job %zu (%s, %zu bytes) differs from the default provider", i,
                         w[i].a->stat, w[i].len);
            free(w[i].in);
        }
    }
    for (j = 0; j < NALGS; j++)
        ops += stat_of(&t, j, "dpdk_ops");
    ops -= ops0;
    printf("# async: 3 x %d jobs ok; %llu of %llu offloadable messages through DPDK, "
           "%llu pauses\n",
           NJOBS, (unsigned long long)ops, (unsigned long long)expected,
           (unsigned long long)(kactest_stat(&t, "dpdk", "pauses") - pauses0));
    /* a full queue pair sends a message to software: most, not all, are offloaded */
    if (expected > 0 && ops == 0)
        fail_msg("no job's message went through DPDK");
    kactest_close(&t);
}

/*
 * Threads: NTHREADS threads hash at once, mostly digests, whose one session
 * per algorithm every context of every thread shares, on queue pairs of
 * their own or shared (the default configuration has fewer pairs than
 * threads on one CPU).  Every result must equal the default provider's.
 */
#define NTHREADS 8
#define PER_THREAD 48

struct hthread {
    struct work w[PER_THREAD];
    int bad;
};

static void *hthread_main(void *arg)
{
    struct hthread *th = arg;
    size_t i;

    for (i = 0; i < PER_THREAD; i++) {
        struct work *w = &th->w[i];

        if (!run_work(w) || w->outlen != w->wantlen
            || memcmp(w->out, w->want, w->wantlen) != 0)
            th->bad++;
    }
    return NULL;
}

static void test_threads(void **state)
{
    struct kactest t;
    static struct hthread th[NTHREADS];
    pthread_t tid[NTHREADS];
    uint64_t rng = seed ^ 0x5555, ops0 = 0, ops = 0;
    size_t i, j, k;

    (void)state;
    kactest_open(&t, cnf(cnf_thresh));
    for (j = 0; j < NALGS; j++)
        ops0 += stat_of(&t, j, "dpdk_ops");
    for (k = 0; k < NTHREADS; k++) {
        th[k].bad = 0;
        for (i = 0; i < PER_THREAD; i++) {
            struct work *w = &th[k].w[i];
            size_t ai = rnd(&rng, NALGS);

            while ((algs[ai].kind != DIGEST || !served[ai]) && rnd(&rng, 8) != 0)
                ai = rnd(&rng, NALGS);
            memset(w, 0, sizeof(*w));
            w->ctx = t.ctx;
            w->a = &algs[ai];
            w->keylen = make_key(w->a, w->key, &rng);
            w->len = THRESH + rnd(&rng, MAXOP - THRESH + 1);
            w->in = malloc(w->len);
            assert_non_null(w->in);
            kactest_rand(&rng, w->in, w->len);
            w->wantlen = reference(&t, w->a, w->key, w->keylen, w->in, w->len, w->want);
        }
    }
    for (k = 0; k < NTHREADS; k++)
        assert_int_equal(pthread_create(&tid[k], NULL, hthread_main, &th[k]), 0);
    for (k = 0; k < NTHREADS; k++)
        assert_int_equal(pthread_join(tid[k], NULL), 0);
    for (k = 0; k < NTHREADS; k++) {
        for (i = 0; i < PER_THREAD; i++)
            free(th[k].w[i].in);
        if (th[k].bad)
            fail_msg("thread %zu: %d messages failed or differ from the default provider", k,
                     th[k].bad);
    }
    for (j = 0; j < NALGS; j++)
        ops += stat_of(&t, j, "dpdk_ops");
    printf("# threads: %d x %d messages ok, %llu through DPDK\n", NTHREADS, PER_THREAD,
           (unsigned long long)(ops - ops0));
    if (ops == ops0)
        fail_msg("no thread's message went through DPDK");
    kactest_close(&t);
}

/* ---- children: sessions and faults (a fresh process each) ----------------- */

static char tmpdir[64];

/* Runs this program as "--child MODE ARG SEED" with KACCEL_FAULT = fault; fails when it fails. */
static void run_child(const char *fault, const char *mode, const char *arg)
{
    char log[128], sd[32], what[256];
    const char *const args[] = { "--child", mode, arg, sd, NULL };
    const struct kactest_child c = { .args = args, .fault = fault, .log = log,
                                     .timeout = CHILD_TIMEOUT };

    snprintf(log, sizeof(log), "%s/log", tmpdir);
    snprintf(sd, sizeof(sd), "%llu", (unsigned long long)seed);
    snprintf(what, sizeof(what), "KACCEL_FAULT=%s %s %s", fault, mode, arg);
    kactest_child_expect(&c, what);
}

static void test_sessions(void **state)
{
    (void)state;
    run_child("trace", "sessions", "-");
}

static void test_session_failure(void **state)
{
    (void)state;
    run_child("dpdk_session:1+:ENOMEM,trace", "session_failure", "-");
}

/*
 * Each fault spec with what the counters (summed over every algorithm) must
 * show: "name=N" or "name>N", comma-separated.
 */
static const struct {
    const char *fault, *expect;
} fault_cases[] = {
    /* no op can be built or enqueued: a full queue, software without error */
    { "dpdk_op_alloc:1+:ENOMEM", "dpdk_ops=0,sw_queue_full>0,errors=0" },
    { "dpdk_enqueue:1+:EBUSY", "dpdk_ops=0,sw_queue_full>0,errors=0" },
    /* every op fails on the device: software, errors counted */
    { "dpdk_status:1+:EIO", "dpdk_ops=0,sw_op_error>0,errors>0" },
    { "dpdk_status:1+:EBADMSG", "dpdk_ops=0,sw_op_error>0,errors>0" },
    /* no session: software, each context tries once */
    { "dpdk_session:1+:EBUSY", "dpdk_ops=0,sw_session>0,errors>0" },
    /* one failure at each site, early in the run */
    { "dpdk_session:1:ENOMEM", "dpdk_ops>0,sw_session>0" },
    { "dpdk_session:3:EINVAL", "dpdk_ops>0,sw_session>0" },
    { "dpdk_op_alloc:1:ENOMEM", "dpdk_ops>0,sw_queue_full=1" },
    { "dpdk_op_alloc:2:ENOMEM", "dpdk_ops>0,sw_queue_full=1" },
    { "dpdk_enqueue:1:EAGAIN", "dpdk_ops>0,sw_queue_full=1" },
    { "dpdk_enqueue:2:EAGAIN", "dpdk_ops>0,sw_queue_full=1" },
    { "dpdk_status:1:EIO", "dpdk_ops>0,sw_op_error=1,errors=1" },
    { "dpdk_status:2:EBADMSG", "dpdk_ops>0,sw_op_error=1,errors=1" },
    /* intermittent, and all at once */
    { "dpdk_status:*2:EIO", "dpdk_ops>0,sw_op_error>0" },
    { "dpdk_op_alloc:*3:ENOMEM,dpdk_enqueue:*4:EAGAIN,dpdk_status:*5:EIO",
      "dpdk_ops>0,sw_queue_full>0,sw_op_error>0" },
    /* no EAL: DPDK is unavailable, everything in software */
    { "dpdk_eal:1:EIO", "dpdk_ops=0,offload_ops=0,sw_no_route>0,errors=0" },
    { "any:*3:EIO", "" },
};

static void test_faults(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < N_ELEMS(fault_cases); i++) {
        printf("# KACCEL_FAULT=%s: %s\n", fault_cases[i].fault,
               fault_cases[i].expect[0] ? fault_cases[i].expect : "results only");
        run_child(fault_cases[i].fault, "work", fault_cases[i].expect[0] ? fault_cases[i].expect
                                                                         : "-");
    }
}

/* -- child side ------------------------------------------------------------- */

/* The child's debug log size now, and how often pat occurs after offset off. */
static long log_size(void)
{
    struct stat st;

    return stat(getenv(KACCEL_ENV_DEBUG), &st) == 0 ? (long)st.st_size : 0;
}

static int log_count(long off, const char *pat)
{
    FILE *f = fopen(getenv(KACCEL_ENV_DEBUG), "r");
    char line[1024];
    int n = 0;

    assert_non_null(f);
    fseek(f, off, SEEK_SET);
    while (fgets(line, sizeof(line), f) != NULL)
        n += strstr(line, pat) != NULL;
    fclose(f);
    return n;
}

#define SESS_CALL "fault: dpdk_session #"
#define SESS_FAIL "into dpdk_session #"

/* A message of len bytes on h (initialised with key) against the reference. */
static void child_msg(struct kactest *t, struct h *h, const unsigned char *key, size_t kl,
                      size_t len, uint64_t *rng)
{
    unsigned char *in = malloc(len + 1), want[EVP_MAX_MD_SIZE];
    size_t wl;

    assert_non_null(in);
    kactest_rand(rng, in, len);
    wl = reference(t, h->a, key, kl, in, len, want);
    message(h, in, len, 0, rng, want, wl);
    free(in);
}

static void child_sessions(void)
{
    struct kactest t;
    uint64_t rng = seed ^ 0x7777;
    unsigned char k1[32], k2[32], in[8000], want[EVP_MAX_MD_SIZE];
    const struct halg *a;
    struct h h, d;
    long off;
    int m, n, n1;

    kactest_rand(&rng, k1, sizeof(k1));
    kactest_rand(&rng, k2, sizeof(k2));
    kactest_rand(&rng, in, sizeof(in));
    kactest_open(&t, cnf(cnf_thresh));

    /*
     * A digest: one session per algorithm for the process, made by the first
     * offloaded message and shared by every context and copy after it; none
     * for a short message.  Three messages on one context (OpenSSL 3.0 gives
     * each EVP_DigestInit a new provider context), then a message and its
     * copy: one session in all, freed by no context.
     */
    a = alg_named("SHA2-256");
    h_new(&h, t.ctx, "provider=kaccel", a);
    off = log_size();
    for (m = 0; m < 4; m++) {
        assert_int_equal(h_init(&h, NULL, 0), 1);
        child_msg(&t, &h, NULL, 0, m == 2 ? 100 : 8000, &rng);
    }
    if ((n1 = log_count(off, SESS_CALL)) != 1)
        fail_msg("SHA2-256: %d sessions for 3 offloaded messages on one context", n1);
    off = log_size();
    reference(&t, a, NULL, 0, in, sizeof(in), want);
    assert_int_equal(h_init(&h, NULL, 0), 1);
    assert_int_equal(h_update(&h, in, 5000), 1); /* buffered for DPDK */
    h_dup(&d, &h);
    assert_int_equal(h_update(&d, in + 5000, sizeof(in) - 5000), 1);
    assert_int_equal(h_update(&h, in + 5000, sizeof(in) - 5000), 1);
    expect(&d, want, 32, "copy", sizeof(in));
    expect(&h, want, 32, "original", sizeof(in));
    h_free(&d);
    if ((n = log_count(off, SESS_CALL)) != 0)
        fail_msg("SHA2-256: %d new sessions for a message and its copy", n);
    h_free(&h);

    /* HMAC: the same key again (init with or without it, or as a parameter) reuses */
    a = alg_named("HMAC-SHA2-256");
    h_new(&h, t.ctx, "provider=kaccel", a);
    off = log_size();
    assert_int_equal(h_init(&h, k1, sizeof(k1)), 1);
    child_msg(&t, &h, k1, sizeof(k1), 8000, &rng);
    assert_int_equal(h_init(&h, NULL, 0), 1);
    child_msg(&t, &h, k1, sizeof(k1), 9000, &rng);
    assert_int_equal(h_init(&h, k1, sizeof(k1)), 1);
    child_msg(&t, &h, k1, sizeof(k1), 10000, &rng);
    {
        OSSL_PARAM p[] = { OSSL_PARAM_octet_string(OSSL_MAC_PARAM_KEY, k1, sizeof(k1)),
                           OSSL_PARAM_END };

        assert_int_equal(EVP_MAC_CTX_set_params(h.macx, p), 1);
        assert_int_equal(h_init(&h, NULL, 0), 1);
        child_msg(&t, &h, k1, sizeof(k1), 11000, &rng);
    }
    if ((n = log_count(off, SESS_CALL)) != 1)
        fail_msg("HMAC-SHA2-256: %d sessions for one key", n);
    assert_int_equal(h_init(&h, k2, sizeof(k2)), 1); /* a new key: a new session */
    child_msg(&t, &h, k2, sizeof(k2), 8000, &rng);
    assert_int_equal(h_init(&h, NULL, 0), 1);
    child_msg(&t, &h, k2, sizeof(k2), 8000, &rng);
    if ((n = log_count(off, SESS_CALL)) != 2)
        fail_msg("HMAC-SHA2-256: %d sessions for two keys", n);
    h_dup(&d, &h); /* of a finished context: both start a new message with the key */
    assert_int_equal(h_init(&d, NULL, 0), 1);
    assert_int_equal(h_init(&h, NULL, 0), 1);
    child_msg(&t, &d, k2, sizeof(k2), 8000, &rng);
    child_msg(&t, &h, k2, sizeof(k2), 8000, &rng);
    h_free(&d);
    if ((n = log_count(off, SESS_CALL)) != 3)
        fail_msg("HMAC-SHA2-256: %d sessions after a copy (expected 3)", n);
    h_free(&h);

    /*
     * fork while a message waits in the DPDK buffer: the child may not touch
     * its parent's DPDK and finishes in software; the parent goes on.
     */
    a = alg_named("HMAC-SHA2-256");
    h_new(&h, t.ctx, "provider=kaccel", a);
    reference(&t, a, k1, sizeof(k1), in, sizeof(in), want);
    assert_int_equal(h_init(&h, k1, sizeof(k1)), 1);
    assert_int_equal(h_update(&h, in, 6000), 1);
    {
        uint64_t ops0 = kactest_stat(&t, a->stat, "dpdk_ops");
        unsigned char got[EVP_MAX_MD_SIZE];
        pid_t pid;
        int st;

        fflush(NULL);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            /* no cmocka in the forked copy: the status tells */
            int ok = h_update(&h, in + 6000, sizeof(in) - 6000) == 1 && h_final(&h, got) == 32
                     && memcmp(got, want, 32) == 0
                     && kactest_stat(&t, a->stat, "dpdk_ops") == ops0
                     && kactest_stat(&t, a->stat, "errors") == 0;

            _exit(ok ? 0 : 1);
        }
        assert_int_equal(waitpid(pid, &st, 0), pid);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            fail_msg("fork mid-message: the child's HMAC is wrong or went to DPDK (%#x)", st);
        assert_int_equal(h_update(&h, in + 6000, sizeof(in) - 6000), 1);
        expect(&h, want, 32, "after fork", sizeof(in));
        assert_int_equal(kactest_stat(&t, a->stat, "dpdk_ops"), ops0 + 1);
    }
    h_free(&h);

    /* CMAC: one session per AES key */
    a = alg_named("CMAC-AES-128");
    if (served[a - algs]) {
        h_new(&h, t.ctx, "provider=kaccel", a);
        off = log_size();
        for (m = 0; m < 3; m++) {
            assert_int_equal(h_init(&h, m == 1 ? NULL : k1, 16), 1);
            child_msg(&t, &h, k1, 16, 8000, &rng);
        }
        assert_int_equal(h_init(&h, k2, 16), 1);
        child_msg(&t, &h, k2, 16, 8000, &rng);
        if ((n = log_count(off, SESS_CALL)) != 2)
            fail_msg("CMAC-AES-128: %d sessions for two keys", n);
        h_free(&h);
    }
    kactest_close(&t);
}

/*
 * Every session creation fails: results from software; a MAC context tries
 * once per key, a digest (keyless) backs off per algorithm: 4 messages try
 * twice (the first fails, one skipped, the third fails, two skipped).
 */
static void child_session_failure(void)
{
    struct kactest t;
    uint64_t rng = seed ^ 0x8888, ss0, err0;
    unsigned char k1[32], k2[32];
    const struct halg *a;
    struct h h;
    long off;
    int m, n;

    kactest_rand(&rng, k1, sizeof(k1));
    kactest_rand(&rng, k2, sizeof(k2));
    kactest_open(&t, cnf(cnf_thresh));
    a = alg_named("SHA2-256");
    ss0 = kactest_stat(&t, a->stat, "sw_session");
    err0 = kactest_stat(&t, a->stat, "errors");
    h_new(&h, t.ctx, "provider=kaccel", a);
    off = log_size();
    for (m = 0; m < 4; m++) {
        assert_int_equal(h_init(&h, NULL, 0), 1);
        child_msg(&t, &h, NULL, 0, 8000, &rng);
    }
    h_free(&h);
    if ((n = log_count(off, SESS_FAIL)) != 2)
        fail_msg("SHA2-256: %d session attempts for 4 messages (expected 2)", n);
    assert_int_equal(kactest_stat(&t, a->stat, "sw_session") - ss0, 4);
    assert_int_equal(kactest_stat(&t, a->stat, "errors") - err0, 2);
    assert_int_equal(kactest_stat(&t, a->stat, "dpdk_ops"), 0);

    a = alg_named("HMAC-SHA2-256");
    h_new(&h, t.ctx, "provider=kaccel", a);
    off = log_size();
    for (m = 0; m < 3; m++) {
        assert_int_equal(h_init(&h, m == 0 ? k1 : NULL, sizeof(k1)), 1);
        child_msg(&t, &h, k1, sizeof(k1), 8000, &rng);
    }
    if ((n = log_count(off, SESS_FAIL)) != 1)
        fail_msg("HMAC-SHA2-256: %d session attempts for one key (expected 1)", n);
    for (m = 0; m < 3; m++) { /* a new key is tried again, once */
        assert_int_equal(h_init(&h, m == 0 ? k2 : NULL, sizeof(k2)), 1);
        child_msg(&t, &h, k2, sizeof(k2), 8000, &rng);
    }
    if ((n = log_count(off, SESS_FAIL)) != 2)
        fail_msg("HMAC-SHA2-256: %d session attempts for two keys (expected 2)", n);
    h_free(&h);
    kactest_close(&t);
}

static const char *const work_counters[] = { "dpdk_ops",    "offload_ops",   "sw_small",
                                             "sw_params",   "sw_session",    "sw_op_error",
                                             "sw_queue_full", "sw_no_route", "errors" };

/* Checks "name=N,name>N,..." against the counters' growth. */
static void check_expect(const char *expect, const uint64_t *d)
{
    char buf[256], *save = NULL, *it;

    snprintf(buf, sizeof(buf), "%s", expect);
    for (it = strtok_r(buf, ",", &save); it != NULL; it = strtok_r(NULL, ",", &save)) {
        char *op = strpbrk(it, "=>");
        unsigned long long v;
        size_t k;

        assert_non_null(op);
        v = strtoull(op + 1, NULL, 10);
        for (k = 0; k < N_ELEMS(work_counters); k++)
            if (strlen(work_counters[k]) == (size_t)(op - it)
                && strncmp(work_counters[k], it, (size_t)(op - it)) == 0)
                break;
        if (k == N_ELEMS(work_counters))
            fail_msg("unknown counter in '%s'", it);
        if (*op == '=' ? d[k] != v : d[k] <= v)
            fail_msg("KACCEL_FAULT=%s: %s is %llu, expected %s", getenv("KACCEL_FAULT"),
                     work_counters[k], (unsigned long long)d[k], it);
    }
}

/*
 * Every algorithm: one context, messages around the threshold and the largest
 * op (a copy taken in one of them), against the default provider.
 */
static void child_work(const char *expect)
{
    static const size_t sizes[] = { 0, 100, 4096, 5000, 20000, 32768, 33000, 9000 };
    uint64_t before[N_ELEMS(work_counters)] = { 0 }, after[N_ELEMS(work_counters)] = { 0 };
    uint64_t rng = seed ^ 0x9999;
    unsigned char *in = malloc(MAXMSG), key[200], want[EVP_MAX_MD_SIZE];
    struct kactest t;
    size_t i, s, k;

    assert_non_null(in);
    kactest_open(&t, cnf(cnf_thresh));
    for (i = 0; i < NALGS; i++)
        for (k = 0; k < N_ELEMS(work_counters); k++)
            before[k] += stat_of(&t, i, work_counters[k]);
    for (i = 0; i < NALGS; i++) {
        const struct halg *a = &algs[i];
        size_t kl = a->kind == HMAC ? 150 : make_key(a, key, &rng), wl; /* HMAC: a long key */
        struct h h;

        kactest_rand(&rng, key, kl);
        h_new(&h, t.ctx, "provider=kaccel", a);
        for (s = 0; s < N_ELEMS(sizes); s++) {
            kactest_rand(&rng, in, sizes[s]);
            wl = reference(&t, a, key, kl, in, sizes[s], want);
            assert_int_equal(h_init(&h, a->kind == DIGEST ? NULL : key, kl), 1);
            message(&h, in, sizes[s], s == 4, &rng, want, wl);
        }
        h_free(&h);
    }
    for (i = 0; i < NALGS; i++)
        for (k = 0; k < N_ELEMS(work_counters); k++)
            after[k] += stat_of(&t, i, work_counters[k]);
    for (k = 0; k < N_ELEMS(work_counters); k++)
        after[k] -= before[k];
    printf("#  ");
    for (k = 0; k < N_ELEMS(work_counters); k++)
        printf(" %s=%llu", work_counters[k], (unsigned long long)after[k]);
    printf("\n");
    if (strcmp(expect, "-") != 0)
        check_expect(expect, after);
    free(in);
    kactest_close(&t);
}

/*
 * kaccel-backends = dpdk, afalg: a message that outgrows one DPDK op goes on
 * through AF_ALG (the buffered part first), not to software.
 */
static void child_afalg_next(void)
{
    static const char *const extra[] = { "kaccel-algorithms = all", "kaccel-min-offload = 4096",
                                         "kaccel-afalg-drivers = any", NULL };
    const char *const *dl = cnf(extra);
    const char *lines[64];
    static const char *const names[] = { "SHA2-256", "HMAC-SHA2-256" };
    uint64_t rng = seed ^ 0xaaaa;
    unsigned char *in = malloc(MAXMSG), key[MAXKEY], want[EVP_MAX_MD_SIZE];
    struct kactest t;
    size_t n, i;
    int k;

    assert_non_null(in);
    for (n = 0; dl[n] != NULL && n < 63; n++)
        lines[n] = strcmp(dl[n], "kaccel-backends = dpdk") == 0 ? "kaccel-backends = dpdk, afalg"
                                                                 : dl[n];
    lines[n] = NULL;
    kactest_open(&t, lines);
    for (i = 0; i < N_ELEMS(names); i++) {
        const struct halg *a = alg_named(names[i]);
        size_t kl = make_key(a, key, &rng), wl;

        if (kactest_route(&t, a->stat) == NULL)
            fail_msg("%s: no route", a->stat);
        for (k = 0; k < 3; k++) {
            /* one op; one message of more; one buffered for DPDK, then outgrowing it */
            size_t len = k == 0 ? 8000 : MAXMSG;
            uint64_t ops0 = kactest_stat(&t, a->stat, "dpdk_ops");
            uint64_t off0 = kactest_stat(&t, a->stat, "offload_ops");
            uint64_t sw0 = kactest_stat(&t, a->stat, "sw_ops");
            struct h h;

            kactest_rand(&rng, in, len);
            wl = reference(&t, a, key, kl, in, len, want);
            h_new(&h, t.ctx, "provider=kaccel", a);
            assert_int_equal(h_init(&h, a->kind == DIGEST ? NULL : key, kl), 1);
            if (k == 2) {
                assert_int_equal(h_update(&h, in, 8000), 1);
                feed(&h, in + 8000, len - 8000, &rng);
            } else {
                feed(&h, in, len, &rng);
            }
            expect(&h, want, wl, k == 2 ? "DPDK then AF_ALG" : "message", len);
            h_free(&h);
            if (kactest_stat(&t, a->stat, "offload_ops") != off0 + 1
                || kactest_stat(&t, a->stat, "dpdk_ops") != ops0 + (k == 0)
                || kactest_stat(&t, a->stat, "sw_ops") != sw0)
                fail_msg("%s, %zu bytes (case %d): not offloaded through %s", a->stat, len, k,
                         k == 0 ? "DPDK" : "AF_ALG");
        }
    }
    free(in);
    kactest_close(&t);
}

static void test_afalg_next(void **state)
{
    (void)state;
    if (!kac_afalg_available())
        skip(); /* no AF_ALG here: the software continuation is tested above */
    run_child("", "afalg_next", "-");
}

/*
 * An application whose default library context cannot fetch HMAC or CMAC:
 * this child never loads the default provider there, and the crypto_openssl
 * PMD's failed load of "legacy" (not in OPENSSL_MODULES) turns the automatic
 * loading off.  That PMD computes in that context and would crash creating
 * the session: kaccel keeps such MACs off it (software, right bytes); a PMD
 * that does not use libcrypto (aesni_mb) still serves them.  Nothing the EAL
 * or the PMDs left on libcrypto's error queue reaches the application.
 */
static void child_bare(void)
{
    static const char *const names[] = { "HMAC-SHA2-256", "CMAC-AES-128", "SHA2-256",
                                         "HMAC-SHA1" };
    uint64_t rng = seed ^ 0xba5e;
    unsigned char in[8192], key[MAXKEY], want[EVP_MAX_MD_SIZE];
    struct kactest t;
    EVP_MAC *hm;
    size_t i;
    int pmd_can_mac, is_openssl = strstr(kactest_dpdk_device(), "openssl") != NULL;

    snprintf(dpdk_route, sizeof(dpdk_route), "dpdk:%s", kactest_dpdk_device());
    kactest_open(&t, cnf(cnf_zero));
    ERR_clear_error();
    for (i = 0; i < N_ELEMS(names); i++) {
        const struct halg *a = alg_named(names[i]);
        size_t kl = make_key(a, key, &rng), wl;
        struct h h;

        kactest_rand(&rng, in, sizeof(in));
        h_new(&h, t.ctx, "provider=kaccel", a);
        assert_int_equal(h_init(&h, a->kind == DIGEST ? NULL : key, kl), 1);
        feed(&h, in, sizeof(in), &rng);
        wl = reference(&t, a, key, kl, in, sizeof(in), want);
        expect(&h, want, wl, "bare default context", sizeof(in));
        h_free(&h);
        if (i == 0 && ERR_peek_error() != 0) {
            ERR_print_errors_fp(stderr);
            fail_msg("the DPDK bring-up left errors on the application's error queue");
        }
    }
    ERR_set_mark();
    hm = EVP_MAC_fetch(NULL, "HMAC", NULL);
    ERR_pop_to_mark();
    pmd_can_mac = hm != NULL;
    EVP_MAC_free(hm);
    for (i = 0; i < N_ELEMS(names); i++) {
        const struct halg *a = alg_named(names[i]);
        const char *r = kactest_route(&t, a->stat);
        int on_dev = r != NULL && strcmp(r, dpdk_route) == 0;

        printf("# bare default context (HMAC fetchable there: %s): %s -> %s\n",
               pmd_can_mac ? "yes" : "no", a->stat, r ? r : "?");
        if (a->kind != DIGEST && is_openssl && !pmd_can_mac && on_dev)
            fail_msg("%s routed to %s, whose PMD cannot fetch it", a->stat, dpdk_route);
        if (!is_openssl && !on_dev && strcmp(a->stat, "HMAC-SHA2-256") == 0)
            fail_msg("%s: not served by %s (%s)", a->stat, dpdk_route, r ? r : "no route");
    }
    kactest_close(&t);
}

static void test_bare_default_ctx(void **state)
{
    (void)state;
    run_child("", "bare", "-");
}

static const char *child_mode, *child_arg;

static void test_child(void **state)
{
    (void)state;
    if (strcmp(child_mode, "sessions") == 0)
        child_sessions();
    else if (strcmp(child_mode, "session_failure") == 0)
        child_session_failure();
    else if (strcmp(child_mode, "work") == 0)
        child_work(child_arg);
    else if (strcmp(child_mode, "afalg_next") == 0)
        child_afalg_next();
    else if (strcmp(child_mode, "bare") == 0)
        child_bare();
    else
        fail_msg("unknown child mode %s", child_mode);
}

static int cleanup(void **state)
{
    (void)state;
    kactest_tmpdir_remove(tmpdir, "log");
    return 0;
}

static OSSL_PROVIDER *defprov;

static void unload_default(void)
{
    OSSL_PROVIDER_unload(defprov);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_served),       cmocka_unit_test(test_kats),
        cmocka_unit_test(test_differential), cmocka_unit_test(test_boundaries),
        cmocka_unit_test(test_hmac_keys),    cmocka_unit_test(test_semantics),
        cmocka_unit_test(test_ssl3_ms),      cmocka_unit_test(test_async),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_sessions),     cmocka_unit_test(test_session_failure),
        cmocka_unit_test(test_faults),       cmocka_unit_test(test_afalg_next),
        cmocka_unit_test(test_bare_default_ctx),
    };
    const struct CMUnitTest child[] = { cmocka_unit_test(test_child) };

    kactest_dpdk_require("test_dpdk_hash");
    /*
     * The crypto_openssl PMD fetches its algorithms from the default library
     * context and, at probe, loads "legacy" and "default" into it.  With
     * OPENSSL_MODULES pointing at the build, "legacy" is not found; that
     * failed explicit load turns the default provider's automatic loading off,
     * and the PMD's HMAC session setup then crashes on a NULL EVP_MAC.  An
     * application that loads its providers (as this one does now) is not
     * affected; kaccel keeps such MACs off that PMD (the "bare" child).
     */
    if (!(argc == 5 && strcmp(argv[1], "--child") == 0 && strcmp(argv[2], "bare") == 0)) {
        if ((defprov = OSSL_PROVIDER_load(NULL, "default")) == NULL)
            return 1;
        atexit(unload_default);
    }
    if (argc == 5 && strcmp(argv[1], "--child") == 0) {
        child_mode = argv[2];
        child_arg = argv[3];
        seed = strtoull(argv[4], NULL, 10);
        /* no warm-up where faults are injected: they must hit the workload */
        if (strcmp(child_mode, "sessions") == 0 && setup(NULL) != 0)
            return 1;
        return cmocka_run_group_tests(child, NULL, NULL);
    }
    /* This process's kaccel never injects faults: KACCEL_FAULT is for the children. */
    unsetenv("KACCEL_FAULT");
    seed = kactest_seed();
    if (kactest_tmpdir(tmpdir, sizeof(tmpdir), "dpdk-hash") != 0)
        return 1;
    return cmocka_run_group_tests(tests, setup, cleanup);
}
