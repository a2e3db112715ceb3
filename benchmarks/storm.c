/*
 * storm: kaccel under load and fork storms, every result checked against
 * OpenSSL's default provider.
 *
 *   load   THREADS threads, each with CONTEXTS contexts of mixed algorithms
 *          (AES-CBC/CTR/ECB/XTS, AES-GCM/CCM, ChaCha20-Poly1305, SHA-2,
 *          HMAC, CMAC) and sizes (16 B to 64 KiB, split into 1 to 3
 *          updates), run by JOBS OpenSSL ASYNC jobs per thread; each
 *          encryption is decrypted again through kaccel; LOAD_ROUNDS times
 *          (default 2: memory that a second round does not reuse is a leak);
 *   fork   FORKS forks while requests are in flight: FORK_THREADS threads
 *          keep ASYNC jobs running, and the forking thread has JOBS jobs
 *          paused on their requests at each fork; the child runs FORK_OPS
 *          operations of its own through kaccel (sync and in jobs) and
 *          compares them, leaves the inherited jobs alone and exits; the
 *          parent finishes its jobs and checks them.
 *
 * After each phase the process's descriptors and RSS are printed next to the
 * baseline taken once kaccel was loaded.  A summary table ends the run; the
 * exit status is 1 when any result differed, a child failed or hung, a
 * descriptor stayed open or a phase ran out of time.
 *
 *   storm [--backend dpdk|afalg] [--threads N] [--contexts N] [--jobs N]
 *         [--load-rounds N] [--forks N] [--fork-threads N] [--fork-ops N]
 *         [--seconds S] [--seed N] [--pmd-dir DIR] [--device NAME]
 *
 * OPENSSL_MODULES must name the folder of kaccel.so.  --backend dpdk runs on
 * the software PMD --device (crypto_aesni_mb0) loaded from --pmd-dir;
 * --backend afalg needs a kernel with AF_ALG (test/vm/run).  --seconds
 * bounds each phase (default 600): a phase stops starting work then, and the
 * run fails.
 */
#include <dirent.h>
#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/async.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include <kaccel/kaccel.h>

#include "clock.h"

#ifndef KACCEL_DPDK_PMD_DIR
#define KACCEL_DPDK_PMD_DIR "/usr/lib/x86_64-linux-gnu/dpdk/pmds-23.0"
#endif

#define MAX_JOBS 64
#define AADLEN 13
#define MAXLEN 65536
#define CHILD_TIMEOUT 60 /* seconds a forked child may take */

/* ---- options and state ---- */

static struct {
    const char *backend, *pmd_dir, *device;
    int threads, contexts, jobs, forks, fork_threads, fork_ops, rounds;
    double seconds;
    uint64_t seed;
} opt = { "dpdk", KACCEL_DPDK_PMD_DIR, "crypto_aesni_mb0", 64, 1000, 8, 200, 4, 20, 2, 600, 1 };

static OSSL_LIB_CTX *kctx, *rctx;
static OSSL_PROVIDER *kprov, *kdflt, *rprov;
static double deadline;
static volatile int stop_workers;

/* ---- algorithms: fetched once (no fetch while other threads fork) ---- */

enum kind { K_CIPHER, K_AEAD, K_DIGEST, K_MAC };

struct alg {
    const char *name;
    enum kind kind;
    size_t keylen;
    const char *mac, *sub;
    EVP_CIPHER *kc, *rc;
    EVP_MD *kmd, *rmd;
    EVP_MAC *kmac, *rmac;
};

static struct alg algs[] = {
    { .name = "AES-128-CBC", .kind = K_CIPHER, .keylen = 16 },
    { .name = "AES-256-CBC", .kind = K_CIPHER, .keylen = 32 },
    { .name = "AES-128-CTR", .kind = K_CIPHER, .keylen = 16 },
    { .name = "AES-128-ECB", .kind = K_CIPHER, .keylen = 16 },
    { .name = "AES-256-XTS", .kind = K_CIPHER, .keylen = 64 },
    { .name = "AES-128-GCM", .kind = K_AEAD, .keylen = 16 },
    { .name = "AES-256-GCM", .kind = K_AEAD, .keylen = 32 },
    { .name = "AES-128-CCM", .kind = K_AEAD, .keylen = 16 },
    { .name = "ChaCha20-Poly1305", .kind = K_AEAD, .keylen = 32 },
    { .name = "SHA2-256", .kind = K_DIGEST, .keylen = 0 },
    { .name = "SHA2-512", .kind = K_DIGEST, .keylen = 0 },
    { .name = "HMAC-SHA2-256", .kind = K_MAC, .keylen = 32, .mac = "HMAC", .sub = "SHA2-256" },
    { .name = "CMAC-AES-128", .kind = K_MAC, .keylen = 16, .mac = "CMAC", .sub = "AES-128-CBC" },
};
#define NALGS (sizeof(algs) / sizeof(algs[0]))

