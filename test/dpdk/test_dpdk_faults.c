/*
 * DPDK failures: the fault switch (KACCEL_FAULT, src/backend/afalg/fault.h)
 * injected at every call of every DPDK site that one operation of each
 * algorithm family makes on the software PMD named by KACTEST_DPDK_DEVICE,
 * synchronously and from OpenSSL ASYNC jobs:
 *
 *  - the bring-up (dpdk_eal, dpdk_mempool, dpdk_setup: the EAL, the op,
 *    session and mbuf pools, device configure, each queue pair, start), with
 *    the EAL brought up inside the operation;
 *  - the operations (dpdk_session, dpdk_op_alloc, dpdk_enqueue,
 *    dpdk_dequeue, dpdk_status, and the ASYNC jobs' wait fds: eventfd,
 *    eventfd_rw), with the EAL already up;
 *  - a storm over every site.
 *
 * Each call gets a realistic errno of its site (one per call, rotating), and
 * the ASYNC walks take four families (one cipher, GCM, CCM, HMAC);
 * KACCEL_TEST_FAULTS_FULL=1: every errno, every family, every storm.
 * KACCEL_TEST_FAULTS_ONLY="AES-128-GCM async" runs that one walk, traced.  Whatever fails, the bytes must
 * equal the default provider's (or, where the device's verdict is final, a
 * clean OpenSSL error), the failure must be counted where kaccel counts it,
 * no descriptor may stay open, no job may hang, the process must leak
 * nothing (LeakSanitizer in a sanitizer build), and kaccel must offload
 * again right after a one-off fault.
 *
 * KACCEL_FAULT and the EAL are once per process: each case runs in a forked
 * child that loads kaccel itself (this parent never loads kaccel).  A dry run
 * with KACCEL_FAULT=trace logs every call through KACCEL_DEBUG; the calls
 * between the child's MARK and END lines are the operation's.
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
#include <unistd.h>
#include <cmocka.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include <kaccel/kaccel.h>

#include "backend/afalg/fault.h"
#include "katutil.h"
#include "kactest.h"

/*
 * A sanitizer build checks the child for leaks before it exits, after kaccel
 * is unloaded (the last unload frees the digest sessions kaccel keeps for the
 * process: the crypto_openssl PMD keeps OpenSSL contexts in them, in DPDK
 * memory that LeakSanitizer does not scan).
 */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define LEAKS() __lsan_do_recoverable_leak_check()
#else
#define LEAKS() 0
#endif

#define CASE_TIMEOUT 60  /* seconds: a hang fails the case (SIGALRM) */
#define MAX_N 3          /* calls walked per site: the first MAX_N and the last */
#define NJOBS 4          /* ASYNC jobs of the async cases */
#define MSG 4096
#define BIG 40000        /* a second update over KAC_DPDK_MAX_OP: two ops in one burst */
#define AADLEN 13

static int full;
static const char *only; /* KACCEL_TEST_FAULTS_ONLY: the one walk to run ("AES-128-GCM async") */
static char tmpdir[64];
static unsigned long ncases, ninjected;

/* ---- child side: no cmocka in here --------------------------------------- */

#define CFAIL KACTEST_CHILD_FAIL
#define CHECK(c, ...)           \
    do {                        \
        if (!(c))               \
            CFAIL(__VA_ARGS__); \
    } while (0)

enum kind { K_CIPHER, K_AEAD, K_DIGEST, K_MAC };

struct fam {
    const char *name;  /* fetch name and kaccel's counter line */
    enum kind kind;
    const char *mac, *sub;
};

static const struct fam fams[] = {
    { "AES-128-CBC", K_CIPHER, NULL, NULL },
    { "AES-128-CTR", K_CIPHER, NULL, NULL },
    { "AES-128-ECB", K_CIPHER, NULL, NULL },
    { "AES-128-GCM", K_AEAD, NULL, NULL },
    { "AES-128-CCM", K_AEAD, NULL, NULL },
    { "ChaCha20-Poly1305", K_AEAD, NULL, NULL },
    { "SHA2-256", K_DIGEST, NULL, NULL },
    { "HMAC-SHA2-256", K_MAC, "HMAC", "SHA2-256" },
    { "CMAC-AES-128", K_MAC, "CMAC", "AES-128-CBC" },
};
#define NFAMS (sizeof(fams) / sizeof(fams[0]))

