/*
 * Kernel failures: the fault switch (KACCEL_FAULT, src/backend/afalg/fault.h)
 * injected at every AF_ALG call a short run of each algorithm family makes,
 * and at every io_uring and eventfd call (ring setup, submission, waits,
 * completion results, the queue's and its notifier's eventfds, ASYNC wait
 * fds), synchronously and from ASYNC jobs (wait fds, and the callback mode);
 * the virtio-crypto device's session limit, the descriptor limit, and fork.
 * Whatever fails, results must equal the default provider's (a digest or MAC
 * whose stream the kernel lost may instead fail cleanly with an OpenSSL
 * error), the failure must be counted, and nothing may crash, hang or leak a
 * descriptor.
 *
 * KACCEL_FAULT is read once per process, so each case runs in a forked child
 * that loads kaccel itself (this parent never loads kaccel).  Each child logs
 * through KACCEL_DEBUG into its own file; "trace" in KACCEL_FAULT logs every
 * AF_ALG call, which tells the parent the call numbers an operation makes
 * (the lines after the child's MARK), and every injection is logged too.
 * A child reports through its exit status and stderr; it never uses cmocka.
 * Each call gets a realistic errno of its site.  By default one per call
 * (rotating), the io_uring and eventfd sites (the same code for every cipher
 * and AEAD) only for AES-128-CBC, AES-128-GCM encryption and the ASYNC cases
 * (which walk only those), at most 3 calls of those, and each algorithm one
 * storm, to stay quick in the TCG guest;
 * KACCEL_TEST_FAULTS_FULL=1 injects every errno at every call of every site
 * and every storm.  KACCEL_TEST_FAULTS_ONLY="AES-128-CBC async" runs that
 * one walk (the other tests still run).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/async.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include <kaccel/kaccel.h>

#include "afalg_guard.h"
#include "backend/afalg/fault.h"
#include "kactest.h"

#define MSG 4096
#define CASE_TIMEOUT 30        /* seconds: a hang fails the case (SIGALRM) */
#define MAX_N_PER_SITE 6       /* bound of the walk per site */
#define MAX_N_QUEUE 3          /* ... per io_uring/eventfd site, and per site in ASYNC jobs */
#define NJOBS 4                /* ASYNC jobs of the async cases */

static int have_afalg;
static int full; /* KACCEL_TEST_FAULTS_FULL=1: every errno at every call, every storm */
static const char *only; /* KACCEL_TEST_FAULTS_ONLY: the one walk to run ("AES-128-CBC async") */
static char tmpdir[64];
static unsigned long ncases, ninjected;

/* ---- child side: no cmocka in here ------------------------------------ */

#define CFAIL KACTEST_CHILD_FAIL
#define CHECK(c, ...)          \
    do {                       \
        if (!(c))              \
            CFAIL(__VA_ARGS__); \
    } while (0)

/* 1 when kaccel routes alg to an AF_ALG driver (copied to drv when given). */
static int kt_routed(struct kactest_pair *t, const char *alg, char *drv, size_t len)
{
    char d[128];
    int r = kactest_provider_route(t->kac, alg, d, sizeof(d));

    CHECK(r >= 0, "get_params %s", KACCEL_PARAM_ROUTES);
    if (drv != NULL)
        snprintf(drv, len, "%s", d);
    return r;
}

#define MAX_QUEUE_FDS 3 /* one thread: ring, eventfd, a wait fd */

/*
 * Open descriptors of this process, the directory's own fd included (always),
 * except a thread's io_uring queue (its ring and eventfd are created once per
 * thread on first use and live as long as the thread).  A leak is a change of
 * this count, or queue fds growing past one queue.
 */
static int count_fds(int *maxfd)
{
    int q, n = kactest_count_fds(maxfd, &q);

    CHECK(q <= MAX_QUEUE_FDS, "%d io_uring/eventfd descriptors in one thread", q);
    return n;
}

static void fill(unsigned char *buf, size_t len, uint64_t s)
{
    kactest_rand(&s, buf, len);
}


/* ---- the walked operations -------------------------------------------- */

enum kind { K_CIPHER, K_AEAD_ENC, K_AEAD_DEC, K_DIGEST, K_MAC };

struct walk_alg {
    const char *label;   /* for messages */
    const char *name;    /* fetch name */
    const char *stat;    /* kaccel's counter line */
    enum kind kind;
    const char *sub;     /* MAC: digest or cipher */
};

static const struct walk_alg walk_algs[] = {
    { "AES-128-CBC", "AES-128-CBC", "AES-128-CBC", K_CIPHER, NULL },
    { "AES-128-CTR", "AES-128-CTR", "AES-128-CTR", K_CIPHER, NULL },
    { "AES-256-XTS", "AES-256-XTS", "AES-256-XTS", K_CIPHER, NULL },
    { "AES-128-GCM-enc", "AES-128-GCM", "AES-128-GCM", K_AEAD_ENC, NULL },
    { "AES-128-GCM-dec", "AES-128-GCM", "AES-128-GCM", K_AEAD_DEC, NULL },
    { "ChaCha20-Poly1305", "ChaCha20-Poly1305", "ChaCha20-Poly1305", K_AEAD_ENC, NULL },
    { "SHA2-256", "SHA2-256", "SHA2-256", K_DIGEST, NULL },
    { "HMAC-SHA2-256", "HMAC", "HMAC-SHA2-256", K_MAC, "SHA2-256" },
    { "CMAC-AES-128", "CMAC", "CMAC-AES-128", K_MAC, "AES-128-CBC" },
};
#define NWALK (sizeof(walk_algs) / sizeof(walk_algs[0]))

static const char *const walk_cnf[] = { "kaccel-algorithms = all", "kaccel-afalg-drivers = any",
                                        "kaccel-min-offload = 0", NULL };

struct out {
    unsigned char b[8 * MSG];
    size_t n;
};

static void put(struct out *o, const unsigned char *p, size_t n)
{
    CHECK(o->n + n <= sizeof(o->b), "output overflow");
    memcpy(o->b + o->n, p, n);
    o->n += n;
}

/*
 * Ciphers: CBC/CTR encrypt two updates + final, then decrypt that in one
 * update; XTS two data units.  Returns 1, or 0 when a call failed.
 */
