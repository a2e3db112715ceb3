/*
 * Thresholds per mode on the DPDK device: an operation issued inside an
 * OpenSSL ASYNC job is routed by kaccel-min-offload-async(-algs), one issued
 * outside by kaccel-min-offload(-algs).  Two kaccel instances in one process
 * (the EAL is shared): one offloading only inside jobs, one only outside.
 * Every result is compared with the default provider's; where the operation
 * went is read from kaccel's counters (dpdk_ops, sw_small).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "kactest.h"

#define NJOBS 4
#define LEN 16384 /* one DPDK operation */

/* One operation: a cipher's encryption or a digest, in ctx with props. */
struct work {
    OSSL_LIB_CTX *ctx;
    const char *props;
    const char *alg;
    int digest;
    const unsigned char *in;
    unsigned char *out;
    size_t outlen;
    int ok;
};

static const unsigned char key[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                       17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30 };
static const unsigned char iv[16] = { 0xa5, 0x5a };

static int run_work(void *arg)
{
    struct work *w = arg;

    w->ok = 0;
    if (w->digest) {
        EVP_MD *md = EVP_MD_fetch(w->ctx, w->alg, w->props);
        unsigned int n = 0;

        w->ok = md != NULL && EVP_Digest(w->in, LEN, w->out, &n, md, NULL);
        w->outlen = n;
        EVP_MD_free(md);
    } else {
        EVP_CIPHER *c = EVP_CIPHER_fetch(w->ctx, w->alg, w->props);
        EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
        int n1 = 0, n2 = 0;

        w->ok = c != NULL && x != NULL && EVP_EncryptInit_ex2(x, c, key, iv, NULL)
                && EVP_CIPHER_CTX_set_padding(x, 0)
                && EVP_EncryptUpdate(x, w->out, &n1, w->in, LEN)
                && EVP_EncryptFinal_ex(x, w->out + n1, &n2);
        w->outlen = (size_t)n1 + (size_t)n2;
        EVP_CIPHER_CTX_free(x);
        EVP_CIPHER_free(c);
    }
    return w->ok;
}

static unsigned char *input;

/* The default provider's result for alg, into ref; its length. */
static size_t reference(struct kactest *t, const char *alg, int digest, unsigned char *ref)
{
    struct work w = { t->ref, NULL, alg, digest, input, ref, 0, 0 };

    run_work(&w);
    assert_true(w.ok);
    return w.outlen;
}

/*
 * Runs alg through kaccel (t) once outside a job, or in NJOBS ASYNC jobs,
 * checks each result against the default provider's and returns how the
 * counters of alg moved: dpdk ops and operations left to software as small.
 */
static void run(struct kactest *t, const char *alg, int digest, int in_jobs, uint64_t *dpdk,
                uint64_t *small)
{
    static unsigned char out[NJOBS][LEN + 64], ref[LEN + 64];
    struct work w[NJOBS];
    uint64_t d0 = kactest_stat(t, alg, "dpdk_ops"), s0 = kactest_stat(t, alg, "sw_small");
    size_t reflen = reference(t, alg, digest, ref);
    int i, n = in_jobs ? NJOBS : 1;

    for (i = 0; i < n; i++)
        w[i] = (struct work){ t->ctx, "provider=kaccel", alg, digest, input, out[i], 0, 0 };
    if (in_jobs) {
        struct kactest_jobs j = KACTEST_JOBS(w, NJOBS, run_work);

        j.wait = KACTEST_WAIT_ANY_FD;
        kactest_jobs_must_run(&j);
    } else {
        run_work(&w[0]);
    }
    for (i = 0; i < n; i++) {
        if (!w[i].ok)
            fail_msg("%s %s: kaccel failed", alg, in_jobs ? "in a job" : "outside jobs");
        assert_int_equal(w[i].outlen, reflen);
        assert_memory_equal(w[i].out, ref, reflen);
    }
    *dpdk = kactest_stat(t, alg, "dpdk_ops") - d0;
    *small = kactest_stat(t, alg, "sw_small") - s0;
    printf("# %-12s %-13s dpdk ops +%llu, small +%llu\n", alg,
           in_jobs ? "in 4 jobs" : "synchronous", (unsigned long long)*dpdk,
           (unsigned long long)*small);
}