__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fprintf(stderr, "storm: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    ERR_print_errors_fp(stderr);
    exit(2);
}

static void fetch_all(void)
{
    size_t i;

    for (i = 0; i < NALGS; i++) {
        struct alg *a = &algs[i];

        switch (a->kind) {
        case K_CIPHER:
        case K_AEAD:
            a->kc = EVP_CIPHER_fetch(kctx, a->name, "provider=kaccel");
            a->rc = EVP_CIPHER_fetch(rctx, a->name, NULL);
            if (a->kc == NULL || a->rc == NULL)
                die("fetch %s", a->name);
            break;
        case K_DIGEST:
            a->kmd = EVP_MD_fetch(kctx, a->name, "provider=kaccel");
            a->rmd = EVP_MD_fetch(rctx, a->name, NULL);
            if (a->kmd == NULL || a->rmd == NULL)
                die("fetch %s", a->name);
            break;
        case K_MAC:
            a->kmac = EVP_MAC_fetch(kctx, a->mac, "provider=kaccel");
            a->rmac = EVP_MAC_fetch(rctx, a->mac, NULL);
            if (a->kmac == NULL || a->rmac == NULL)
                die("fetch %s", a->mac);
            break;
        }
    }
}

static void free_all(void)
{
    size_t i;

    for (i = 0; i < NALGS; i++) {
        EVP_CIPHER_free(algs[i].kc);
        EVP_CIPHER_free(algs[i].rc);
        EVP_MD_free(algs[i].kmd);
        EVP_MD_free(algs[i].rmd);
        EVP_MAC_free(algs[i].kmac);
        EVP_MAC_free(algs[i].rmac);
    }
}

/* ---- one message ---- */

static uint64_t rnd(uint64_t *s)
{
    uint64_t x = *s;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static void fill(uint64_t *s, unsigned char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        p[i] = (unsigned char)rnd(s);
}

struct msg {
    const struct alg *a;
    unsigned char key[64], iv[16], aad[AADLEN];
    unsigned char *in;
    size_t len, cut[2]; /* updates: [0, cut0), [cut0, cut1), [cut1, len) */
};

/* A random message: sizes log-uniform over 16 B .. 64 KiB. */
static void msg_new(struct msg *m, uint64_t *s)
{
    unsigned bits = 4 + (unsigned)(rnd(s) % 13);

    m->a = &algs[rnd(s) % NALGS];
    m->len = ((size_t)1 << bits) + (size_t)(rnd(s) % ((size_t)1 << bits));
    if (m->len > MAXLEN)
        m->len = MAXLEN;
    m->in = malloc(m->len);
    if (m->in == NULL)
        die("out of memory");
    fill(s, m->key, sizeof(m->key));
    if (strstr(m->a->name, "XTS") != NULL)
        m->key[32] = (unsigned char)~m->key[0]; /* the halves differ */
    fill(s, m->iv, sizeof(m->iv));
    fill(s, m->aad, sizeof(m->aad));
    fill(s, m->in, m->len);
    m->cut[0] = (size_t)(rnd(s) % (m->len + 1));
    m->cut[1] = m->cut[0] + (size_t)(rnd(s) % (m->len - m->cut[0] + 1));
    if (strstr(m->a->name, "XTS") != NULL || strstr(m->a->name, "CCM") != NULL)
        m->cut[0] = m->cut[1] = m->len; /* one update: one XTS data unit, CCM's one shot */
}

static void msg_free(struct msg *m)
{
    free(m->in);
    m->in = NULL;
}

/* Up to len + 32 bytes of output (ciphertext || tag, or a digest). */
static int cipher_run(EVP_CIPHER *c, const struct msg *m, int enc, const unsigned char *in,
                      size_t len, unsigned char *tag, unsigned char *out, size_t *outlen)
{
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    int aead = m->a->kind == K_AEAD, ccm = strstr(m->a->name, "CCM") != NULL;
    int n = 0, ok = 0;
    size_t o = 0, p, cuts[3] = { m->cut[0], m->cut[1], len };

    if (x == NULL || !EVP_CipherInit_ex2(x, c, NULL, NULL, enc, NULL))
        goto end;
    if (ccm && (!EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL)
                || !EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, 16, enc ? NULL : tag)))
        goto end;
    if (!EVP_CipherInit_ex2(x, NULL, m->key, m->iv, enc, NULL))
        goto end;
    if (aead && !ccm && !enc && !EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, 16, tag))
        goto end;
    if (ccm && !EVP_CipherUpdate(x, NULL, &n, NULL, (int)len))
        goto end;
    if (aead && !EVP_CipherUpdate(x, NULL, &n, m->aad, AADLEN))
        goto end;
    if (!aead && len != m->len) /* decryption: the ciphertext in one update */
        cuts[0] = cuts[1] = len;
    for (p = 0; p < 3; p++) {
        size_t from = p == 0 ? 0 : cuts[p - 1];

        if (cuts[p] > from || (ccm && p == 2 && len == 0)) {
            if (!EVP_CipherUpdate(x, out + o, &n, in + from, (int)(cuts[p] - from)))
                goto end;
            o += (size_t)n;
        }
    }
    if (!EVP_CipherFinal_ex(x, out + o, &n))
        goto end;
    o += (size_t)n;
    if (aead && enc) {
        if (!EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, 16, out + o))
            goto end;
        o += 16;
    }
    *outlen = o;
    ok = 1;
