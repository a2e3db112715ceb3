/*
 * kaccel tune: for each algorithm kaccel routes to a backend on this machine,
 * the buffer size from which offload beats OpenSSL's software, for synchronous
 * calls and for calls inside OpenSSL ASYNC jobs, written as an openssl.cnf
 * snippet (kaccel-min-offload-algs, kaccel-min-offload-async-algs, plus
 * kaccel-tuned, which `kaccel info` shows as the thresholds' origin).
 *
 * Method: kaccel loaded from the user's configuration with every threshold at
 * 0 (so every operation is offloaded) in one library context, the default
 * provider in another; for each size (64 B .. 64 KiB, doubling) three runs
 * interleave (A B C A B C ...) for a short time each, REPEATS times: the
 * default provider's synchronous operations on a kept context (as a server
 * keeps a connection's), kaccel's the same, and kaccel's in N ASYNC jobs of
 * this thread, each on its own kept context, resumed when a wait fd of the
 * job is readable as `openssl speed -async_jobs` does.  The ratios to
 * software are the medians of the per-repeat ratios; a threshold is the
 * smallest size from which its ratio stays >= 1.
 */
#include "tune.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/async.h>
#include <openssl/conf.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include <kaccel/kaccel.h>

#include "cnfcheck.h"
#include "core/alg.h"
#include "core/config.h"
#include "stats.h"

#define TUNE_MIN 64
#define TUNE_MAX 65536
#define TUNE_NSIZES 11
#define TUNE_NEVER "1024M"
#define TUNE_JOBS 16      /* ASYNC jobs of the async measurement (--jobs) */
#define TUNE_MAX_JOBS 64
#define TUNE_JOB_FDS 4    /* wait fds a job may have */

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Writes a private openssl.cnf: the user's kaccel keys, thresholds at 0. */
static int write_cnf(const char *file, char *path, size_t pathlen, FILE *out)
{
    CONF *conf = NCONF_new(NULL);
    STACK_OF(CONF_VALUE) *keys = NULL;
    const char *section = NULL;
    char *deffile = NULL;
    FILE *f = NULL;
    int fd, i, ok = 0;

    if (file == NULL)
        file = deffile = CONF_get1_default_config_file();
    if (conf == NULL || file == NULL || NCONF_load(conf, file, NULL) <= 0
        || (section = kac_cnf_kaccel_section(conf)) == NULL
        || (keys = NCONF_get_section(conf, section)) == NULL) {
        fprintf(out, "kaccel tune: no kaccel provider section in %s (see kaccel(7))\n",
                file ? file : "(none)");
        goto end;
    }
    snprintf(path, pathlen, "/tmp/kaccel-tune-XXXXXX");
    if ((fd = mkstemp(path)) < 0 || (f = fdopen(fd, "w")) == NULL)
        goto end;
    fprintf(f, "openssl_conf = openssl_init\n[openssl_init]\nproviders = provider_sect\n"
               "[provider_sect]\ndefault = default_sect\nkaccel = kaccel_sect\n"
               "[default_sect]\nactivate = 1\n[kaccel_sect]\nactivate = 1\n"
               "%s = 0\n%s = 0\n", KACCEL_CNF_MIN_OFFLOAD, KACCEL_CNF_MIN_OFFLOAD_ASYNC);
    for (i = 0; i < sk_CONF_VALUE_num(keys); i++) {
        CONF_VALUE *v = sk_CONF_VALUE_value(keys, i);

        if (strcmp(v->name, "activate") == 0 || strcmp(v->name, KACCEL_CNF_MIN_OFFLOAD) == 0
            || strcmp(v->name, KACCEL_CNF_MIN_OFFLOAD_ALGS) == 0
            || strcmp(v->name, KACCEL_CNF_MIN_OFFLOAD_ASYNC) == 0
            || strcmp(v->name, KACCEL_CNF_MIN_OFFLOAD_ASYNC_ALGS) == 0
            || strcmp(v->name, KACCEL_CNF_TUNED) == 0)
            continue;
        fprintf(f, "%s = %s\n", v->name, v->value);
    }
    ok = fclose(f) == 0;
    f = NULL;
end:
    if (f != NULL)
        fclose(f);
    NCONF_free(conf);
    OPENSSL_free(deffile);
    ERR_clear_error();
    return ok;
}

