/*
 * kaccel inside OpenSSL ASYNC jobs: 64 jobs of mixed algorithms and random
 * sizes driven like `openssl speed -async_jobs` (start, wait on the wait fds,
 * resume), every output compared with the default provider.  Also: a bounded
 * queue (requests beyond kaccel-queue-depth run in software, still correct),
 * thread exit and fork with requests in flight, and no descriptor leak.
 * Where AF_ALG exists (the guest) the offload path must have run in batches.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/async.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "afalg_guard.h"
#include "kactest.h"

#define NJOBS 64
#define MAXLEN 65536

static uint64_t seed;
static int have_afalg;

static const char *const algs[] = { "AES-128-CBC", "AES-256-CBC", "AES-128-CTR", "AES-256-XTS",
                                    "AES-128-ECB", "AES-128-GCM", "AES-256-GCM",
                                    "ChaCha20-Poly1305" };

struct work {
    OSSL_LIB_CTX *ctx;
    const char *props;
    const char *alg;
    int enc;
    unsigned char key[64], iv[16], tag[16];
    unsigned char *in, *out;
    size_t len, outlen;
    int ok;
};

static int is_aead(const char *a) { return strstr(a, "GCM") || strstr(a, "Poly1305"); }

/* One message: init, the data in two updates (one for AEAD), final. */
static int run_work(void *arg)
{
    struct work *w = arg;
    EVP_CIPHER *c = EVP_CIPHER_fetch(w->ctx, w->alg, w->props);
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    int n = 0, tot = 0, ok = 0;
    size_t half = is_aead(w->alg) || strstr(w->alg, "XTS") ? w->len : w->len / 2;

    if (c == NULL || x == NULL || !EVP_CipherInit_ex2(x, c, w->key, w->iv, w->enc, NULL))
        goto end;
    EVP_CIPHER_CTX_set_padding(x, 0); /* block modes get whole blocks */
    if (is_aead(w->alg) && !w->enc
        && !EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, 16, w->tag))
        goto end;
    if (!EVP_CipherUpdate(x, w->out, &n, w->in, (int)half))
        goto end;
    tot = n;
    if (half < w->len) {
        if (!EVP_CipherUpdate(x, w->out + tot, &n, w->in + half, (int)(w->len - half)))
            goto end;
        tot += n;
    }
    if (!EVP_CipherFinal_ex(x, w->out + tot, &n))
        goto end;
    tot += n;
    if (is_aead(w->alg) && w->enc && !EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, 16, w->tag))
        goto end;
    w->outlen = (size_t)tot;
    ok = 1;
end:
    EVP_CIPHER_CTX_free(x);
    EVP_CIPHER_free(c);
    w->ok = ok;
    return ok;
}

/* Drives the jobs like `openssl speed -async_jobs`: start, wait on the wait fds, resume. */
static void run_jobs(struct work *w, int n)
{
    struct kactest_jobs j = KACTEST_JOBS(w, n, run_work);

    kactest_jobs_must_run(&j);
}

static void make_work(struct kactest *t, struct work *w, unsigned char **ref, int n, uint64_t *rng);
static void check_work(struct work *w, unsigned char **ref, int n);

/* ASYNC_WAIT_CTX_set_callback: kaccel calls the callback instead of signalling a fd. */
static void test_callback_mode(void **state)
{
    static const char *const l[] = { "kaccel-algorithms = all", "kaccel-afalg-drivers = any",
                                     "kaccel-min-offload = 0", NULL };
    struct kactest t;
    struct work w[NJOBS];
    unsigned char *ref[NJOBS];
    uint64_t rng = seed ^ 123;
    unsigned long cb_calls = 0;
    int r;

    kactest_open(&t, l);
    for (r = 0; r < 2; r++) {
        /* the callback marks a job ready; the driver sleeps until one is */
        struct kactest_jobs j = KACTEST_JOBS(w, NJOBS, run_work);

        j.wait = KACTEST_WAIT_CALLBACK;
        make_work(&t, w, ref, NJOBS, &rng);
        kactest_jobs_must_run(&j);
        cb_calls += j.callbacks;
        check_work(w, ref, NJOBS);
    }
    printf("# callback mode: 2 x %d jobs ok, %lu callbacks\n", NJOBS, cb_calls);
    if (have_afalg && cb_calls == 0)
        fail_msg("callback mode: offloaded jobs paused but no callback was called");
    kactest_close(&t);
}