end:
    EVP_CIPHER_CTX_free(x);
    return ok;
}

static int digest_run(EVP_MD *md, const struct msg *m, unsigned char *out, size_t *outlen)
{
    EVP_MD_CTX *x = EVP_MD_CTX_new();
    unsigned int n = 0;
    int ok = x != NULL && EVP_DigestInit_ex2(x, md, NULL)
             && EVP_DigestUpdate(x, m->in, m->cut[0])
             && EVP_DigestUpdate(x, m->in + m->cut[0], m->cut[1] - m->cut[0])
             && EVP_DigestUpdate(x, m->in + m->cut[1], m->len - m->cut[1])
             && EVP_DigestFinal_ex(x, out, &n);

    *outlen = n;
    EVP_MD_CTX_free(x);
    return ok;
}

static int mac_run(EVP_MAC *mac, const struct msg *m, unsigned char *out, size_t *outlen)
{
    EVP_MAC_CTX *x = EVP_MAC_CTX_new(mac);
    OSSL_PARAM p[2] = {
        OSSL_PARAM_construct_utf8_string(strcmp(m->a->mac, "HMAC") == 0 ? OSSL_MAC_PARAM_DIGEST
                                                                       : OSSL_MAC_PARAM_CIPHER,
                                         (char *)m->a->sub, 0),
        OSSL_PARAM_construct_end(),
    };
    int ok = x != NULL && EVP_MAC_init(x, m->key, m->a->keylen, p)
             && EVP_MAC_update(x, m->in, m->cut[0])
             && EVP_MAC_update(x, m->in + m->cut[0], m->cut[1] - m->cut[0])
             && EVP_MAC_update(x, m->in + m->cut[1], m->len - m->cut[1])
             && EVP_MAC_final(x, out, outlen, 64);

    EVP_MAC_CTX_free(x);
    return ok;
}

/*
 * The message through kaccel (and its encryption decrypted again through
 * kaccel) and through the default provider.  Returns 0 when equal, 1 when
 * they differ or a kaccel call failed.
 */