/*
 * One algorithm in both library contexts ([0] software, [1] kaccel): contexts
 * made once and keyed once, as a server keeps a connection's; each operation
 * re-initialises with a new IV (ciphers) or restarts the message.  The ASYNC
 * jobs each have a kaccel context of their own (jx).
 */
struct tune_ctx {
    EVP_CIPHER_CTX *cc;
    EVP_MD_CTX *mc;
    EVP_MAC_CTX *xc;
};

struct tune_alg {
    const struct kac_alg *alg;
    EVP_CIPHER *c[2];
    EVP_MD *md[2];
    EVP_MAC *mac[2];
    struct tune_ctx x[2];
    struct tune_ctx jx[TUNE_MAX_JOBS];
};

static const unsigned char tune_key[64] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
                                            16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28,
                                            29, 30, 31, 32, 33 };

static int tune_setup(struct tune_alg *t, int k, struct tune_ctx *x)
{
    static const unsigned char iv[16] = { 9 };

    if (t->c[k] != NULL)
        return (x->cc = EVP_CIPHER_CTX_new()) != NULL
               && EVP_EncryptInit_ex2(x->cc, t->c[k], tune_key, iv, NULL)
               && EVP_CIPHER_CTX_set_padding(x->cc, 0);
    if (t->md[k] != NULL)
        return (x->mc = EVP_MD_CTX_new()) != NULL;
    if (t->mac[k] != NULL) {
        OSSL_PARAM p[2] = { OSSL_PARAM_END, OSSL_PARAM_END };
        char name[32];

        p[0] = OSSL_PARAM_construct_utf8_string(t->alg->mode == KAC_MODE_HMAC
                                                    ? OSSL_MAC_PARAM_DIGEST
                                                    : OSSL_MAC_PARAM_CIPHER,
                                                (char *)kac_alg_mac_sub(t->alg, name,
                                                                        sizeof(name)),
                                                0);
        return (x->xc = EVP_MAC_CTX_new(t->mac[k])) != NULL
               && EVP_MAC_init(x->xc, tune_key,
                               t->alg->mode == KAC_MODE_HMAC ? 32 : t->alg->keylen, p);
    }
    return 0;
}

static void tune_ctx_free(struct tune_ctx *x)
{
    EVP_CIPHER_CTX_free(x->cc);
    EVP_MD_CTX_free(x->mc);
    EVP_MAC_CTX_free(x->xc);
    memset(x, 0, sizeof(*x));
}

static int one_op(const struct tune_alg *t, int k, struct tune_ctx *x, const unsigned char *in,
                  unsigned char *out, size_t len)
{
    unsigned char md[EVP_MAX_MD_SIZE], iv[16] = { 7 };
    unsigned int mdl = 0;
    size_t ml = 0;
    int outl = 0;

    if (x->cc != NULL) {
        iv[1] = (unsigned char)len;
        /* CCM takes the message length before the associated data. */
        return EVP_EncryptInit_ex2(x->cc, NULL, NULL, iv, NULL)
               && (t->alg->mode != KAC_MODE_CCM
                   || EVP_EncryptUpdate(x->cc, NULL, &outl, NULL, (int)len))
               && (t->alg->kind != KAC_KIND_AEAD
                   || EVP_EncryptUpdate(x->cc, NULL, &outl, tune_key, 13))
               && EVP_EncryptUpdate(x->cc, out, &outl, in, (int)len)
               && EVP_EncryptFinal_ex(x->cc, out + outl, &outl);
    }
    if (x->mc != NULL)
        return EVP_DigestInit_ex2(x->mc, t->md[k], NULL)
               && EVP_DigestUpdate(x->mc, in, len) && EVP_DigestFinal_ex(x->mc, md, &mdl);
    if (x->xc != NULL)
        return EVP_MAC_init(x->xc, NULL, 0, NULL) && EVP_MAC_update(x->xc, in, len)
               && EVP_MAC_final(x->xc, md, &ml, sizeof(md));
    return 0;
}