/* Fills n jobs with random messages (encrypt or decrypt) and their references. */
static void make_work(struct kactest *t, struct work *w, unsigned char **ref, int n, uint64_t *rng)
{
    int i;

    for (i = 0; i < n; i++) {
        unsigned char r[4];
        struct work refw;

        kactest_rand(rng, r, sizeof(r));
        memset(&w[i], 0, sizeof(w[i]));
        w[i].ctx = t->ctx;
        w[i].props = "provider=kaccel";
        w[i].alg = algs[r[0] % (sizeof(algs) / sizeof(algs[0]))];
        w[i].len = ((size_t)r[1] << 8 | r[2]) % MAXLEN + 1;
        if (strstr(w[i].alg, "ECB") || strstr(w[i].alg, "CBC"))
            w[i].len = (w[i].len + 15) & ~(size_t)15;
        if (strstr(w[i].alg, "XTS") && w[i].len < 16)
            w[i].len = 16;
        w[i].enc = 1;
        kactest_rand(rng, w[i].key, sizeof(w[i].key));
        w[i].key[32] = (unsigned char)~w[i].key[0]; /* XTS halves differ */
        kactest_rand(rng, w[i].iv, sizeof(w[i].iv));
        w[i].in = malloc(w[i].len);
        w[i].out = malloc(w[i].len + 32);
        ref[i] = malloc(w[i].len + 32);
        assert_true(w[i].in && w[i].out && ref[i]);
        kactest_rand(rng, w[i].in, w[i].len);
        /* the reference, by the default provider, outside any job */
        refw = w[i];
        refw.ctx = t->ref;
        refw.props = NULL;
        refw.out = ref[i];
        assert_true(run_work(&refw));
        if (r[3] & 1) {
            /* decrypt the reference ciphertext instead */
            memcpy(w[i].in, ref[i], w[i].len);
            memcpy(w[i].tag, refw.tag, 16);
            w[i].enc = 0;
            refw.in = w[i].in;
            refw.enc = 0;
            refw.ctx = t->ref;
            refw.out = ref[i] = realloc(ref[i], w[i].len + 32);
            memcpy(refw.tag, w[i].tag, 16);
            assert_true(run_work(&refw));
        } else {
            memcpy(w[i].tag, refw.tag, 16); /* expected tag of the encryption */
        }
        w[i].outlen = refw.outlen;
    }
}

static void check_work(struct work *w, unsigned char **ref, int n)
{
    int i;

    for (i = 0; i < n; i++) {
        unsigned char exptag[16];

        memcpy(exptag, w[i].tag, 16);
        if (!w[i].ok)
            fail_msg("job %d (%s %s %zu bytes) failed", i, w[i].alg, w[i].enc ? "enc" : "dec",
                     w[i].len);
        if (memcmp(w[i].out, ref[i], w[i].outlen) != 0)
            fail_msg("job %d (%s %s %zu bytes) differs from the default provider", i, w[i].alg,
                     w[i].enc ? "enc" : "dec", w[i].len);
        free(w[i].in);
        free(w[i].out);
        free(ref[i]);
    }
}

static void jobs_scenario(const char *const *lines, int rounds, const char *what,
                          uint64_t *batch_max, uint64_t *queue_full)
{
    struct kactest t;
    struct work w[NJOBS];
    unsigned char *ref[NJOBS];
    uint64_t rng = seed, qf0 = 0, qf = 0;
    int r, fds0, a;

    kactest_open(&t, lines);
    for (a = 0; a < (int)(sizeof(algs) / sizeof(algs[0])); a++)
        qf0 += kactest_stat(&t, algs[a], "sw_queue_full");
    fds0 = -1;
    for (r = 0; r < rounds; r++) {
        make_work(&t, w, ref, NJOBS, &rng);
        run_jobs(w, NJOBS);
        check_work(w, ref, NJOBS);
        if (fds0 < 0)
            fds0 = kactest_count_fds(NULL, NULL); /* after the thread's queue (ring + eventfd) */
    }
    if (kactest_count_fds(NULL, NULL) != fds0)
        fail_msg("%s: %d descriptors before, %d after", what, fds0, kactest_count_fds(NULL, NULL));
    for (a = 0; a < (int)(sizeof(algs) / sizeof(algs[0])); a++)
        qf += kactest_stat(&t, algs[a], "sw_queue_full");
    *batch_max = kactest_stat(&t, "io_uring", "batch_max");
    *queue_full = qf - qf0;
    printf("# %s: %d x %d jobs ok; io_uring requests %llu submits %llu pauses %llu "
           "largest batch %llu; queue-full fallbacks %llu\n", what, rounds, NJOBS,
           (unsigned long long)kactest_stat(&t, "io_uring", "requests"),
           (unsigned long long)kactest_stat(&t, "io_uring", "submits"),
           (unsigned long long)kactest_stat(&t, "io_uring", "pauses"),
           (unsigned long long)*batch_max, (unsigned long long)*queue_full);
    kactest_close(&t);
}