static int op_cipher(OSSL_LIB_CTX *ctx, const char *props, const struct walk_alg *a,
                     struct out *o)
{
    EVP_CIPHER *c = EVP_CIPHER_fetch(ctx, a->name, props);
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    unsigned char key[64], iv[16], *in = kactest_buffer(2 * MSG);
    unsigned char *buf = kactest_buffer(2 * MSG + 32);
    int n1 = 0, n2 = 0, n3 = 0, ok = 0, m;

    CHECK(c != NULL && x != NULL, "fetch %s (%s)", a->name, props);
    fill(key, sizeof(key), 11);
    fill(iv, sizeof(iv), 12);
    fill(in, 2 * MSG, 13);
    if (strstr(a->name, "XTS") != NULL) {
        for (m = 0; m < 2; m++) {
            iv[0] = (unsigned char)m;
            if (!EVP_EncryptInit_ex2(x, c, key, iv, NULL)
                || !EVP_EncryptUpdate(x, buf, &n1, in + m * MSG, MSG)
                || !EVP_EncryptFinal_ex(x, buf + n1, &n2))
                goto end;
            put(o, buf, (size_t)(n1 + n2));
        }
        ok = 1;
        goto end;
    }
    if (!EVP_EncryptInit_ex2(x, c, key, iv, NULL) || !EVP_EncryptUpdate(x, buf, &n1, in, MSG)
        || !EVP_EncryptUpdate(x, buf + n1, &n2, in + MSG, MSG)
        || !EVP_EncryptFinal_ex(x, buf + n1 + n2, &n3))
        goto end;
    put(o, buf, (size_t)(n1 + n2 + n3));
    /* in place: a failed offload must leave the input for software */
    if (!EVP_DecryptInit_ex2(x, c, key, iv, NULL)
        || !EVP_DecryptUpdate(x, buf, &n1, buf, (int)o->n) || !EVP_DecryptFinal_ex(x, buf + n1, &n2))
        goto end;
    CHECK(n1 + n2 == 2 * MSG && memcmp(buf, in, 2 * MSG) == 0, "%s: decrypt(encrypt) != input",
          a->label);
    put(o, buf, (size_t)(n1 + n2));
    ok = 1;
end:
    EVP_CIPHER_CTX_free(x);
    EVP_CIPHER_free(c);
    free(in);
    free(buf);
    return ok;
}

/* AEAD: two messages (32-byte AAD, MSG bytes) on one context: ciphertext and tag. */
static int aead_enc(OSSL_LIB_CTX *ctx, const char *props, const char *name, struct out *o)
{
    EVP_CIPHER *c = EVP_CIPHER_fetch(ctx, name, props);
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    unsigned char key[32], iv[12], aad[32], tag[16], *in = kactest_buffer(MSG);
    unsigned char *buf = kactest_buffer(MSG + 16);
    int n1, n2, m, ok = 0;

    CHECK(c != NULL && x != NULL, "fetch %s (%s)", name, props);
    fill(key, sizeof(key), 21);
    fill(aad, sizeof(aad), 22);
    fill(in, MSG, 23);
    for (m = 0; m < 2; m++) {
        fill(iv, sizeof(iv), 24 + (uint64_t)m);
        if (!EVP_EncryptInit_ex2(x, c, key, iv, NULL) || !EVP_EncryptUpdate(x, NULL, &n1, aad, 32)
            || !EVP_EncryptUpdate(x, buf, &n1, in, MSG) || !EVP_EncryptFinal_ex(x, buf + n1, &n2)
            || !EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, 16, tag))
            goto end;
        put(o, buf, (size_t)(n1 + n2));
        put(o, tag, 16);
    }
    ok = 1;
end:
    EVP_CIPHER_CTX_free(x);
    EVP_CIPHER_free(c);
    free(in);
    free(buf);
    return ok;
}

/* AEAD decryption of aead_enc's messages (tag set first): the plaintexts. */
static int aead_dec(OSSL_LIB_CTX *ctx, const char *props, const char *name,
                    const struct out *ct, struct out *o)
{
    EVP_CIPHER *c = EVP_CIPHER_fetch(ctx, name, props);
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    unsigned char key[32], iv[12], aad[32], *buf = kactest_buffer(MSG + 16);
    int n1, n2, m, ok = 0;

    CHECK(c != NULL && x != NULL, "fetch %s (%s)", name, props);
    fill(key, sizeof(key), 21);
    fill(aad, sizeof(aad), 22);
    for (m = 0; m < 2; m++) {
        const unsigned char *msg = ct->b + m * (MSG + 16);

        fill(iv, sizeof(iv), 24 + (uint64_t)m);
        if (!EVP_DecryptInit_ex2(x, c, key, iv, NULL)
            || !EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, 16, (void *)(msg + MSG))
            || !EVP_DecryptUpdate(x, NULL, &n1, aad, 32)
            || !EVP_DecryptUpdate(x, buf, &n1, msg, MSG) || !EVP_DecryptFinal_ex(x, buf + n1, &n2))
            goto end;
        put(o, buf, (size_t)(n1 + n2));
    }
    ok = 1;
end:
    EVP_CIPHER_CTX_free(x);
    EVP_CIPHER_free(c);
    free(buf);
    return ok;
}

/* Digest: a two-update message, then a short one on the same context. */
static int op_digest(OSSL_LIB_CTX *ctx, const char *props, const struct walk_alg *a,
                     struct out *o)
{
    EVP_MD *md = EVP_MD_fetch(ctx, a->name, props);
    EVP_MD_CTX *x = EVP_MD_CTX_new();
    unsigned char *in = kactest_buffer(2 * MSG), dg[EVP_MAX_MD_SIZE];
    unsigned int n;
    int ok = 0;

    CHECK(md != NULL && x != NULL, "fetch %s (%s)", a->name, props);
    fill(in, 2 * MSG, 31);
    if (!EVP_DigestInit_ex2(x, md, NULL) || !EVP_DigestUpdate(x, in, MSG)
        || !EVP_DigestUpdate(x, in + MSG, MSG) || !EVP_DigestFinal_ex(x, dg, &n))
        goto end;
    put(o, dg, n);
    if (!EVP_DigestInit_ex2(x, md, NULL) || !EVP_DigestUpdate(x, in, 100)
        || !EVP_DigestFinal_ex(x, dg, &n))
        goto end;
    put(o, dg, n);
    ok = 1;
end:
    EVP_MD_CTX_free(x);
    EVP_MD_free(md);
    free(in);
    return ok;
}