/* Synchronous operations per second over about ms milliseconds. */
static double rate(struct tune_alg *t, int k, const unsigned char *in, unsigned char *out,
                   size_t len, double ms)
{
    double t0 = now(), el;
    unsigned long n = 0;

    do {
        unsigned i;

        for (i = 0; i < 16; i++)
            if (!one_op(t, k, &t->x[k], in, out, len))
                return -1;
        n += 16;
    } while ((el = now() - t0) * 1000 < ms);
    return (double)n / el;
}

/* ---- kaccel inside ASYNC jobs ---- */

/* One job's work: operations on its own context until the deadline. */
struct tune_job {
    const struct tune_alg *t;
    struct tune_ctx *x;
    const unsigned char *in;
    unsigned char *out;
    size_t len;
    double deadline;
    unsigned long n;
    int failed;
};

/* The jobs of the async measurement: made once, reused for every size. */
struct tune_async {
    int n;
    ASYNC_JOB *job[TUNE_MAX_JOBS];
    ASYNC_WAIT_CTX *wctx[TUNE_MAX_JOBS];
    struct tune_job arg[TUNE_MAX_JOBS];
    unsigned char *out[TUNE_MAX_JOBS];
    char why[160];
};

static int job_main(void *p)
{
    struct tune_job *j = *(struct tune_job **)p;

    do {
        unsigned i;

        for (i = 0; i < 4; i++) {
            if (!one_op(j->t, 1, j->x, j->in, j->out, j->len)) {
                j->failed = 1;
                return 0;
            }
            j->n++;
        }
    } while (now() < j->deadline);
    return 1;
}

/* Starts or resumes job i: 1 finished, 0 paused, -1 failed. */
static int job_step(struct tune_async *as, int i)
{
    struct tune_job *arg = &as->arg[i];
    int ret = 0;

    switch (ASYNC_start_job(&as->job[i], as->wctx[i], &ret, job_main, &arg, sizeof(arg))) {
    case ASYNC_FINISH:
        return 1;
    case ASYNC_PAUSE:
        return 0;
    default:
        snprintf(as->why, sizeof(as->why), "ASYNC_start_job failed");
        return -1;
    }
}

/*
 * Operations per second of kaccel in as->n ASYNC jobs of this thread over
 * about ms milliseconds, or -1 (as->why says why).  Like `openssl speed
 * -async_jobs`: every job is started; then, while some are paused, the
 * driver waits until a wait fd of a paused job is readable and resumes the
 * jobs whose fd is (a job without wait fds is resumed at once; after 100 ms
 * without a readable fd every paused job is resumed: a job resumed early
 * pauses again).
 */