/* run() and what must have happened: offloaded through DPDK, or left to software as small. */
static void expect(struct kactest *t, const char *alg, int digest, int in_jobs, int offloaded)
{
    uint64_t dpdk, small, n = in_jobs ? NJOBS : 1;

    run(t, alg, digest, in_jobs, &dpdk, &small);
    if (offloaded && (dpdk < n || small != 0))
        fail_msg("%s %s: want offloaded, got %llu dpdk ops and %llu small", alg,
                 in_jobs ? "in ASYNC jobs" : "outside jobs", (unsigned long long)dpdk,
                 (unsigned long long)small);
    if (!offloaded && (dpdk != 0 || small != n))
        fail_msg("%s %s: want software (small), got %llu dpdk ops and %llu small", alg,
                 in_jobs ? "in ASYNC jobs" : "outside jobs", (unsigned long long)dpdk,
                 (unsigned long long)small);
}

static void open_with(struct kactest *t, const char *sync, const char *async,
                      const char *async_algs)
{
    char a[64], b[64], c[128];
    const char *extra[] = { "kaccel-algorithms = all", a, b, c, NULL };
    const char *const *lines;

    snprintf(a, sizeof(a), "kaccel-min-offload = %s", sync);
    snprintf(b, sizeof(b), "kaccel-min-offload-async = %s", async);
    snprintf(c, sizeof(c), "kaccel-min-offload-async-algs = %s", async_algs);
    lines = kactest_dpdk_lines(extra);
    assert_non_null(lines);
    kactest_open(t, lines);
}

static void test_thresholds_per_mode(void **state)
{
    struct kactest only_async, only_sync;
    const char *route;

    input = malloc(LEN);
    assert_non_null(input);
    kactest_rand(&(uint64_t){ 42 }, input, LEN);
    /* Offload inside jobs only; AES-256-CBC never (its own async value). */
    open_with(&only_async, "1024M", "0", "AES-256-CBC:1024M");
    /* Offload outside jobs only. */
    open_with(&only_sync, "0", "1024M", "SHA2-512:1024M");

    /* The first offload brings the EAL up: AES-128-CBC must then be on the device. */
    expect(&only_sync, "AES-128-CBC", 0, 0, 1);
    route = kactest_route(&only_sync, "AES-128-CBC");
    if (route == NULL || strncmp(route, "dpdk:", 5) != 0)
        fail_msg("AES-128-CBC is not routed to DPDK (%s)", route ? route : "software");

    expect(&only_async, "AES-128-CBC", 0, 0, 0);
    expect(&only_async, "AES-128-CBC", 0, 1, 1);
    expect(&only_async, "AES-256-CBC", 0, 1, 0);
    expect(&only_async, "AES-256-CBC", 0, 0, 0);
    expect(&only_async, "SHA2-256", 1, 0, 0);
    expect(&only_async, "SHA2-256", 1, 1, 1);

    expect(&only_sync, "AES-128-CBC", 0, 1, 0);
    expect(&only_sync, "SHA2-256", 1, 0, 1);
    expect(&only_sync, "SHA2-256", 1, 1, 0);
    /* kaccel-min-offload-async-algs over kaccel-min-offload-async: never in jobs... */
    expect(&only_sync, "SHA2-512", 1, 1, 0);
    /* ...and kaccel-min-offload outside them */
    expect(&only_sync, "SHA2-512", 1, 0, 1);

    kactest_close(&only_async);
    kactest_close(&only_sync);
    free(input);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thresholds_per_mode),
    };

    kactest_dpdk_require(argv[0]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