static int msg_check(const struct msg *m)
{
    size_t cap = m->len + 64, kl = 0, rl = 0, dl = 0;
    unsigned char *k = malloc(cap), *r = malloc(cap), *d = malloc(cap);
    int bad = 1;

    if (k == NULL || r == NULL || d == NULL)
        die("out of memory");
    switch (m->a->kind) {
    case K_CIPHER:
    case K_AEAD:
        if (!cipher_run(m->a->rc, m, 1, m->in, m->len, NULL, r, &rl))
            die("%s: the default provider failed", m->a->name);
        if (!cipher_run(m->a->kc, m, 1, m->in, m->len, NULL, k, &kl))
            break;
        if (kl != rl || memcmp(k, r, rl) != 0)
            break;
        /* and back: the reference's ciphertext (and tag) decrypted through kaccel */
        if (m->a->kind == K_AEAD) {
            if (!cipher_run(m->a->kc, m, 0, r, rl - 16, r + rl - 16, d, &dl))
                break;
        } else if (!cipher_run(m->a->kc, m, 0, r, rl, NULL, d, &dl)) {
            break;
        }
        bad = dl != m->len || memcmp(d, m->in, m->len) != 0;
        break;
    case K_DIGEST:
        if (!digest_run(m->a->rmd, m, r, &rl))
            die("%s: the default provider failed", m->a->name);
        bad = !digest_run(m->a->kmd, m, k, &kl) || kl != rl || memcmp(k, r, rl) != 0;
        break;
    case K_MAC:
        if (!mac_run(m->a->rmac, m, r, &rl))
            die("%s: the default provider failed", m->a->name);
        bad = !mac_run(m->a->kmac, m, k, &kl) || kl != rl || memcmp(k, r, rl) != 0;
        break;
    }
    if (bad)
        ERR_clear_error();
    free(k);
    free(r);
    free(d);
    return bad;
}

/* ---- ASYNC jobs: start them all, resume the paused ones when a wait fd fires ---- */

struct work {
    uint64_t seed;
    int count;            /* messages to run */
    int done, bad;        /* results */
};

/* Runs a work's messages (arg: a pointer to the struct work pointer, as ASYNC_start_job copies it). */
static int work_fn(void *arg)
{
    struct work *w = *(struct work **)arg;
    int i;

    for (i = 0; i < w->count && now() <= deadline; i++) {
        struct msg m;

        msg_new(&m, &w->seed);
        w->bad += msg_check(&m);
        w->done++;
        msg_free(&m);
    }
    return 1;
}

struct jobs {
    int n, left, stalls;
    ASYNC_JOB *job[MAX_JOBS];
    ASYNC_WAIT_CTX *wctx[MAX_JOBS];
    struct work *w[MAX_JOBS];
    char finished[MAX_JOBS];
};

/* Starts or resumes job i. */
static void job_step(struct jobs *j, int i)
{
    int ret;

    switch (ASYNC_start_job(&j->job[i], j->wctx[i], &ret, work_fn, &j->w[i], sizeof(j->w[i]))) {
    case ASYNC_FINISH:
        j->finished[i] = 1;
        j->left--;
        break;
    case ASYNC_PAUSE:
        break;
    default:
        die("ASYNC_start_job failed");
    }
}

static void jobs_start(struct jobs *j, struct work *w, int n)
{
    int i;

    memset(j, 0, sizeof(*j));
    j->n = j->left = n;
    for (i = 0; i < n; i++) {
        j->w[i] = &w[i];
        if ((j->wctx[i] = ASYNC_WAIT_CTX_new()) == NULL)
            die("ASYNC_WAIT_CTX_new");
        job_step(j, i);
    }
}

/* One round: waits (at most 10 s) until a paused job's wait fd is readable, resumes them all. */
static void jobs_round(struct jobs *j)
{
    struct pollfd pfd[MAX_JOBS * 4];
    int i, np = 0;

    for (i = 0; i < j->n; i++) {
        OSSL_ASYNC_FD fds[4];
        size_t nf = 0, k;

        if (j->finished[i] || !ASYNC_WAIT_CTX_get_all_fds(j->wctx[i], NULL, &nf) || nf > 4
            || !ASYNC_WAIT_CTX_get_all_fds(j->wctx[i], fds, &nf))
            continue;
        for (k = 0; k < nf; k++) {
            pfd[np].fd = fds[k];
            pfd[np].events = POLLIN;
            pfd[np++].revents = 0;
        }
    }
    if (np > 0 && poll(pfd, (nfds_t)np, 10000) == 0)
        j->stalls++; /* no wakeup for 10 s: resumed anyway, counted as a failure */
    for (i = 0; i < j->n; i++)
        if (!j->finished[i])
            job_step(j, i);
}