static void test_jobs(void **state)
{
    static const char *const l[] = { "kaccel-algorithms = all", "kaccel-afalg-drivers = any",
                                     "kaccel-min-offload = 0", NULL };
    uint64_t batch, qf;

    jobs_scenario(l, 3, "64 jobs", &batch, &qf);
    if (have_afalg && batch < 2)
        fail_msg("64 concurrent jobs never produced a batch larger than 1");
}

static void test_queue_full(void **state)
{
    static const char *const l[] = { "kaccel-algorithms = all", "kaccel-afalg-drivers = any",
                                     "kaccel-min-offload = 0", "kaccel-queue-depth = 4", NULL };
    uint64_t batch, qf;

    jobs_scenario(l, 2, "queue depth 4", &batch, &qf);
    if (have_afalg && qf == 0)
        fail_msg("64 jobs on a queue of depth 4 never fell back to software");
}

static void *thread_main(void *arg)
{
    struct kactest *t = arg;
    struct work w[8];
    unsigned char *ref[8];
    uint64_t rng = seed ^ 77;

    make_work(t, w, ref, 8, &rng);
    run_jobs(w, 8);
    check_work(w, ref, 8);
    return NULL;
}

/* Threads that offload and exit leave no ring or descriptor behind. */
static void test_thread_exit(void **state)
{
    static const char *const l[] = { "kaccel-algorithms = all", "kaccel-afalg-drivers = any",
                                     "kaccel-min-offload = 0", NULL };
    struct kactest t;
    int i, fds0;

    kactest_open(&t, l);
    {
        pthread_t th;

        /* a first thread creates what is created once per process */
        assert_int_equal(pthread_create(&th, NULL, thread_main, &t), 0);
        assert_int_equal(pthread_join(th, NULL), 0);
    }
    fds0 = kactest_count_fds(NULL, NULL);
    for (i = 0; i < 8; i++) {
        pthread_t th;

        assert_int_equal(pthread_create(&th, NULL, thread_main, &t), 0);
        assert_int_equal(pthread_join(th, NULL), 0);
    }
    if (kactest_count_fds(NULL, NULL) != fds0)
        fail_msg("thread exit: %d descriptors before, %d after 8 threads", fds0,
                 kactest_count_fds(NULL, NULL));
    kactest_close(&t);
}

/* fork while jobs have requests in flight: the child works on its own, the parent goes on. */
static void test_fork_in_flight(void **state)
{
    static const char *const l[] = { "kaccel-algorithms = all", "kaccel-afalg-drivers = any",
                                     "kaccel-min-offload = 0", NULL };
    struct kactest t;
    struct work w[NJOBS];
    unsigned char *ref[NJOBS];
    /* the parent resumes its jobs in turn every 100 us, whatever their wait fds say */
    struct kactest_jobs j = KACTEST_JOBS(w, NJOBS, run_work);
    uint64_t rng = seed ^ 99;
    int i, status;
    pid_t pid;

    kactest_open(&t, l);
    make_work(&t, w, ref, NJOBS, &rng);
    j.wait = KACTEST_WAIT_SPIN;
    j.spin_us = 100;
    if (kactest_jobs_start(&j) != 0)
        fail_msg("%s", j.why);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* the child: new work on the same library context, outside and inside jobs */
        struct work cw[8];
        unsigned char *cref[8];
        uint64_t crng = seed ^ 5;

        struct kactest_jobs cj = KACTEST_JOBS(cw, 8, run_work);

        make_work(&t, cw, cref, 8, &crng);
        if (kactest_jobs_run(&cj) != 0)
            _exit(4);
        for (i = 0; i < 8; i++)
            if (!cw[i].ok || memcmp(cw[i].out, cref[i], cw[i].outlen) != 0)
                _exit(3);
        _exit(0);
    }
    if (kactest_jobs_finish(&j) != 0)
        fail_msg("%s", j.why);
    check_work(w, ref, NJOBS);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("the child after fork failed (status %d)", status);
    kactest_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jobs),
        cmocka_unit_test(test_queue_full),
        cmocka_unit_test(test_callback_mode),
        cmocka_unit_test(test_thread_exit),
        cmocka_unit_test(test_fork_in_flight),
    };

    seed = kactest_seed();
    have_afalg = kac_afalg_available();
    if (!have_afalg && getenv("KACCEL_REQUIRE_AFALG") && !strcmp(getenv("KACCEL_REQUIRE_AFALG"), "1"))
        kac_test_need_afalg("test_async");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