static double rate_async(struct tune_alg *t, struct tune_async *as, const unsigned char *in,
                         size_t len, double ms)
{
    struct pollfd pfd[TUNE_MAX_JOBS * TUNE_JOB_FDS];
    int owner[TUNE_MAX_JOBS * TUNE_JOB_FDS];
    char paused[TUNE_MAX_JOBS], ready[TUNE_MAX_JOBS];
    double t0 = now(), el;
    unsigned long ops = 0;
    int i, left = 0, r;

    for (i = 0; i < as->n; i++) {
        as->arg[i] = (struct tune_job){ t, &t->jx[i], in, as->out[i], len, t0 + ms / 1000, 0, 0 };
        paused[i] = ready[i] = 0;
    }
    for (i = 0; i < as->n; i++) {
        if ((r = job_step(as, i)) < 0)
            goto fail;
        paused[i] = r == 0;
        left += r == 0;
    }
    while (left > 0) {
        int npfd = 0, now_ready = 0, timed_out;

        if (now() > t0 + ms / 1000 + 30) {
            snprintf(as->why, sizeof(as->why), "%d ASYNC jobs still paused 30 s after the run",
                     left);
            goto fail;
        }
        for (i = 0; i < as->n; i++) {
            OSSL_ASYNC_FD fds[TUNE_JOB_FDS];
            size_t nfds = 0, f;

            if (!paused[i])
                continue;
            if (!ASYNC_WAIT_CTX_get_all_fds(as->wctx[i], NULL, &nfds)
                || nfds > TUNE_JOB_FDS) {
                snprintf(as->why, sizeof(as->why), "a job has %zu wait fds", nfds);
                goto fail;
            }
            if (nfds == 0) {
                ready[i] = 1;
                now_ready = 1;
                continue;
            }
            ASYNC_WAIT_CTX_get_all_fds(as->wctx[i], fds, &nfds);
            for (f = 0; f < nfds; f++) {
                pfd[npfd] = (struct pollfd){ .fd = fds[f], .events = POLLIN };
                owner[npfd++] = i;
            }
        }
        r = npfd > 0 ? poll(pfd, (nfds_t)npfd, now_ready ? 0 : 100) : 0;
        if (r < 0 && errno != EINTR) {
            snprintf(as->why, sizeof(as->why), "poll on the wait fds: %s", strerror(errno));
            goto fail;
        }
        timed_out = r == 0 && !now_ready;
        for (i = 0; r > 0 && i < npfd; i++)
            if (pfd[i].revents != 0)
                ready[owner[i]] = 1;
        for (i = 0; i < as->n; i++) {
            if (!paused[i] || !(ready[i] || timed_out))
                continue;
            ready[i] = 0;
            if ((r = job_step(as, i)) < 0)
                goto fail;
            if (r == 1) {
                paused[i] = 0;
                left--;
            }
        }
    }
    el = now() - t0;
    for (i = 0; i < as->n; i++) {
        if (as->arg[i].failed) {
            snprintf(as->why, sizeof(as->why), "an operation in an ASYNC job failed");
            return -1;
        }
        ops += as->arg[i].n;
    }
    return (double)ops / el;
fail:
    /* Paused jobs cannot be abandoned: let each run to its end (the deadline is past). */
    for (i = 0; i < as->n; i++) {
        int guard = 0;

        while (paused[i] && guard++ < 1000000 && job_step(as, i) == 0)
            ;
    }
    return -1;
}

static int async_init(struct tune_async *as, int n)
{
    int i;

    memset(as, 0, sizeof(*as));
    if (n == 0)
        return 1;
    if (!ASYNC_is_capable())
        return 0;
    as->n = n;
    for (i = 0; i < n; i++)
        if ((as->wctx[i] = ASYNC_WAIT_CTX_new()) == NULL
            || (as->out[i] = malloc(TUNE_MAX + 64)) == NULL)
            return 0;
    return ASYNC_init_thread((size_t)n, (size_t)n);
}

static void async_free(struct tune_async *as)
{
    int i;

    for (i = 0; i < TUNE_MAX_JOBS; i++) {
        ASYNC_WAIT_CTX_free(as->wctx[i]);
        free(as->out[i]);
    }
    ASYNC_cleanup_thread();
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/*
 * kaccel's offload_ops counter of an algorithm (kaccel-stats), or 0.  A size
 * that leaves it unchanged was not offloaded whatever the threshold (e.g.
 * larger than the device takes in one operation): the router sends it to
 * software anyway, so its ratio (software against software) says nothing.
 */
static unsigned long long offload_ops(OSSL_PROVIDER *kp, const char *name)
{
    static char text[32768];
    OSSL_PARAM p[] = { OSSL_PARAM_utf8_string(KACCEL_PARAM_STATS, text, sizeof(text)),
                       OSSL_PARAM_END };
    const char *l;

    text[0] = '\0';
    if (!OSSL_PROVIDER_get_params(kp, p) || (l = kac_cli_alg_line(text, name)) == NULL
        || strncmp(l + strlen(name), " offload_ops=", 13) != 0)
        return 0;
    return strtoull(l + strlen(name) + 13, NULL, 10);
}

/*
 * The smallest size from which every ratio measured on offloaded operations
 * (offloaded[s]) is >= 1: 0, a size, or -1 (never).
 */
static int threshold_of(const double *ratio, const char *offloaded)
{
    int s, threshold = -1;

    for (s = TUNE_NSIZES - 1; s >= 0 && (!offloaded[s] || ratio[s] >= 1.0); s--)
        if (offloaded[s])
            threshold = TUNE_MIN << s;
    return threshold == TUNE_MIN ? 0 : threshold; /* wins everywhere measured: 0 */
}

static void print_ratio(FILE *out, double ratio, int offloaded)
{
    if (offloaded)
        fprintf(out, " %6.2f", ratio);
    else
        fprintf(out, " %6s", "sw");
}

/* Prints a threshold in the table and appends "NAME:BYTES" to a snippet line. */
static void add_threshold(FILE *out, int threshold, const char *name, char *line, size_t size,
                          int *n)
{
    char v[16];

    snprintf(v, sizeof(v), "%d", threshold);
    if (threshold < 0)
        fprintf(out, "  never (%s)\n", TUNE_NEVER);
    else
        fprintf(out, "  %s\n", v);
    *n += snprintf(line + *n, size - (size_t)*n, "%s%s:%s", *n ? ", " : "", name,
                   threshold < 0 ? TUNE_NEVER : v);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: kaccel tune [--config FILE] [--algs NAME,...] [--ms N] [--repeats N]\n"
               "                   [--jobs N] [--out FILE]\n");
}