static void jobs_finish(struct jobs *j)
{
    int i;

    while (j->left > 0)
        jobs_round(j);
    for (i = 0; i < j->n; i++)
        ASYNC_WAIT_CTX_free(j->wctx[i]);
}

/* ---- process measurements ---- */

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = -1; /* the directory's own */

    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;

    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL)
        if (sscanf(line, "VmRSS: %ld", &v) == 1)
            break;
    fclose(f);
    return v;
}

/* kaccel's counters: offloaded operations (AF_ALG + DPDK) summed over the algorithms. */
static unsigned long long offloaded(void)
{
    char *buf = malloc(65536), *p;
    OSSL_PARAM prm[2];
    unsigned long long total = 0, v;

    if (buf == NULL)
        return 0;
    buf[0] = '\0';
    prm[0] = OSSL_PARAM_construct_utf8_string(KACCEL_PARAM_STATS, buf, 65536);
    prm[1] = OSSL_PARAM_construct_end();
    if (OSSL_PROVIDER_get_params(kprov, prm))
        for (p = buf; (p = strstr(p, " offload_ops=")) != NULL; p++)
            if (sscanf(p, " offload_ops=%llu", &v) == 1)
                total += v;
    free(buf);
    return total;
}

struct phase {
    const char *name;
    char what[200];
    long ops, bad, failures;
    unsigned long long offl;
    int fd0, fd1;
    long rss0, rss1;
    double secs;
    int timed_out;
};

static struct phase phases[16];
static int nphases;

static struct phase *phase_begin(const char *name)
{
    struct phase *p = &phases[nphases++];

    memset(p, 0, sizeof(*p));
    p->name = name;
    p->fd0 = count_fds();
    p->rss0 = rss_kib();
    p->offl = offloaded();
    p->secs = now();
    deadline = p->secs + opt.seconds;
    fprintf(stderr, "storm: %s ...\n", name);
    return p;
}

static void phase_end(struct phase *p, int base_fds, long base_rss)
{
    malloc_trim(0); /* what the phase freed goes back before RSS is read */
    p->secs = now() - p->secs;
    p->offl = offloaded() - p->offl;
    p->fd1 = count_fds();
    p->rss1 = rss_kib();
    p->timed_out = now() > deadline;
    printf("# %-5s %s: %ld operations, %ld mismatches, %ld failures, %llu offloaded, %.1f s; "
           "descriptors %d -> %d (baseline %d), RSS %ld -> %ld KiB (baseline %ld)%s\n",
           p->name, p->what, p->ops, p->bad, p->failures, p->offl, p->secs, p->fd0, p->fd1,
           base_fds, p->rss0, p->rss1, base_rss, p->timed_out ? "; OUT OF TIME" : "");
    fflush(stdout);
}

/* ---- phase 1: threads x contexts with ASYNC jobs ---- */

struct tload {
    pthread_t tid;
    int index, round;
    long ops, bad, stalls;
};

static void *load_thread(void *arg)
{
    struct tload *t = arg;
    struct work w[MAX_JOBS];
    struct jobs j;
    int i, per = (opt.contexts + opt.jobs - 1) / opt.jobs, left = opt.contexts;

    if (!ASYNC_init_thread((size_t)opt.jobs, (size_t)opt.jobs))
        die("ASYNC_init_thread");
    for (i = 0; i < opt.jobs; i++) {
        memset(&w[i], 0, sizeof(w[i]));
        w[i].seed = opt.seed * 1000003u + (uint64_t)t->index * 1009u + (uint64_t)i + 1
                    + (uint64_t)t->round * 7777u;
        w[i].count = left < per ? left : per;
        left -= w[i].count;
    }
    jobs_start(&j, w, opt.jobs);
    jobs_finish(&j);
    for (i = 0; i < opt.jobs; i++) {
        t->ops += w[i].done;
        t->bad += w[i].bad;
    }
    t->stalls = j.stalls;
    ASYNC_cleanup_thread();
    OPENSSL_thread_stop();
    return NULL;
}