/* The sites of each phase, each with its realistic errnos. */
struct site {
    enum kac_fault_site site;
    const char *errs[4];
    int counted; /* the fault leaves a trace in kaccel's counters: 1 always, 2 when sync */
};

static const struct site bringup_sites[] = {
    { KAC_FAULT_DPDK_EAL, { "ENOMEM", "EACCES", "EINVAL" }, 0 },
    { KAC_FAULT_DPDK_MEMPOOL, { "ENOMEM", "ENOSPC", "EEXIST" }, 0 },
    { KAC_FAULT_DPDK_SETUP, { "EINVAL", "ENOMEM", "EBUSY", "ENOTSUP" }, 0 },
};

static const struct site op_sites[] = {
    { KAC_FAULT_DPDK_SESSION, { "ENOMEM", "ENOTSUP", "EINVAL" }, 1 },
    { KAC_FAULT_DPDK_OP_ALLOC, { "ENOMEM", "ENOBUFS" }, 1 },
    /* ASYNC jobs stage their ops: a refused burst is enqueued again by the next job */
    { KAC_FAULT_DPDK_ENQUEUE, { "EAGAIN", "EBUSY" }, 2 },
    { KAC_FAULT_DPDK_DEQUEUE, { "EAGAIN", "EBUSY" }, 0 },
    { KAC_FAULT_DPDK_STATUS, { "EIO", "EBADMSG" }, 1 },
    { KAC_FAULT_EVENTFD, { "EMFILE", "ENFILE", "ENOMEM" }, 0 },
    { KAC_FAULT_EVENTFD_RW, { "EAGAIN" }, 0 },
};

static const char *const storms[] = {
    ("dpdk_status:*3:EIO,dpdk_enqueue:*4:EAGAIN,dpdk_session:*5:ENOMEM,dpdk_op_alloc:*7:ENOMEM,"
     "dpdk_dequeue:*2:EBUSY"),
    "any:*5:EAGAIN",
    "dpdk_dequeue:*2:EAGAIN,eventfd:*2:EMFILE,eventfd_rw:*2:EAGAIN,dpdk_status:*4:EBADMSG",
};

struct wcase {
    size_t fam;
    int async;
    int bringup;           /* the EAL comes up inside the operation */
    int site;              /* -1: no fault in the window (trace, storm) */
    int counted;
    const char *err;
    int max_fd_delta;      /* bring-up: the fault-free run's */
};

/* The default provider in the default library context: the crypto_openssl PMD computes there. */
static OSSL_PROVIDER *dflt;

static void kt_open(struct kactest_pair *t)
{
    static const char *const extra[] = { "kaccel-algorithms = all", "kaccel-min-offload = 0",
                                         NULL };

    dflt = OSSL_PROVIDER_load(NULL, "default");
    CHECK(dflt != NULL, "default provider");
    kactest_pair_open(t, tmpdir, kactest_dpdk_lines(extra));
}

static void kt_close(struct kactest_pair *t)
{
    kactest_pair_close(t);
    OSSL_PROVIDER_unload(dflt);
}

/*
 * What kaccel counted as gone wrong for alg: an error, or software for a
 * backend's reason (a session refused as unsupported counts as sw_params).
 */
static uint64_t kt_trouble(struct kactest_pair *t, const char *alg)
{
    return kactest_pair_stat(t, alg, "errors") + kactest_pair_stat(t, alg, "sw_session")
           + kactest_pair_stat(t, alg, "sw_op_error") + kactest_pair_stat(t, alg, "sw_queue_full")
           + kactest_pair_stat(t, alg, "sw_params");
}

/* ---- the operations -------------------------------------------------------- */

struct out {
    unsigned char b[4 * (MSG + BIG) + 256];
    size_t n;
};

static void put(struct out *o, const unsigned char *p, size_t n)
{
    CHECK(o->n + n <= sizeof(o->b), "output overflow");
    memcpy(o->b + o->n, p, n);
    o->n += n;
}

static void fill(unsigned char *buf, size_t len, uint64_t s)
{
    kactest_rand(&s, buf, len);
}


/*
 * Ciphers: encrypt MSG then BIG bytes in two updates + final (padding for
 * CBC and ECB), then decrypt that in place in one update + final.
 */