static int op_mac(OSSL_LIB_CTX *ctx, const char *props, const struct walk_alg *a,
                  struct out *o)
{
    EVP_MAC *mac = EVP_MAC_fetch(ctx, a->name, props);
    EVP_MAC_CTX *x = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
    unsigned char key[16], *in = kactest_buffer(2 * MSG), tag[EVP_MAX_MD_SIZE];
    OSSL_PARAM p[2];
    size_t n;
    int ok = 0;

    CHECK(x != NULL, "fetch %s (%s)", a->name, props);
    p[0] = OSSL_PARAM_construct_utf8_string(strcmp(a->name, "HMAC") == 0 ? OSSL_MAC_PARAM_DIGEST
                                                                          : OSSL_MAC_PARAM_CIPHER,
                                            (char *)a->sub, 0);
    p[1] = OSSL_PARAM_construct_end();
    fill(key, sizeof(key), 41);
    fill(in, 2 * MSG, 42);
    if (!EVP_MAC_init(x, key, sizeof(key), p) || !EVP_MAC_update(x, in, MSG)
        || !EVP_MAC_update(x, in + MSG, MSG) || !EVP_MAC_final(x, tag, &n, sizeof(tag)))
        goto end;
    put(o, tag, n);
    if (!EVP_MAC_init(x, NULL, 0, NULL) || !EVP_MAC_update(x, in, 100)
        || !EVP_MAC_final(x, tag, &n, sizeof(tag)))
        goto end;
    put(o, tag, n);
    ok = 1;
end:
    EVP_MAC_CTX_free(x);
    EVP_MAC_free(mac);
    free(in);
    return ok;
}

static int op_run(struct kactest_pair *t, OSSL_LIB_CTX *ctx, const char *props,
                  const struct walk_alg *a, struct out *o)
{
    static struct out ct;

    o->n = 0;
    switch (a->kind) {
    case K_CIPHER:
        return op_cipher(ctx, props, a, o);
    case K_AEAD_ENC:
        return aead_enc(ctx, props, a->name, o);
    case K_AEAD_DEC:
        CHECK(ASYNC_get_current_job() == NULL, "AEAD decryption walked in an ASYNC job");
        ct.n = 0;
        CHECK(aead_enc(t->ref, NULL, a->name, &ct), "reference AEAD encryption");
        return aead_dec(ctx, props, a->name, &ct, o);
    case K_DIGEST:
        return op_digest(ctx, props, a, o);
    case K_MAC:
        return op_mac(ctx, props, a, o);
    }
    return 0;
}

struct walk_case {
    const struct walk_alg *a;
    int fault_site;      /* -1: none expected to fire in the operation */
    int counted;         /* the fault must show in errors/sw_session/sw_op_error */
    int async;           /* NJOBS ASYNC jobs, waiting as `wait` says */
    enum kactest_wait wait;
    int recover;         /* after the operation, the same one must offload again */
};

/* One ASYNC job of an async case: the operation through kaccel. */
struct job {
    struct kactest_pair *t;
    const struct walk_alg *a;
    int ok, err;
    struct out got;
};

static int job_fn(void *arg)
{
    struct job *j = arg;

    ERR_clear_error();
    j->ok = op_run(j->t, j->t->ctx, "provider=kaccel", j->a, &j->got);
    j->err = !j->ok && ERR_peek_error() != 0;
    ERR_clear_error();
    return 1;
}

/*
 * The operation as NJOBS ASYNC jobs on one thread (their requests batched on
 * its io_uring): 1 when every job succeeded with the same bytes (into got),
 * 0 when one failed (its error queued again for the caller).
 */
static int op_jobs(struct kactest_pair *t, const struct walk_case *wc, struct out *got)
{
    static struct job jobs[NJOBS];
    struct kactest_jobs d = KACTEST_JOBS(jobs, NJOBS, job_fn);
    int i;

    for (i = 0; i < NJOBS; i++) {
        jobs[i].t = t;
        jobs[i].a = wc->a;
    }
    d.wait = wc->wait;
    d.timeout = 20;
    CHECK(kactest_jobs_run(&d) == 0, "%s: ASYNC jobs: %s", wc->a->label, d.why);
    for (i = 0; i < NJOBS; i++) {
        if (!jobs[i].ok) {
            if (jobs[i].err)
                ERR_raise_data(ERR_LIB_EVP, ERR_R_OPERATION_FAIL, "job %d failed", i);
            *got = jobs[i].got;
            return 0;
        }
        CHECK(jobs[i].got.n == jobs[0].got.n
                  && memcmp(jobs[i].got.b, jobs[0].got.b, jobs[0].got.n) == 0,
              "%s: job %d's bytes differ from job 0's", wc->a->label, i);
    }
    *got = jobs[0].got;
    return 1;
}