static void phase_load(int base_fds, long base_rss, int round)
{
    struct phase *p = phase_begin(round == 0 ? "load" : "load again");
    struct tload *t = calloc((size_t)opt.threads, sizeof(*t));
    int i;

    if (t == NULL)
        die("out of memory");
    snprintf(p->what, sizeof(p->what), "%d threads x %d contexts, %d ASYNC jobs per thread",
             opt.threads, opt.contexts, opt.jobs);
    for (i = 0; i < opt.threads; i++) {
        t[i].index = i;
        t[i].round = round;
        if (pthread_create(&t[i].tid, NULL, load_thread, &t[i]) != 0)
            die("pthread_create");
    }
    for (i = 0; i < opt.threads; i++) {
        pthread_join(t[i].tid, NULL);
        p->ops += t[i].ops;
        p->bad += t[i].bad;
        p->failures += t[i].stalls;
    }
    free(t);
    if (p->ops < (long)opt.threads * opt.contexts)
        p->failures++;
    phase_end(p, base_fds, base_rss);
}

/* ---- phase 2: forks while requests are in flight ---- */

static void *fork_worker(void *arg)
{
    struct tload *t = arg;
    struct work w[MAX_JOBS];
    struct jobs j;
    int i, round = 0;

    if (!ASYNC_init_thread((size_t)opt.jobs, (size_t)opt.jobs))
        die("ASYNC_init_thread");
    while (!stop_workers) {
        for (i = 0; i < opt.jobs; i++) {
            memset(&w[i], 0, sizeof(w[i]));
            w[i].seed = opt.seed * 7919u + (uint64_t)t->index * 104729u + (uint64_t)round * 31u
                        + (uint64_t)i + 1;
            w[i].count = 4;
        }
        round++;
        jobs_start(&j, w, opt.jobs);
        jobs_finish(&j);
        for (i = 0; i < opt.jobs; i++) {
            t->ops += w[i].done;
            t->bad += w[i].bad;
        }
        t->stalls += j.stalls;
    }
    ASYNC_cleanup_thread();
    OPENSSL_thread_stop();
    return NULL;
}

/* The child: its own operations, synchronous then in jobs; exit 0 when all were right. */
static void fork_child(int k)
{
    struct work w[MAX_JOBS], s = { 0 };
    struct jobs j;
    int i, bad = 0, done = 0, n = opt.jobs < 4 ? opt.jobs : 4;

    alarm(CHILD_TIMEOUT);
    s.seed = opt.seed * 15485863u + (uint64_t)k + 1;
    s.count = opt.fork_ops / 2;
    deadline = now() + CHILD_TIMEOUT;
    {
        struct work *sp = &s;

        work_fn(&sp);
    }
    bad += s.bad;
    done += s.done;
    /* the inherited jobs are the parent's: a fresh pool for this thread's new jobs */
    for (i = 0; i < n; i++) {
        memset(&w[i], 0, sizeof(w[i]));
        w[i].seed = s.seed * 3u + (uint64_t)i + 7;
        w[i].count = (opt.fork_ops - s.count + n - 1) / n;
    }
    jobs_start(&j, w, n);
    jobs_finish(&j);
    for (i = 0; i < n; i++) {
        bad += w[i].bad;
        done += w[i].done;
    }
    fflush(NULL);
    _exit(bad == 0 && j.stalls == 0 && done >= opt.fork_ops / 2 ? 0 : 1);
}