int kac_tune(int argc, char **argv, FILE *out)
{
    const char *file = NULL, *algs = NULL, *outfile = NULL;
    char cnf[64] = "", routes[16384], line[64 * KAC_ALG_COUNT] = "",
         aline[64 * KAC_ALG_COUNT] = "", tuned[256];
    double ms = 60;
    int repeats = 3, jobs = TUNE_JOBS, i, ret = 1, n = 0, an = 0, a;
    OSSL_LIB_CTX *ctx[2] = { NULL, NULL };
    OSSL_PROVIDER *kp = NULL, *dp[2] = { NULL, NULL };
    unsigned char *in = NULL, *buf = NULL;
    struct tune_async *as = NULL;
    struct tune_alg *ta = NULL;
    FILE *snip = NULL;
    time_t t = time(NULL);
    char host[64] = "?", date[32];

    for (i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            file = argv[++i];
        else if (strcmp(argv[i], "--algs") == 0 && i + 1 < argc)
            algs = argv[++i];
        else if (strcmp(argv[i], "--ms") == 0 && i + 1 < argc && atof(argv[i + 1]) >= 5)
            ms = atof(argv[++i]);
        else if (strcmp(argv[i], "--repeats") == 0 && i + 1 < argc && atoi(argv[i + 1]) >= 1)
            repeats = atoi(argv[++i]);
        else if (strcmp(argv[i], "--jobs") == 0 && i + 1 < argc
                 && strspn(argv[i + 1], "0123456789") == strlen(argv[i + 1])
                 && argv[i + 1][0] != '\0' && atoi(argv[i + 1]) <= TUNE_MAX_JOBS)
            jobs = atoi(argv[++i]);
        else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
            outfile = argv[++i];
        else {
            usage(stderr);
            return 2;
        }
    }
    if (repeats > 15)
        repeats = 15;
    if (!write_cnf(file, cnf, sizeof(cnf), out))
        return 2;
    ctx[0] = OSSL_LIB_CTX_new();
    ctx[1] = OSSL_LIB_CTX_new();
    if (ctx[0] == NULL || ctx[1] == NULL || !OSSL_LIB_CTX_load_config(ctx[1], cnf)
        || (kp = OSSL_PROVIDER_load(ctx[1], KACCEL_PROVIDER_NAME)) == NULL
        || (dp[0] = OSSL_PROVIDER_load(ctx[0], "default")) == NULL
        || (dp[1] = OSSL_PROVIDER_load(ctx[1], "default")) == NULL) {
        fprintf(out, "kaccel tune: kaccel did not load with this configuration:\n");
        ERR_print_errors_fp(out);
        goto end;
    }
    {
        /* Describing DPDK brings its EAL up first: the routes then name its devices. */
        OSSL_PARAM p[] = { OSSL_PARAM_utf8_string(KACCEL_PARAM_DPDK, line, sizeof(line)),
                           OSSL_PARAM_utf8_string(KACCEL_PARAM_ROUTES, routes, sizeof(routes)),
                           OSSL_PARAM_END };

        if (!OSSL_PROVIDER_get_params(kp, p)) {
            fprintf(out, "kaccel tune: no routes from the provider\n");
            goto end;
        }
        line[0] = '\0';
    }
    in = malloc(TUNE_MAX);
    buf = malloc(TUNE_MAX + 64);
    as = malloc(sizeof(*as));
    ta = malloc(sizeof(*ta));
    if (in == NULL || buf == NULL || as == NULL || ta == NULL)
        goto end;
    if (!async_init(as, jobs)) {
        fprintf(out, "kaccel tune: cannot run ASYNC jobs here (use --jobs 0)\n");
        goto end;
    }
    memset(in, 0x5a, TUNE_MAX);
    gethostname(host, sizeof(host) - 1);
    strftime(date, sizeof(date), "%Y-%m-%d", localtime(&t));
    fprintf(out, "kaccel tune: where offload beats OpenSSL's software on %s\n(ratios of "
                 "operations per second on a kept context, median of %d interleaved runs of "
                 "%.0f ms", host, repeats, ms);
    if (jobs > 0)
        fprintf(out, ";\nsecond rows: kaccel in %d ASYNC jobs of one thread against software's "
                     "synchronous operations", jobs);
    fprintf(out, ")\n\n%-18s %-24s", "algorithm", "route");
    for (i = 0; i < TUNE_NSIZES; i++)
        fprintf(out, " %6d", TUNE_MIN << i);
    fprintf(out, "  threshold\n");
    tuned[0] = '\0';
    for (a = 0; a < KAC_ALG_COUNT; a++) {
        const struct kac_alg *alg = &kac_algs[a];
        const char *l = kac_cli_alg_line(routes, alg->name);
        char route[128] = "-";
        double ratio[TUNE_NSIZES], aratio[TUNE_NSIZES];
        char offloaded[TUNE_NSIZES];
        int k, s, failed = 0;

        memset(ta, 0, sizeof(*ta));
        ta->alg = alg;
        /* The routes line "<name> <backend:impl> ..." of this algorithm. */
        if (l == NULL || sscanf(l + strlen(alg->name), " %127s", route) != 1
            || strcmp(route, "-") == 0)
            continue;
        if (algs != NULL) {
            const char *p = strstr(algs, alg->name);
            size_t nl = strlen(alg->name);

            if (p == NULL || (p != algs && p[-1] != ',') || (p[nl] != '\0' && p[nl] != ','))
                continue;
        }
        for (k = 0; k < 2; k++) {
            const char *pq = k ? "provider=kaccel" : NULL;

            if (alg->kind == KAC_KIND_CIPHER || alg->kind == KAC_KIND_AEAD)
                ta->c[k] = EVP_CIPHER_fetch(ctx[k], alg->name, pq);
            else if (alg->kind == KAC_KIND_DIGEST)
                ta->md[k] = EVP_MD_fetch(ctx[k], alg->name, pq);
            else
                ta->mac[k] = EVP_MAC_fetch(ctx[k], alg->mode == KAC_MODE_HMAC ? "HMAC" : "CMAC",
                                           pq);
        }
        if ((ta->c[0] == NULL || ta->c[1] == NULL) && (ta->md[0] == NULL || ta->md[1] == NULL)
            && (ta->mac[0] == NULL || ta->mac[1] == NULL)) {
            ERR_clear_error();
            goto next;
        }
        for (k = 0; k < 2 + jobs; k++)
            if (!tune_setup(ta, k > 0, k < 2 ? &ta->x[k] : &ta->jx[k - 2])) {
                ERR_clear_error();
                goto next;
            }
        fprintf(out, "%-18s %-24s", alg->name, route);
        fflush(out);
        for (s = 0; s < TUNE_NSIZES; s++) {
            size_t len = (size_t)TUNE_MIN << s;
            double r[15], ar[15];
            unsigned long long ops0 = offload_ops(kp, alg->name);
            int rep;

            if (alg->mode == KAC_MODE_XTS && len > 16384)
                len = 16384;
            for (rep = 0; rep < repeats; rep++) {
                double sw = rate(ta, 0, in, buf, len, ms), off = rate(ta, 1, in, buf, len, ms);
                double aoff = 1;

                if (sw > 0 && off > 0 && jobs > 0)
                    aoff = rate_async(ta, as, in, len, ms);
                if (sw <= 0 || off <= 0 || aoff <= 0) {
                    failed = 1;
                    break;
                }
                r[rep] = off / sw;
                ar[rep] = aoff / sw;
            }
            if (failed)
                break;
            qsort(r, (size_t)repeats, sizeof(r[0]), cmp_double);
            qsort(ar, (size_t)repeats, sizeof(ar[0]), cmp_double);
            ratio[s] = r[repeats / 2];
            aratio[s] = ar[repeats / 2];
            offloaded[s] = offload_ops(kp, alg->name) != ops0;
            print_ratio(out, ratio[s], offloaded[s]);
            fflush(out);
        }
        if (failed) {
            fprintf(out, "  (operation failed%s%s: not tuned)\n", as->why[0] ? ": " : "",
                    as->why);
            as->why[0] = '\0';
            ERR_clear_error();
            goto next;
        }
        add_threshold(out, threshold_of(ratio, offloaded), alg->name, line, sizeof(line), &n);
        if (jobs > 0) {
            char label[40];

            snprintf(label, sizeof(label), "  in %d ASYNC jobs", jobs);
            fprintf(out, "%-18s %-24s", label, "");
            for (s = 0; s < TUNE_NSIZES; s++)
                print_ratio(out, aratio[s], offloaded[s]);
            add_threshold(out, threshold_of(aratio, offloaded), alg->name, aline, sizeof(aline),
                          &an);
        }
        if (strlen(tuned) + strlen(route) + 2 < sizeof(tuned) && strstr(tuned, route) == NULL)
            snprintf(tuned + strlen(tuned), sizeof(tuned) - strlen(tuned), "%s%s",
                     tuned[0] ? "," : "", route);
    next:
        for (k = 0; k < 2 + TUNE_MAX_JOBS; k++)
            tune_ctx_free(k < 2 ? &ta->x[k] : &ta->jx[k - 2]);
        for (k = 0; k < 2; k++) {
            EVP_CIPHER_free(ta->c[k]);
            EVP_MD_free(ta->md[k]);
            EVP_MAC_free(ta->mac[k]);
        }
    }
    if (n == 0) {
        fprintf(out, "\nkaccel tune: no algorithm is routed to a backend with this "
                     "configuration: nothing to tune\n");
        goto end;
    }
    snip = outfile != NULL ? fopen(outfile, "w") : out;
    if (snip == NULL) {
        fprintf(out, "kaccel tune: cannot write %s\n", outfile);
        goto end;
    }
    fprintf(snip, "%s# kaccel tune %s on %s: offload from these sizes (bytes) on; %s = never\n",
            snip == out ? "\n" : "", date, host, TUNE_NEVER);
    if (jobs > 0)
        fprintf(snip, "# (%s: synchronous calls; %s: calls inside ASYNC jobs,\n"
                      "# measured with %d jobs in one thread)\n",
                KACCEL_CNF_MIN_OFFLOAD_ALGS, KACCEL_CNF_MIN_OFFLOAD_ASYNC_ALGS, jobs);
    fprintf(snip, "# add to kaccel's provider section in openssl.cnf\n%s = %s\n",
            KACCEL_CNF_MIN_OFFLOAD_ALGS, line);
    if (jobs > 0)
        fprintf(snip, "%s = %s\n", KACCEL_CNF_MIN_OFFLOAD_ASYNC_ALGS, aline);
    fprintf(snip, "%s = %s %s %s", KACCEL_CNF_TUNED, date, host, tuned);
    if (jobs > 0)
        fprintf(snip, " async-jobs=%d", jobs);
    fprintf(snip, "\n");
    if (snip != out) {
        fclose(snip);
        fprintf(out, "\nwrote %s\n", outfile);
    }
    ret = 0;
end:
    if (as != NULL)
        async_free(as);
    free(as);
    free(ta);
    free(in);
    free(buf);
    OSSL_PROVIDER_unload(kp);
    OSSL_PROVIDER_unload(dp[0]);
    OSSL_PROVIDER_unload(dp[1]);
    OSSL_LIB_CTX_free(ctx[0]);
    OSSL_LIB_CTX_free(ctx[1]);
    if (cnf[0])
        unlink(cnf);
    return ret;
}