/* One walk case in a child: the operation through kaccel against the default provider. */
static int child_walk(const void *arg)
{
    const struct walk_case *wc = arg;
    const struct walk_alg *a = wc->a;
    static struct out got, want;
    uint64_t errs;
    struct kactest_pair t;
    int fd0, fd1, ok;

    kactest_pair_open(&t, tmpdir, walk_cnf);
    CHECK(op_run(&t, t.ref, NULL, a, &want), "%s: reference failed", a->label);
    fd0 = count_fds(NULL);
    kactest_mark("MARK");
    ERR_clear_error();
    ok = wc->async ? op_jobs(&t, wc, &got) : op_run(&t, t.ctx, "provider=kaccel", a, &got);
    kactest_mark("END");
    fd1 = count_fds(NULL);
    errs = kactest_pair_stat(&t, a->stat, "errors") + kactest_pair_stat(&t, a->stat, "sw_session")
           + kactest_pair_stat(&t, a->stat, "sw_op_error");
    if (!ok) {
        /* Only a digest/MAC whose data the kernel already had may fail, and cleanly. */
        CHECK(a->kind == K_DIGEST || a->kind == K_MAC, "%s: the operation failed", a->label);
        CHECK(wc->fault_site == KAC_FAULT_SENDMSG || wc->fault_site == KAC_FAULT_READ,
              "%s: failed for a fault at %s (before any data reached the kernel)", a->label,
              wc->fault_site < 0 ? "-" : kac_fault_site_name(wc->fault_site));
        CHECK(ERR_peek_error() != 0, "%s: failed without an OpenSSL error", a->label);
        CHECK(kactest_pair_stat(&t, a->stat, "errors") > 0, "%s: failure not counted", a->label);
        CHECK(got.n < want.n && memcmp(got.b, want.b, got.n) == 0,
              "%s: wrong bytes before the failure", a->label);
    } else {
        CHECK(got.n == want.n && memcmp(got.b, want.b, want.n) == 0,
              "%s: result differs from the default provider's", a->label);
    }
    if (wc->fault_site >= 0 && wc->counted)
        CHECK(errs > 0, "%s: a fault fired but no error/sw_session/sw_op_error counted",
              a->label);
    if (getenv("KACCEL_FAULT") != NULL && strstr(getenv("KACCEL_FAULT"), "trace") != NULL
        && have_afalg)
        CHECK(kactest_pair_stat(&t, a->stat, "offload_ops") > 0, "%s: not offloaded without faults",
              a->label);
    CHECK(fd0 == fd1, "%s: descriptors leaked: %d before, %d after", a->label, fd0, fd1);
    if (wc->recover && have_afalg) {
        /* the fault is over: the same operation offloads again, with the right bytes */
        uint64_t before = kactest_pair_stat(&t, a->stat, "offload_ops");

        ERR_clear_error();
        ok = wc->async ? op_jobs(&t, wc, &got) : op_run(&t, t.ctx, "provider=kaccel", a, &got);
        CHECK(ok && got.n == want.n && memcmp(got.b, want.b, want.n) == 0,
              "%s: wrong result after the fault", a->label);
        CHECK(kactest_pair_stat(&t, a->stat, "offload_ops") > before,
              "%s: not offloaded any more after the fault", a->label);
    }
    ERR_clear_error();
    kactest_pair_close(&t);
    return 0;
}

/* ---- parent side ------------------------------------------------------- */

/*
 * Runs fn(arg) in a child with KACCEL_FAULT = fault (NULL: unset) and
 * KACCEL_DEBUG = log (NULL: unset); fails the test (what: ...) unless the
 * child exits 0 in time.
 */
static void run_child(const char *fault, const char *log, int (*fn)(const void *),
                      const void *arg, const char *what)
{
    const struct kactest_child c = { .fn = fn, .arg = arg, .fault = fault, .log = log,
                                     .timeout = CASE_TIMEOUT };

    ncases++;
    kactest_child_expect(&c, what);
}

/* The child's log (KACCEL_DEBUG) as text. */
static char *slurp(const char *path)
{
    char *text = kactest_slurp(path);

    assert_non_null(text);
    return text;
}

/*
 * Each site's realistic errnos, and whether kaccel counts a fault there.  An
 * errno with a '+' fails that call and every later one of the site (N+).
 */
struct site_errs {
    int site;
    const char *errs[3];
    int counted; /* 0: a one-off fault is absorbed (synchronous fallback, a retry) */
};

static const struct site_errs site_errs[] = {
    { KAC_FAULT_SOCKET, { "EMFILE", "ENFILE", "ENOMEM" }, 1 },
    { KAC_FAULT_BIND, { "ENOENT", "ENOMEM", "EINVAL" }, 1 },
    { KAC_FAULT_SETSOCKOPT, { "EINVAL", "ENOMEM", "EBUSY" }, 1 },
    { KAC_FAULT_ACCEPT, { "EMFILE", "ENFILE", "ENOMEM" }, 1 },
    { KAC_FAULT_SENDMSG, { "EIO", "EBUSY", "ENOMEM" }, 1 },
    { KAC_FAULT_READ, { "EIO", "EAGAIN", "EBUSY" }, 1 },
    /* a thread without a ring works synchronously */
    { KAC_FAULT_URING_SETUP, { "ENOMEM", "EMFILE", "EPERM" }, 0 },
    /* a failed submit_and_wait is retried by a plain submit: N+ makes the requests fail */
    { KAC_FAULT_URING_SUBMIT, { "EAGAIN", "EBUSY+", "ENOMEM+" }, 0 },
    { KAC_FAULT_URING_WAIT, { "EINTR", "EAGAIN", "EBUSY" }, 0 },
    { KAC_FAULT_URING_CQE, { "EIO", "EAGAIN", "ECANCELED" }, 1 },
    /* no wait fd or notifier: the job waits synchronously */
    { KAC_FAULT_EVENTFD, { "EMFILE", "ENFILE", "ENOMEM" }, 0 },
    /* a non-blocking eventfd's only failure */
    { KAC_FAULT_EVENTFD_RW, { "EAGAIN" }, 0 },
};

static const struct site_errs *errs_of(int s)
{
    size_t i;

    for (i = 0; i < sizeof(site_errs) / sizeof(site_errs[0]); i++)
        if (site_errs[i].site == s)
            return &site_errs[i];
    return NULL;
}

/* The io_uring and eventfd sites: the same code for every cipher and AEAD. */
static int queue_site(int s)
{
    return s >= KAC_FAULT_URING_SETUP && s <= KAC_FAULT_EVENTFD_RW;
}

/*
 * Walks one case: a dry run for the call numbers, then a fault at each call
 * of each site, then a storm.  queue: walk the io_uring/eventfd sites too.
 */