static void phase_fork(int base_fds, long base_rss)
{
    struct phase *p = phase_begin("fork");
    struct tload *t = calloc((size_t)opt.fork_threads + 1, sizeof(*t));
    struct work w[MAX_JOBS];
    long children_bad = 0, hung = 0, inflight_forks = 0;
    int i, k;

    if (t == NULL)
        die("out of memory");
    snprintf(p->what, sizeof(p->what),
             "%d forks, %d busy threads + %d jobs in flight at each fork, %d ops per child",
             opt.forks, opt.fork_threads, opt.jobs, opt.fork_ops);
    stop_workers = 0;
    for (i = 0; i < opt.fork_threads; i++) {
        t[i].index = i;
        if (pthread_create(&t[i].tid, NULL, fork_worker, &t[i]) != 0)
            die("pthread_create");
    }
    /* room for a child's new jobs next to the parent's paused ones it inherits */
    if (!ASYNC_init_thread((size_t)opt.jobs + 4, (size_t)opt.jobs))
        die("ASYNC_init_thread");
    for (k = 0; k < opt.forks && now() < deadline; k++) {
        struct jobs j;
        int st;
        pid_t pid;

        for (i = 0; i < opt.jobs; i++) {
            memset(&w[i], 0, sizeof(w[i]));
            w[i].seed = opt.seed * 2654435761u + (uint64_t)k * 131u + (uint64_t)i + 1;
            w[i].count = 1;
        }
        jobs_start(&j, w, opt.jobs); /* each pauses on its first request */
        inflight_forks += j.left > 0;
        fflush(NULL);
        pid = fork();
        if (pid < 0)
            die("fork: %s", strerror(errno));
        if (pid == 0)
            fork_child(k);
        jobs_finish(&j);
        for (i = 0; i < opt.jobs; i++) {
            p->ops += w[i].done;
            p->bad += w[i].bad;
        }
        p->failures += j.stalls;
        if (waitpid(pid, &st, 0) != pid)
            die("waitpid");
        if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
            hung++;
        else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            children_bad++;
        p->ops += opt.fork_ops; /* the child's */
    }
    stop_workers = 1;
    for (i = 0; i < opt.fork_threads; i++) {
        pthread_join(t[i].tid, NULL);
        p->ops += t[i].ops;
        p->bad += t[i].bad;
        p->failures += t[i].stalls;
    }
    ASYNC_cleanup_thread();
    free(t);
    if (k < opt.forks)
        p->failures++;
    p->failures += children_bad + hung;
    snprintf(p->what + strlen(p->what), sizeof(p->what) - strlen(p->what),
             " (%d done, %ld with jobs paused, %ld children failed, %ld hung)", k, inflight_forks,
             children_bad, hung);
    phase_end(p, base_fds, base_rss);
}

/* ---- set-up ---- */

static void load_kaccel(void)
{
    char cnf[] = "/tmp/kaccel-storm-XXXXXX", eal[1024];
    int fd = mkstemp(cnf);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

    if (f == NULL)
        die("cannot write %s", cnf);
    fprintf(f, "openssl_conf = openssl_init\n[openssl_init]\nproviders = provider_sect\n"
               "[provider_sect]\ndefault = default_sect\nkaccel = kaccel_sect\n"
               "[default_sect]\nactivate = 1\n[kaccel_sect]\nactivate = 1\n"
               "kaccel-algorithms = all\nkaccel-min-offload = 0\n");
    if (strcmp(opt.backend, "dpdk") == 0) {
        const char *pmd = strncmp(opt.device, "crypto_openssl", 14) == 0
                              ? "librte_crypto_openssl.so"
                              : "librte_crypto_ipsec_mb.so";

        snprintf(eal, sizeof(eal),
                 "--no-huge --no-pci --no-shconf -m 512 -d %s/%s --vdev=%s", opt.pmd_dir, pmd,
                 opt.device);
        fprintf(f, "kaccel-backends = dpdk\nkaccel-dpdk-eal = %s\nkaccel-dpdk-devices = %s\n",
                eal, opt.device);
    } else {
        fprintf(f, "kaccel-backends = afalg\nkaccel-afalg-drivers = any\n");
    }
    fclose(f);
    kctx = OSSL_LIB_CTX_new();
    rctx = OSSL_LIB_CTX_new();
    if (kctx == NULL || rctx == NULL || !OSSL_LIB_CTX_load_config(kctx, cnf))
        die("cannot load %s", cnf);
    unlink(cnf);
    kprov = OSSL_PROVIDER_load(kctx, KACCEL_PROVIDER_NAME);
    kdflt = OSSL_PROVIDER_load(NULL, "default"); /* where the crypto_openssl PMD computes */
    rprov = OSSL_PROVIDER_load(rctx, "default");
    if (kprov == NULL || kdflt == NULL || rprov == NULL)
        die("kaccel did not load (OPENSSL_MODULES=%s)", getenv("OPENSSL_MODULES"));
    fetch_all();
}