static int op_cipher(OSSL_LIB_CTX *ctx, const char *props, const char *name, uint64_t seed,
                     struct out *o)
{
    unsigned char *in = kactest_buffer(MSG + BIG), *buf = kactest_buffer(MSG + BIG + 32);
    EVP_CIPHER *c = EVP_CIPHER_fetch(ctx, name, props);
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    unsigned char key[16], iv[16];
    int n1 = 0, n2 = 0, n3 = 0, ok = 0, len;

    CHECK(c != NULL && x != NULL, "fetch %s (%s)", name, props ? props : "default");
    fill(key, sizeof(key), seed + 1);
    fill(iv, sizeof(iv), seed + 2);
    fill(in, MSG + BIG, seed + 3);
    if (!EVP_EncryptInit_ex2(x, c, key, iv, NULL) || !EVP_EncryptUpdate(x, buf, &n1, in, MSG)
        || !EVP_EncryptUpdate(x, buf + n1, &n2, in + MSG, BIG)
        || !EVP_EncryptFinal_ex(x, buf + n1 + n2, &n3))
        goto end;
    len = n1 + n2 + n3;
    put(o, buf, (size_t)len);
    if (!EVP_DecryptInit_ex2(x, c, key, iv, NULL) || !EVP_DecryptUpdate(x, buf, &n1, buf, len)
        || !EVP_DecryptFinal_ex(x, buf + n1, &n2))
        goto end;
    CHECK(n1 + n2 == MSG + BIG && memcmp(buf, in, MSG + BIG) == 0,
          "%s: decrypt(encrypt) != input", name);
    put(o, buf, (size_t)(n1 + n2));
    ok = 1;
end:
    EVP_CIPHER_CTX_free(x);
    EVP_CIPHER_free(c);
    free(in);
    free(buf);
    return ok;
}

/*
 * AEAD: two messages (MSG bytes, 13 bytes of AAD) encrypted on one context
 * each, then the default provider's encryption of them decrypted in place.
 */
static int op_aead(OSSL_LIB_CTX *ctx, OSSL_LIB_CTX *ref, const char *props, const char *name,
                   uint64_t seed, struct out *o)
{
    unsigned char *in = kactest_buffer(MSG), *buf = kactest_buffer(MSG + 16);
    unsigned char *rct = kactest_buffer(MSG + 16);
    EVP_CIPHER *c = EVP_CIPHER_fetch(ctx, name, props), *rc = EVP_CIPHER_fetch(ref, name, NULL);
    struct kat_how h = { 0 };
    unsigned char key[32], iv[12], aad[AADLEN], tag[16], rtag[16];
    int m, ok = 0, r;

    CHECK(c != NULL && rc != NULL, "fetch %s (%s)", name, props ? props : "default");
    h.taglen = 16;
    h.tag_early = 1;
    h.ivlen = kat_is_ccm(name) ? 12 : 0;
    fill(key, sizeof(key), seed + 1);
    fill(aad, sizeof(aad), seed + 2);
    fill(in, MSG, seed + 3);
    for (m = 0; m < 2; m++) {
        fill(iv, sizeof(iv), seed + 4 + (uint64_t)m);
        if (kat_aead_msg(c, 1, &h, key, iv, aad, AADLEN, in, MSG, buf, tag, 0) != KAT_MSG_OK)
            goto end;
        put(o, buf, MSG);
        put(o, tag, 16);
    }
    for (m = 0; m < 2; m++) {
        fill(iv, sizeof(iv), seed + 4 + (uint64_t)m);
        CHECK(kat_aead_msg(rc, 1, &h, key, iv, aad, AADLEN, in, MSG, rct, rtag, 0) == KAT_MSG_OK,
              "reference encryption");
        h.inplace = 1;
        r = kat_aead_msg(c, 0, &h, key, iv, aad, AADLEN, rct, MSG, rct, rtag, 0);
        h.inplace = 0;
        if (r != KAT_MSG_OK) {
            /* kat_aead_msg clears the queue: the failure is raised again for the caller */
            if (kat_msg_error)
                ERR_raise_data(ERR_LIB_EVP, EVP_R_DECODE_ERROR, "%s: decryption failed", name);
            goto end;
        }
        put(o, rct, MSG);
    }
    ok = 1;
end:
    EVP_CIPHER_free(c);
    EVP_CIPHER_free(rc);
    free(in);
    free(buf);
    free(rct);
    return ok;
}