static void walk_one(const struct walk_alg *a, int async, enum kactest_wait wait, int queue)
{
    static const char *const storms[] = { "any:*2:EBUSY", "any:*3:EAGAIN", "any:2+:EIO" };
    unsigned long lo[KAC_FAULT_NSITES], hi[KAC_FAULT_NSITES], n, total = 0;
    struct walk_case wc = { a, -1, 0, async, wait, 0 };
    char log[128], spec[64], what[200], label[64], *text, *w;
    unsigned long fired = 0, tries = 0;
    int s;
    size_t i, e, nerr;

    snprintf(label, sizeof(label), "%s%s", a->label,
             !async ? "" : wait == KACTEST_WAIT_CALLBACK ? " async-cb" : " async");
    if (only != NULL && strcmp(only, label) != 0)
        return;
    snprintf(log, sizeof(log), "%s/log", tmpdir);
    /* Dry run: which calls does the operation make? */
    run_child("trace", log, child_walk, &wc, label);
    text = slurp(log);
    w = kactest_log_window(text);
    if (w == NULL)
        fail_msg("%s: no MARK in the child's log %s", label, log);
    kactest_fault_calls(w, lo, hi);
    free(text);
    for (s = 0; s < KAC_FAULT_ANY; s++)
        total += hi[s] ? hi[s] - lo[s] + 1 : 0;
    printf("# %-24s calls:", label);
    for (s = 0; s < KAC_FAULT_ANY; s++)
        if (hi[s] != 0)
            printf(" %s %lu", kac_fault_site_name(s), hi[s] - lo[s] + 1);
    printf("\n");
    if (have_afalg && total == 0)
        fail_msg("%s: AF_ALG present but the operation made no AF_ALG call", label);
    /* The walk: each call of each site (the first MAX_N_PER_SITE), each errno. */
    for (s = 0; s < KAC_FAULT_ANY; s++) {
        const struct site_errs *se = errs_of(s);

        unsigned long maxn = full ? MAX_N_PER_SITE : async || queue_site(s) ? MAX_N_QUEUE
                                                                           : MAX_N_PER_SITE;

        /* jobs: the queue's sites but its setup (the rest is walked synchronously) */
        if (hi[s] == 0 || se == NULL || (queue_site(s) && !queue && !full)
            || (async && (!queue_site(s) || s == KAC_FAULT_URING_SETUP) && !full))
            continue;
        for (nerr = 0; nerr < 3 && se->errs[nerr] != NULL; nerr++)
            ;
        for (n = lo[s]; n <= hi[s] && n < lo[s] + maxn; n++)
            for (e = 0; e < nerr; e++) {
                /* By default one errno per call, rotating; every one when full. */
                if (!full && e != (n - lo[s] + (unsigned long)s) % nerr)
                    continue;
                {
                    size_t el = strlen(se->errs[e]);
                    int from = se->errs[e][el - 1] == '+';

                    snprintf(spec, sizeof(spec), "%s:%lu%s:%.*s", kac_fault_site_name(s), n,
                             from ? "+" : "", (int)(el - (size_t)from), se->errs[e]);
                    wc.counted = se->counted || from;
                    /* a one-off fault of the queue leaves it as it was */
                    wc.recover = queue_site(s) && !from;
                }
                snprintf(what, sizeof(what), "%s KACCEL_FAULT=%s", label, spec);
                wc.fault_site = s;
                run_child(spec, log, child_walk, &wc, what);
                text = slurp(log);
                w = kactest_log_window(text);
                tries++;
                if (w != NULL && strstr(w, "fault: inject") != NULL) {
                    fired++;
                    ninjected++;
                } else if (!async) {
                    /* jobs' calls follow the kernel's completions: their number may vary */
                    fail_msg("%s: the fault did not fire inside the operation", what);
                }
                free(text);
            }
    }
    if (async && tries > 0 && fired * 2 < tries)
        fail_msg("%s: only %lu of %lu faults fired inside the operation", label, fired, tries);
    if (queue && hi[KAC_FAULT_URING_SUBMIT] != 0) {
        /*
         * Three failed submissions in a row: the requests fail (software),
         * and the entries the kernel never took must not reach it with the
         * next submission (their requests are finished, their buffers reused).
         */
        n = lo[KAC_FAULT_URING_SUBMIT];
        snprintf(spec, sizeof(spec), "uring_submit:%lu:EBUSY,uring_submit:%lu:EBUSY,"
                 "uring_submit:%lu:EBUSY", n, n + 1, n + 2);
        snprintf(what, sizeof(what), "%s KACCEL_FAULT=%s", label, spec);
        wc.fault_site = KAC_FAULT_URING_SUBMIT;
        wc.counted = 1;
        wc.recover = 1;
        run_child(spec, log, child_walk, &wc, what);
    }
    /* Storms over every call, the probe included: results only. */
    wc.fault_site = -1;
    wc.recover = 0;
    for (i = 0; i < sizeof(storms) / sizeof(storms[0]); i++) {
        if (!full && i != (size_t)(a - walk_algs + async) % (sizeof(storms) / sizeof(storms[0])))
            continue;
        snprintf(what, sizeof(what), "%s KACCEL_FAULT=%s", label, storms[i]);
        run_child(storms[i], NULL, child_walk, &wc, what);
    }
}

static void test_fault_walk(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < NWALK; i++)
        walk_one(&walk_algs[i], 0, KACTEST_WAIT_ANY_FD,
                 strcmp(walk_algs[i].label, "AES-128-CBC") == 0
                     || strcmp(walk_algs[i].label, "AES-128-GCM-enc") == 0);
    /* ASYNC jobs: wait fds (dups of the queue's eventfd), and the notifier's callbacks */
    walk_one(&walk_algs[0], 1, KACTEST_WAIT_OWN_FD, 1);
    walk_one(&walk_algs[3], 1, KACTEST_WAIT_CALLBACK, 1);
    printf("# %lu child processes, %lu injected faults\n", ncases, ninjected);
    if (!have_afalg)
        skip(); /* software results checked; no AF_ALG call to fail here */
}

/* ---- the switch itself (in this process's copy of the core) ------------ */