static void usage(void)
{
    fprintf(stderr, "usage: storm [--backend dpdk|afalg] [--threads N] [--contexts N] [--jobs N]\n"
                    "             [--load-rounds N] [--forks N] [--fork-threads N] [--fork-ops N]\n"
                    "             [--seconds S]\n"
                    "             [--seed N] [--pmd-dir DIR] [--device NAME]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    int i, base_fds, fd_start, fail = 0, nfail = 0;
    long base_rss, rss_start;
    double t0 = now();
    struct phase warm;

    for (i = 1; i + 1 <= argc; i += 2) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (v == NULL)
            usage();
        if (strcmp(argv[i], "--backend") == 0)
            opt.backend = v;
        else if (strcmp(argv[i], "--threads") == 0)
            opt.threads = atoi(v);
        else if (strcmp(argv[i], "--contexts") == 0)
            opt.contexts = atoi(v);
        else if (strcmp(argv[i], "--jobs") == 0)
            opt.jobs = atoi(v);
        else if (strcmp(argv[i], "--forks") == 0)
            opt.forks = atoi(v);
        else if (strcmp(argv[i], "--fork-threads") == 0)
            opt.fork_threads = atoi(v);
        else if (strcmp(argv[i], "--fork-ops") == 0)
            opt.fork_ops = atoi(v);
        else if (strcmp(argv[i], "--load-rounds") == 0)
            opt.rounds = atoi(v);
        else if (strcmp(argv[i], "--seconds") == 0)
            opt.seconds = atof(v);
        else if (strcmp(argv[i], "--seed") == 0)
            opt.seed = strtoull(v, NULL, 10);
        else if (strcmp(argv[i], "--pmd-dir") == 0)
            opt.pmd_dir = v;
        else if (strcmp(argv[i], "--device") == 0)
            opt.device = v;
        else
            usage();
    }
    if (opt.jobs < 1 || opt.jobs > MAX_JOBS || opt.threads < 1 || opt.contexts < 1
        || opt.forks < 0 || opt.fork_threads < 0 || opt.fork_ops < 2 || opt.seed == 0
        || opt.rounds < 0 || opt.rounds > 8
        || (strcmp(opt.backend, "dpdk") != 0 && strcmp(opt.backend, "afalg") != 0))
        usage();
    signal(SIGPIPE, SIG_IGN);
    fd_start = count_fds();
    rss_start = rss_kib();
    load_kaccel();
    /* the backend's bring-up (the EAL, the probe) before the baseline */
    memset(&warm, 0, sizeof(warm));
    {
        struct work w = { .seed = opt.seed, .count = 2 * (int)NALGS }, *wp = &w;

        deadline = now() + opt.seconds;
        work_fn(&wp);
        if (w.bad != 0)
            die("%d of %d warm-up operations differ from the default provider's", w.bad,
                w.done);
    }
    malloc_trim(0);
    base_fds = count_fds();
    base_rss = rss_kib();
    printf("# storm: backend %s%s%s, seed %llu; before loading: %d descriptors, RSS %ld KiB; "
           "baseline (kaccel loaded, backend up): %d descriptors, RSS %ld KiB\n",
           opt.backend, strcmp(opt.backend, "dpdk") == 0 ? " on " : "",
           strcmp(opt.backend, "dpdk") == 0 ? opt.device : "", (unsigned long long)opt.seed,
           fd_start, rss_start, base_fds, base_rss);
    for (i = 0; i < opt.rounds; i++)
        phase_load(base_fds, base_rss, i);
    if (opt.forks > 0)
        phase_fork(base_fds, base_rss);

    printf("\n| phase | configuration | operations | mismatches | failures | offloaded | "
           "seconds | fds after / baseline | RSS after / baseline (MiB) |\n"
           "|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (i = 0; i < nphases; i++) {
        struct phase *p = &phases[i];
        int bad = p->bad != 0 || p->failures != 0 || p->fd1 != base_fds || p->timed_out;

        printf("| %s | %s | %ld | %ld | %ld | %llu | %.1f | %d / %d | %.1f / %.1f |\n", p->name,
               p->what, p->ops, p->bad, p->failures, p->offl, p->secs, p->fd1, base_fds,
               (double)p->rss1 / 1024, (double)base_rss / 1024);
        fail |= bad;
        nfail += bad;
    }
    free_all();
    OSSL_PROVIDER_unload(kprov);
    OSSL_PROVIDER_unload(rprov);
    OSSL_PROVIDER_unload(kdflt);
    OSSL_LIB_CTX_free(kctx);
    OSSL_LIB_CTX_free(rctx);
    printf("\n# %.1f s; after unloading kaccel: %d descriptors, RSS %ld KiB\n", now() - t0,
           count_fds(), rss_kib());
    printf("storm: %d passed, %d failed\n", nphases - nfail, nfail);
    return fail ? 1 : 0;
}