/* Digest: a two-update message, then a short one on the same context. */
static int op_digest(OSSL_LIB_CTX *ctx, const char *props, const char *name, uint64_t seed,
                     struct out *o)
{
    unsigned char *in = kactest_buffer(2 * MSG);
    EVP_MD *md = EVP_MD_fetch(ctx, name, props);
    EVP_MD_CTX *x = EVP_MD_CTX_new();
    unsigned char dg[EVP_MAX_MD_SIZE];
    unsigned int n;
    int ok = 0;

    CHECK(md != NULL && x != NULL, "fetch %s (%s)", name, props ? props : "default");
    fill(in, 2 * MSG, seed + 1);
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

static int op_mac(OSSL_LIB_CTX *ctx, const char *props, const struct fam *f, uint64_t seed,
                  struct out *o)
{
    unsigned char *in = kactest_buffer(2 * MSG);
    EVP_MAC *mac = EVP_MAC_fetch(ctx, f->mac, props);
    EVP_MAC_CTX *x = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
    unsigned char key[16], tag[EVP_MAX_MD_SIZE];
    OSSL_PARAM p[2];
    size_t n;
    int ok = 0;

    CHECK(x != NULL, "fetch %s (%s)", f->mac, props ? props : "default");
    p[0] = OSSL_PARAM_construct_utf8_string(f->kind == K_MAC && strcmp(f->mac, "HMAC") == 0
                                                ? OSSL_MAC_PARAM_DIGEST
                                                : OSSL_MAC_PARAM_CIPHER,
                                            (char *)f->sub, 0);
    p[1] = OSSL_PARAM_construct_end();
    fill(key, sizeof(key), seed + 1);
    fill(in, 2 * MSG, seed + 2);
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

/* One operation of family f with data from seed; 1, or 0 when a call failed. */
static int op_run(struct kactest_pair *t, OSSL_LIB_CTX *ctx, const char *props,
                  const struct fam *f, uint64_t seed, struct out *o)
{
    o->n = 0;
    switch (f->kind) {
    case K_CIPHER:
        return op_cipher(ctx, props, f->name, seed, o);
    case K_AEAD:
        return op_aead(ctx, t->ref, props, f->name, seed, o);
    case K_DIGEST:
        return op_digest(ctx, props, f->name, seed, o);
    case K_MAC:
        return op_mac(ctx, props, f, seed, o);
    }
    return 0;
}

/* One job's (or the synchronous run's) work and result. */
struct job {
    struct kactest_pair *t;
    const struct fam *f;
    uint64_t seed;
    int ok, err;         /* err: an OpenSSL error was queued when it failed */
    struct out got, want;
};

static int job_fn(void *arg)
{
    struct job *j = arg;

    ERR_clear_error();
    j->ok = op_run(j->t, j->t->ctx, "provider=kaccel", j->f, j->seed, &j->got);
    j->err = !j->ok && ERR_peek_error() != 0;
    ERR_clear_error();
    return 1;
}

/* The operation through kaccel: once, or as NJOBS ASYNC jobs. */
static void run_kaccel(struct job *jobs, int async)
{
    struct kactest_jobs d = KACTEST_JOBS(jobs, NJOBS, job_fn);

    if (!async) {
        job_fn(&jobs[0]);
        return;
    }
    d.wait = KACTEST_WAIT_ANY_FD;
    d.timeout = 20;
    CHECK(kactest_jobs_run(&d) == 0, "ASYNC jobs: %s", d.why);
}

/*
 * Checks a run: the bytes are the default provider's, or, only where the
 * device's verdict on a message is final (an injected EBADMSG status on an
 * AEAD decryption), a clean failure with an OpenSSL error.
 */
static int check_results(struct job *jobs, int n, const struct wcase *wc, const char *what)
{
    int i, failed = 0;

    for (i = 0; i < n; i++) {
        struct job *j = &jobs[i];

        if (!j->ok) {
            CHECK(wc->err != NULL && strcmp(wc->err, "EBADMSG") == 0 && j->f->kind == K_AEAD,
                  "%s: job %d: the operation failed", what, i);
            CHECK(j->err, "%s: job %d: failed without an OpenSSL error", what, i);
            /* what came before the failed decryption is right */
            CHECK(j->got.n < j->want.n && memcmp(j->got.b, j->want.b, j->got.n) == 0,
                  "%s: job %d: wrong bytes before the failure", what, i);
            failed++;
            continue;
        }
        CHECK(j->got.n == j->want.n && memcmp(j->got.b, j->want.b, j->want.n) == 0,
              "%s: job %d: result differs from the default provider's", what, i);
    }
    return failed;
}

static int count_fds(void)
{
    int n = kactest_count_fds(NULL, NULL);

    CHECK(n > 0, "count descriptors");
    return n;
}

/* One walk case in a child: the operation through kaccel against the default provider. */
static int child_walk(const void *arg)
{
    const struct wcase *wc = arg;
    const struct fam *f = &fams[wc->fam];
    static struct job jobs[NJOBS];
    int n = wc->async ? NJOBS : 1, i, fd0, fd1, routed, verdicts;
    uint64_t ops0, ops1, trouble;
    char route[128], what[160];
    struct kactest_pair t;

    snprintf(what, sizeof(what), "%s%s", f->name, wc->async ? " (async)" : "");
    kt_open(&t);
    for (i = 0; i < n; i++) {
        jobs[i].t = &t;
        jobs[i].f = f;
        jobs[i].seed = 1000 * (uint64_t)(wc->fam + 1) + 100 * (uint64_t)i;
        CHECK(op_run(&t, t.ref, NULL, f, jobs[i].seed, &jobs[i].want), "%s: reference", what);
    }
    if (!wc->bringup) {
        /* the EAL, the devices and this thread's queue pair come up here */
        run_kaccel(jobs, 0);
        check_results(jobs, 1, wc, what);
    }
    fd0 = count_fds();
    ops0 = kactest_pair_stat(&t, f->name, "dpdk_ops");
    kactest_mark("MARK");
    run_kaccel(jobs, wc->async);
    kactest_mark("END");
    fd1 = count_fds();
    verdicts = check_results(jobs, n, wc, what);
    routed = kactest_provider_route(t.kac, f->name, route, sizeof(route));
    CHECK(routed >= 0, "%s: routes", what);
    trouble = kt_trouble(&t, f->name);
    if (wc->site < 0 && getenv("KACCEL_FAULT") != NULL
        && strcmp(getenv("KACCEL_FAULT"), "trace") == 0) {
        /* the dry run: the family on the device, nothing gone wrong, no descriptor left */
        kactest_mark("ROUTE %s", routed ? route : "-");
        kactest_mark("FDS %d", fd1 - fd0);
        if (routed && strncmp(route, "dpdk:", 5) == 0) {
            CHECK(kactest_pair_stat(&t, f->name, "dpdk_ops") > ops0,
                  "%s: not offloaded without faults", what);
            CHECK(trouble == 0, "%s: %llu failures counted without faults", what,
                  (unsigned long long)trouble);
        }
    }
    /* (a device's "forged" verdict that failed a decryption is no backend failure) */
    if (wc->site >= 0 && wc->counted && verdicts == 0)
        CHECK(trouble > 0, "%s: KACCEL_FAULT=%s fired but no error, sw_session, sw_op_error, "
                           "sw_queue_full or sw_params was counted", what, getenv("KACCEL_FAULT"));
    if (wc->bringup)
        CHECK(fd1 - fd0 <= wc->max_fd_delta,
              "%s: %d descriptors more after the bring-up, %d without faults", what, fd1 - fd0,
              wc->max_fd_delta);
    else
        CHECK(fd0 == fd1, "%s: descriptors leaked: %d before, %d after", what, fd0, fd1);
    if (wc->site >= 0 && !wc->bringup) {
        /* a one-off fault leaves nothing behind: the next operation offloads again */
        ops1 = kactest_pair_stat(&t, f->name, "dpdk_ops");
        run_kaccel(jobs, wc->async);
        check_results(jobs, n, &(struct wcase){ .site = -1 }, what);
        CHECK(kactest_pair_stat(&t, f->name, "dpdk_ops") > ops1,
              "%s: not offloaded any more after KACCEL_FAULT=%s", what, getenv("KACCEL_FAULT"));
    }
    kt_close(&t);
    OPENSSL_cleanup();
    CHECK(LEAKS() == 0, "%s: memory leaked (LeakSanitizer)", what);
    return 0;
}

/* ---- parent side ------------------------------------------------------------ */

static void run_child(const char *fault, const char *log, const struct wcase *wc,
                      const char *what)
{
    const struct kactest_child c = { .fn = child_walk, .arg = wc, .fault = fault, .log = log,
                                     .timeout = CASE_TIMEOUT };

    ncases++;
    kactest_child_expect(&c, what);
}

/* A "test[pid] KEY value" line of the log after the window: value, or NULL. */
static const char *log_value(const char *log, const char *key, char *buf, size_t len)
{
    char k[48];
    const char *p;

    snprintf(k, sizeof(k), "] %s ", key);
    p = strstr(log, k);
    if (p == NULL)
        return NULL;
    p += strlen(k);
    snprintf(buf, len, "%.*s", (int)strcspn(p, "\n"), p);
    return buf;
}

static char *slurp(const char *path)
{
    char *text = kactest_slurp(path);

    assert_non_null(text);
    return text;
}

/*
 * Walks the sites of one phase for family fam: a dry run for the call
 * numbers, then a fault at each.  Returns 0 when the family is not on the
 * device (nothing walked).
 */
static int walk(size_t fam, int async, int bringup, const struct site *sites, size_t nsites)
{
    struct wcase wc = { .fam = fam, .async = async, .bringup = bringup, .site = -1,
                        .max_fd_delta = 1000 };
    unsigned long lo[KAC_FAULT_NSITES], hi[KAC_FAULT_NSITES], n;
    char log[128], spec[64], what[200], label[64], route[128], fds[16], *text, *w;
    size_t i, e, nerr;
    int fired;

    snprintf(label, sizeof(label), "%s%s%s", fams[fam].name, async ? " async" : "",
             bringup ? " bring-up" : "");
    if (only != NULL && strcmp(only, label) != 0)
        return 1;
    /* kept when a case fails */
    snprintf(log, sizeof(log), "%s/log-%zu%s%s", tmpdir, fam, async ? "-async" : "",
             bringup ? "-bringup" : "");
    run_child("trace", log, &wc, label);
    text = slurp(log);
    if (log_value(text, "ROUTE", route, sizeof(route)) == NULL
        || log_value(text, "FDS", fds, sizeof(fds)) == NULL)
        fail_msg("%s: no ROUTE/FDS in the child's log %s", label, log);
    if (strncmp(route, "dpdk:", 5) != 0) {
        printf("# %-34s not on the device (%s): not walked\n", label, route);
        free(text);
        return 0;
    }
    wc.max_fd_delta = atoi(fds);
    w = kactest_log_window(text);
    if (w == NULL)
        fail_msg("%s: no MARK in the child's log %s", label, log);
    kactest_fault_calls(w, lo, hi);
    free(text);
    printf("# %-34s calls:", label);
    for (i = 0; i < nsites; i++) {
        int s = sites[i].site;

        printf(" %s %lu", kac_fault_site_name(s), hi[s] ? hi[s] - lo[s] + 1 : 0);
    }
    printf("\n");
    for (i = 0; i < nsites; i++) {
        int s = sites[i].site;

        if (hi[s] == 0)
            continue;
        for (nerr = 0; nerr < 4 && sites[i].errs[nerr] != NULL; nerr++)
            ;
        for (n = lo[s]; n <= hi[s]; n++) {
            if (n >= lo[s] + MAX_N && n != hi[s])
                continue;
            for (e = 0; e < nerr; e++) {
                /* by default one errno per call, rotating; every one when full */
                if (!full && e != (n - lo[s] + i) % nerr)
                    continue;
                snprintf(spec, sizeof(spec), "%s:%lu:%s%s", kac_fault_site_name(s), n,
                         sites[i].errs[e], only != NULL ? ",trace" : "");
                snprintf(what, sizeof(what), "%s KACCEL_FAULT=%s", label, spec);
                wc.site = s;
                wc.counted = sites[i].counted == 1 || (sites[i].counted == 2 && !async);
                wc.err = sites[i].errs[e];
                run_child(spec, log, &wc, what);
                text = slurp(log);
                w = kactest_log_window(text);
                fired = w != NULL && strstr(w, "fault: inject") != NULL;
                free(text);
                /* a dequeue may be polled a varying number of times */
                if (!fired && s != KAC_FAULT_DPDK_DEQUEUE)
                    fail_msg("%s: the fault did not fire inside the operation", what);
                ninjected += fired;
            }
        }
    }
    unlink(log);
    return 1;
}

static void test_bringup(void **state)
{
    size_t walked = 0;

    (void)state;
    /* the bring-up does not depend on the algorithm: one cipher, one AEAD */
    walked += walk(0, 0, 1, bringup_sites, sizeof(bringup_sites) / sizeof(bringup_sites[0]));
    walked += walk(3, 1, 1, bringup_sites, sizeof(bringup_sites) / sizeof(bringup_sites[0]));
    if (walked == 0)
        fail_msg("neither AES-128-CBC nor AES-128-GCM is on %s", kactest_dpdk_device());
}

static void walk_ops(int async)
{
    /* ASYNC jobs: the paths of one cipher, two AEADs (CCM's verdict is final), one MAC */
    static const char *const async_fams = " AES-128-CBC AES-128-GCM AES-128-CCM HMAC-SHA2-256 ";
    size_t i, walked = 0;
    char key[40];

    for (i = 0; i < NFAMS; i++) {
        snprintf(key, sizeof(key), " %s ", fams[i].name);
        if (async && !full && strstr(async_fams, key) == NULL)
            continue;
        walked += walk(i, async, 0, op_sites, sizeof(op_sites) / sizeof(op_sites[0]));
    }
    printf("# %zu families walked on %s; %lu child processes, %lu injected faults so far\n",
           walked, kactest_dpdk_device(), ncases, ninjected);
    if (walked < 3)
        fail_msg("only %zu algorithm families on %s", walked, kactest_dpdk_device());
}

static void test_ops_sync(void **state)
{
    (void)state;
    walk_ops(0);
}

static void test_ops_async(void **state)
{
    (void)state;
    walk_ops(1);
}

/* Storms over every call, the bring-up included: results, descriptors, leaks. */
static void test_storms(void **state)
{
    struct wcase wc = { .site = -1, .max_fd_delta = 1000 };
    char what[300];
    size_t i, s;

    (void)state;
    for (i = 0; i < NFAMS; i++)
        for (s = 0; s < sizeof(storms) / sizeof(storms[0]); s++) {
            if (!full && s != i % (sizeof(storms) / sizeof(storms[0])))
                continue;
            wc.fam = i;
            wc.async = (int)(i % 2);
            /* an EBADMSG verdict on a genuine CCM message is final: a clean failure */
            wc.err = strstr(storms[s], "EBADMSG") != NULL ? "EBADMSG" : NULL;
            snprintf(what, sizeof(what), "%s%s KACCEL_FAULT=%s", fams[i].name,
                     wc.async ? " async" : "", storms[s]);
            run_child(storms[s], NULL, &wc, what);
        }
    printf("# %lu child processes, %lu injected faults\n", ncases, ninjected);
}

static int cleanup(void **state)
{
    (void)state;
    kactest_tmpdir_remove(tmpdir, NULL);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bringup),
        cmocka_unit_test(test_ops_sync),
        cmocka_unit_test(test_ops_async),
        cmocka_unit_test(test_storms),
    };
    const char *f = getenv("KACCEL_TEST_FAULTS_FULL");

    kactest_dpdk_require("test_dpdk_faults");
    /* this process never loads kaccel: KACCEL_FAULT is for the children */
    unsetenv("KACCEL_FAULT");
    unsetenv(KACCEL_ENV_DEBUG);
    full = f != NULL && strcmp(f, "1") == 0;
    only = getenv("KACCEL_TEST_FAULTS_ONLY");
    if (kactest_tmpdir(tmpdir, sizeof(tmpdir), "dpdk-faults") != 0)
        return 1;
    printf("# device %s; logs in %s\n", kactest_dpdk_device(), tmpdir);
    return _cmocka_run_group_tests(kactest_dpdk_device(), tests, sizeof(tests) / sizeof(tests[0]),
                                   NULL, cleanup);
}