static void test_switch(void **state)
{
    static const char *const bad[] = { "sendmsg", "sendmsg:1", "sendmsg:0:EIO", "foo:1:EIO",
                                       "read:x:EIO", "read:1:EWHAT", "read:*:EIO",
                                       "read:1:EIO,", "read:+:EIO" };
    char buf[4];
    size_t i;
    int r;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (kac_fault_configure(bad[i]) != -1)
            fail_msg("KACCEL_FAULT=%s accepted", bad[i]);
        assert_int_equal(kac_fault(KAC_FAULT_READ), 0);
    }
    assert_int_equal(kac_fault_configure("read:2:EIO,any:*4:EBUSY,sendmsg:3+:9,trace"), 4);
    assert_int_equal(kac_fault(KAC_FAULT_READ), 0);          /* read 1, any 1 */
    assert_int_equal(kac_fault(KAC_FAULT_READ), EIO);        /* read 2 */
    assert_int_equal(kac_fault(KAC_FAULT_SOCKET), 0);        /* any 3 */
    assert_int_equal(kac_fault(KAC_FAULT_BIND), EBUSY);      /* any 4 */
    assert_int_equal(kac_fault(KAC_FAULT_SENDMSG), 0);       /* sendmsg 1 */
    assert_int_equal(kac_fault(KAC_FAULT_SENDMSG), 0);
    assert_int_equal(kac_fault(KAC_FAULT_SENDMSG), 9);       /* sendmsg 3 */
    assert_int_equal(kac_fault(KAC_FAULT_SENDMSG), EBUSY);   /* any 8: first match wins */
    assert_int_equal(kac_fault(KAC_FAULT_SENDMSG), 9);
    assert_int_equal(kac_fault_calls(KAC_FAULT_SENDMSG), 5);
    assert_int_equal(kac_fault_calls(KAC_FAULT_ANY), 9);
    assert_int_equal(kac_fault_injected(), 5);
    /* The wrappers fail as the system call would, without calling it. */
    assert_int_equal(kac_fault_configure("socket:1+:EMFILE,read:1:EAGAIN"), 2);
    errno = 0;
    r = kac_sys_socket(AF_UNIX, SOCK_STREAM, 0);
    assert_int_equal(r, -1);
    assert_int_equal(errno, EMFILE);
    assert_int_equal(kac_afalg_open("skcipher", "cbc(aes)", NULL, 0, 0), -EMFILE);
    errno = 0;
    assert_int_equal(kac_sys_read(-1, buf, sizeof(buf)), -1);
    assert_int_equal(errno, EAGAIN);
    assert_int_equal(kac_sys_read(-1, buf, sizeof(buf)), -1);
    assert_int_equal(errno, EBADF); /* the real call */
    /* The queue's and DPDK's sites: names, and the eventfd wrappers. */
    assert_int_equal(kac_fault_configure("uring_cqe:1:ECANCELED,eventfd:1:EMFILE,"
                                         "eventfd_rw:1+:EAGAIN,dpdk_dequeue:2:EBUSY"), 4);
    assert_string_equal(kac_fault_site_name(KAC_FAULT_URING_SETUP), "uring_setup");
    assert_string_equal(kac_fault_site_name(KAC_FAULT_DPDK_MEMPOOL), "dpdk_mempool");
    assert_int_equal(kac_fault(KAC_FAULT_URING_CQE), ECANCELED);
    assert_int_equal(kac_fault(KAC_FAULT_DPDK_DEQUEUE), 0);
    assert_int_equal(kac_fault(KAC_FAULT_DPDK_DEQUEUE), EBUSY);
    errno = 0;
    assert_int_equal(kac_sys_eventfd(0, EFD_CLOEXEC), -1);
    assert_int_equal(errno, EMFILE);
    r = kac_sys_eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    assert_true(r >= 0);
    {
        uint64_t v = 0;

        /* EAGAIN on a write: a full counter, so the fd is readable all the same */
        assert_int_equal(kac_sys_eventfd_write(r, 1), -1);
        assert_int_equal(errno, EAGAIN);
        assert_int_equal(kac_sys_eventfd_read(r, &v), -1); /* the read is not done */
        assert_int_equal(read(r, &v, sizeof(v)), (int)sizeof(v));
        assert_int_equal(v, 1);
    }
    close(r);
    /* Inert again: nothing counted. */
    assert_int_equal(kac_fault_configure(NULL), 0);
    assert_int_equal(kac_fault(KAC_FAULT_SOCKET), 0);
    assert_int_equal(kac_fault_calls(KAC_FAULT_ANY), 0);
}

/* ---- many AES-128-CBC contexts alive, each checked ------------------------ */

struct cbc {
    EVP_CIPHER *c, *rc;
    unsigned char key[16], iv[16], in[MSG], out[MSG], ref[MSG];
};

static void cbc_fetch(struct cbc *b, struct kactest_pair *t, uint64_t in_seed)
{
    b->c = EVP_CIPHER_fetch(t->ctx, "AES-128-CBC", "provider=kaccel");
    b->rc = EVP_CIPHER_fetch(t->ref, "AES-128-CBC", NULL);
    CHECK(b->c != NULL && b->rc != NULL, "fetch AES-128-CBC");
    fill(b->in, MSG, in_seed);
}

/*
 * Context i through kaccel with a key and IV of its own (made from seed + i
 * and seed + 1000 + i, left in b), one message encrypted and compared with
 * the default provider's.  what: appended to the message when it fails.
 */
static EVP_CIPHER_CTX *cbc_context(struct cbc *b, int i, uint64_t seed, const char *what)
{
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new(), *r = EVP_CIPHER_CTX_new();
    int n;

    fill(b->key, sizeof(b->key), seed + (uint64_t)i);
    fill(b->iv, sizeof(b->iv), seed + 1000 + (uint64_t)i);
    CHECK(x != NULL && r != NULL && EVP_EncryptInit_ex2(x, b->c, b->key, b->iv, NULL)
              && EVP_CIPHER_CTX_set_padding(x, 0)
              && EVP_EncryptUpdate(x, b->out, &n, b->in, MSG) && n == MSG,
          "context %d: encryption failed%s", i, what);
    CHECK(EVP_EncryptInit_ex2(r, b->rc, b->key, b->iv, NULL) && EVP_CIPHER_CTX_set_padding(r, 0)
              && EVP_EncryptUpdate(r, b->ref, &n, b->in, MSG),
          "reference");
    CHECK(memcmp(b->out, b->ref, MSG) == 0, "context %d: wrong ciphertext", i);
    EVP_CIPHER_CTX_free(r);
    return x;
}

static void cbc_free(struct cbc *b)
{
    EVP_CIPHER_free(b->c);
    EVP_CIPHER_free(b->rc);
}

/* ---- session exhaustion on the device ---------------------------------- */

#define NSESS 200

static int child_sessions(const void *arg)
{
    static const char *const hw[] = { "kaccel-algorithms = all", "kaccel-min-offload = 0",
                                      NULL };
    static struct cbc b;
    EVP_CIPHER_CTX *x[NSESS];
    uint64_t off, sws, before;
    char drv[128];
    struct kactest_pair t;
    int i, n, fd0, fd1;

    (void)arg;
    kactest_pair_open(&t, tmpdir, hw);
    if (have_afalg)
        CHECK(kt_routed(&t, "AES-128-CBC", drv, sizeof(drv))
                  && strcmp(drv, "virtio_crypto_aes_cbc") == 0,
              "AES-128-CBC routed to %s, not virtio_crypto_aes_cbc", drv);
    cbc_fetch(&b, &t, 51);
    fd0 = count_fds(NULL);
    for (i = 0; i < NSESS; i++)
        x[i] = cbc_context(&b, i, 1000, "");
    off = kactest_pair_stat(&t, "AES-128-CBC", "offload_ops");
    sws = kactest_pair_stat(&t, "AES-128-CBC", "sw_session");
    printf("# %d contexts alive: %llu offloaded, %llu sw_session, %d descriptors more\n",
           NSESS, (unsigned long long)off, (unsigned long long)sws, count_fds(NULL) - fd0);
    if (have_afalg) {
        CHECK(off > 0 && sws > 0 && off + sws == NSESS,
              "expected some offloaded and the rest sw_session: offload_ops %llu sw_session %llu",
              (unsigned long long)off, (unsigned long long)sws);
        CHECK(kactest_pair_stat(&t, "AES-128-CBC", "errors") >= sws,
              "session failures not counted");
    }
    for (i = 0; i < NSESS; i++)
        EVP_CIPHER_CTX_free(x[i]);
    fd1 = count_fds(NULL);
    CHECK(fd0 == fd1, "descriptors: %d before, %d after freeing", fd0, fd1);
    /* The device's sessions are back: a new context offloads. */
    before = kactest_pair_stat(&t, "AES-128-CBC", "offload_ops");
    x[0] = EVP_CIPHER_CTX_new();
    CHECK(EVP_EncryptInit_ex2(x[0], b.c, b.key, b.iv, NULL)
              && EVP_CIPHER_CTX_set_padding(x[0], 0)
              && EVP_EncryptUpdate(x[0], b.out, &n, b.in, MSG) && memcmp(b.out, b.ref, MSG) == 0,
          "new context after freeing");
    EVP_CIPHER_CTX_free(x[0]);
    if (have_afalg)
        CHECK(kactest_pair_stat(&t, "AES-128-CBC", "offload_ops") == before + 1,
              "a new context after freeing did not offload");
    cbc_free(&b);
    kactest_pair_close(&t);
    return 0;
}

static void test_sessions(void **state)
{
    (void)state;
    run_child(NULL, NULL, child_sessions, NULL, "session exhaustion");
    if (!have_afalg)
        skip();
}

/* ---- descriptor limit --------------------------------------------------- */

#define NFD_CTX 20

static int child_fdlimit(const void *arg)
{
    static struct cbc b;
    EVP_CIPHER_CTX *x[NFD_CTX];
    struct rlimit old, lim;
    int i, n, fd0, maxfd;
    uint64_t off, sws;
    struct kactest_pair t;

    (void)arg;
    kactest_pair_open(&t, tmpdir, walk_cnf);
    cbc_fetch(&b, &t, 61);
    fd0 = count_fds(&maxfd);
    CHECK(getrlimit(RLIMIT_NOFILE, &old) == 0, "getrlimit");
    lim = old;
    lim.rlim_cur = (rlim_t)maxfd + 1 + 5;
    CHECK(setrlimit(RLIMIT_NOFILE, &lim) == 0, "setrlimit");
    for (i = 0; i < NFD_CTX; i++)
        x[i] = cbc_context(&b, i, 3000, " at the descriptor limit");
    /* A second round on the same contexts: backing off, still correct. */
    for (i = 0; i < NFD_CTX; i++)
        CHECK(EVP_EncryptUpdate(x[i], b.out, &n, b.in, MSG) && n == MSG, "context %d: round 2",
              i);
    CHECK(setrlimit(RLIMIT_NOFILE, &old) == 0, "restore the limit");
    off = kactest_pair_stat(&t, "AES-128-CBC", "offload_ops");
    sws = kactest_pair_stat(&t, "AES-128-CBC", "sw_session");
    printf("# descriptor limit %d: %llu offloaded, %llu sw_session\n", maxfd + 6,
           (unsigned long long)off, (unsigned long long)sws);
    if (have_afalg)
        CHECK(off > 0 && sws > 0, "expected offload and sw_session at the descriptor limit");
    for (i = 0; i < NFD_CTX; i++)
        EVP_CIPHER_CTX_free(x[i]);
    CHECK(count_fds(NULL) == fd0, "descriptors leaked at the limit");
    cbc_free(&b);
    kactest_pair_close(&t);
    return 0;
}

static void test_fd_limit(void **state)
{
    (void)state;
    run_child(NULL, NULL, child_fdlimit, NULL, "descriptor limit");
    if (!have_afalg)
        skip();
}

/* ---- fork --------------------------------------------------------------- */

/* Counts "fault: SITE" lines logged by pid after the line "test[pid] what". */
static int count_calls(const char *log, int pid, const char *after, const char *site)
{
    char *text = kactest_slurp(log), *p, key[64];
    int cnt = 0;

    CHECK(text != NULL && access(log, R_OK) == 0, "read %s", log);
    snprintf(key, sizeof(key), "test[%d] %s\n", pid, after);
    p = strstr(text, key);
    CHECK(p != NULL, "no '%s' in the log", key);
    snprintf(key, sizeof(key), "kaccel[%d] ", pid);
    while ((p = strstr(p, key)) != NULL) {
        char *e = strchr(p, '\n'), *q = strstr(p, "fault: ");

        if (q != NULL && (e == NULL || q < e) && strncmp(q + 7, site, strlen(site)) == 0
            && q[7 + strlen(site)] == ' ')
            cnt++;
        p += strlen(key);
    }
    free(text);
    return cnt;
}

static int child_fork(const void *arg)
{
    static unsigned char in[3 * MSG], out[3 * MSG], ref[3 * MSG];
    unsigned char key[16], iv[16], dg[32], rdg[32];
    const char *log = getenv(KACCEL_ENV_DEBUG);
    EVP_CIPHER_CTX *x, *r;
    EVP_MD_CTX *d;
    EVP_CIPHER *c, *rc;
    EVP_MD *md;
    unsigned int dl;
    struct kactest_pair t;
    int n, st, fd0;
    pid_t parent = getpid(), pid;

    (void)arg;
    kactest_pair_open(&t, tmpdir, walk_cnf);
    fill(key, sizeof(key), 71);
    fill(iv, sizeof(iv), 72);
    fill(in, sizeof(in), 73);
    c = EVP_CIPHER_fetch(t.ctx, "AES-128-CBC", "provider=kaccel");
    rc = EVP_CIPHER_fetch(t.ref, "AES-128-CBC", NULL);
    md = EVP_MD_fetch(t.ctx, "SHA2-256", "provider=kaccel");
    CHECK(c != NULL && rc != NULL && md != NULL, "fetch");
    r = EVP_CIPHER_CTX_new();
    CHECK(EVP_EncryptInit_ex2(r, rc, key, iv, NULL) && EVP_CIPHER_CTX_set_padding(r, 0)
              && EVP_EncryptUpdate(r, ref, &n, in, 3 * MSG),
          "reference");
    EVP_CIPHER_CTX_free(r);
    CHECK(EVP_Digest(in, 2 * MSG, rdg, &dl, EVP_sha256(), NULL), "reference digest");
    fd0 = count_fds(NULL);
    x = EVP_CIPHER_CTX_new();
    d = EVP_MD_CTX_new();
    CHECK(EVP_EncryptInit_ex2(x, c, key, iv, NULL) && EVP_CIPHER_CTX_set_padding(x, 0)
              && EVP_EncryptUpdate(x, out, &n, in, MSG) && memcmp(out, ref, MSG) == 0,
          "parent: first block");
    CHECK(EVP_DigestInit_ex2(d, md, NULL) && EVP_DigestUpdate(d, in, MSG), "parent: digest");
    if (have_afalg)
        CHECK(kactest_pair_stat(&t, "AES-128-CBC", "offload_ops") == 1
                  && kactest_pair_stat(&t, "SHA2-256", "offload_ops") == 0,
              "parent: the first block was not offloaded");
    kactest_mark("FORK");
    fflush(NULL);
    pid = fork();
    CHECK(pid >= 0, "fork");
    if (pid == 0) {
        /* The child continues the parent's CBC chain on its own socket. */
        kactest_mark("CHILD");
        CHECK(EVP_EncryptUpdate(x, out + MSG, &n, in + MSG, MSG)
                  && memcmp(out + MSG, ref + MSG, MSG) == 0,
              "child: wrong ciphertext after fork");
        /* A digest the parent's kernel socket holds cannot go on: a clean failure. */
        ERR_clear_error();
        if (EVP_DigestUpdate(d, in + MSG, MSG) && EVP_DigestFinal_ex(d, dg, &dl))
            CHECK(memcmp(dg, rdg, 32) == 0, "child: wrong digest after fork");
        else
            CHECK(ERR_peek_error() != 0, "child: digest failed without an error");
        if (have_afalg) {
            CHECK(count_calls(log, getpid(), "CHILD", "socket") >= 1
                      && count_calls(log, getpid(), "CHILD", "accept") >= 1,
                  "child: no socket of its own was opened");
            CHECK(kactest_pair_stat(&t, "AES-128-CBC", "offload_ops") == 2, "child: not offloaded");
        }
        EVP_CIPHER_CTX_free(x);
        EVP_MD_CTX_free(d);
        fflush(NULL);
        _exit(0);
    }
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
          "the forked child failed (status %#x)", st);
    /* The parent goes on where it was, on its own socket, unaffected. */
    CHECK(EVP_EncryptUpdate(x, out + MSG, &n, in + MSG, 2 * MSG)
              && memcmp(out + MSG, ref + MSG, 2 * MSG) == 0,
          "parent: wrong ciphertext after the child ran");
    CHECK(EVP_DigestUpdate(d, in + MSG, MSG) && EVP_DigestFinal_ex(d, dg, &dl)
              && memcmp(dg, rdg, 32) == 0,
          "parent: wrong digest after the child ran");
    if (have_afalg) {
        CHECK(count_calls(log, parent, "FORK", "socket") == 0,
              "parent: reopened its socket after fork");
        CHECK(kactest_pair_stat(&t, "AES-128-CBC", "offload_ops") == 2
                  && kactest_pair_stat(&t, "SHA2-256", "offload_ops") == 1,
              "parent: stopped offloading after fork");
    }
    EVP_CIPHER_CTX_free(x);
    EVP_MD_CTX_free(d);
    CHECK(count_fds(NULL) == fd0, "parent: descriptors leaked");
    EVP_CIPHER_free(c);
    EVP_CIPHER_free(rc);
    EVP_MD_free(md);
    kactest_pair_close(&t);
    return 0;
}

static void test_fork(void **state)
{
    char log[128];

    (void)state;
    snprintf(log, sizeof(log), "%s/log", tmpdir);
    run_child("trace", log, child_fork, NULL, "fork");
    if (!have_afalg)
        skip();
}

/* ---- main ----------------------------------------------------------------- */

static int cleanup(void **state)
{
    (void)state;
    kactest_tmpdir_remove(tmpdir, "log");
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_switch),
        cmocka_unit_test(test_fault_walk),
        cmocka_unit_test(test_sessions),
        cmocka_unit_test(test_fd_limit),
        cmocka_unit_test(test_fork),
    };
    const char *req = getenv("KACCEL_REQUIRE_AFALG");

    (void)kactest_seed; /* deterministic data: nothing random here */
    /* This process's copy of the switch stays inert: KACCEL_FAULT is for the children. */
    unsetenv("KACCEL_FAULT");
    have_afalg = kac_afalg_available();
    full = getenv("KACCEL_TEST_FAULTS_FULL") != NULL
           && strcmp(getenv("KACCEL_TEST_FAULTS_FULL"), "1") == 0;
    only = getenv("KACCEL_TEST_FAULTS_ONLY");
    if (!have_afalg && req != NULL && strcmp(req, "1") == 0)
        kac_test_need_afalg("test_faults"); /* fails */
    if (kactest_tmpdir(tmpdir, sizeof(tmpdir), "faults") != 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, cleanup);
}
