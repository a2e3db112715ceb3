/*
 * qp_share: what sharing DPDK queue pairs costs when application threads
 * outnumber them.  T threads encrypt with kaccel on the DPDK backend, each
 * running J OpenSSL ASYNC jobs (J = 0: synchronous calls), for each queue-pair
 * count Q of the list (kaccel-dpdk-queue-pairs = Q: with Q < T, threads share
 * pairs under a lock), and through the default provider for reference.
 *
 *   qp_share [-t THREADS] [-q Q,Q,...] [-j JOBS] [-b BYTES] [-s SECONDS]
 *            [-r REPEATS] [-a ALG] [-e "EAL ARGS"] -m KACCEL_SO
 *
 * Each measurement runs in a fresh child process (the EAL and its queue pairs
 * are once per process); the paths run interleaved, REPEATS rounds, and the
 * table gives medians: MB/s, the ratio to one queue pair per thread (Q = T)
 * and to software, CPU seconds per GB, and the queue-pair shares kaccel
 * counted.  Every job's first ciphertext is checked against the default
 * provider.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/async.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include "clock.h"

#define MAX_THREADS 64
#define MAX_JOBS 64
#define MAX_PATHS 16
#define MAX_REPEATS 32

static const char *alg = "AES-128-CBC", *eal, *module;
static unsigned nthreads = 8, njobs = 8, repeats = 3;
static size_t bytes = 16384;
static double seconds = 1.0;

struct job {
    EVP_CIPHER_CTX *c;
    const EVP_CIPHER *cipher;
    const unsigned char *in;
    unsigned char *out;
    ASYNC_JOB *job;
    ASYNC_WAIT_CTX *wctx;
    int ok;
};

struct thread {
    pthread_t tid;
    OSSL_LIB_CTX *ctx;
    const char *props;
    unsigned long long ops;
    int bad;
};

static volatile int stop;
static unsigned char key[32], iv[16];

static int encrypt_one(void *arg)
{
    struct job *j = *(struct job **)arg;
    int l = 0;

    j->ok = EVP_EncryptInit_ex2(j->c, j->cipher, key, iv, NULL)
            && EVP_CIPHER_CTX_set_padding(j->c, 0)
            && EVP_EncryptUpdate(j->c, j->out, &l, j->in, (int)bytes) && (size_t)l == bytes;
    return j->ok;
}

static void *thread_main(void *arg)
{
    struct thread *th = arg;
    EVP_CIPHER *cipher = EVP_CIPHER_fetch(th->ctx, alg, th->props);
    EVP_CIPHER *ref = EVP_CIPHER_fetch(th->ctx, alg, "provider=default");
    unsigned char *in = malloc(bytes), *want = malloc(bytes);
    struct job jobs[MAX_JOBS];
    unsigned n = njobs ? njobs : 1, i, checked = 0;
    int l = 0;
    EVP_CIPHER_CTX *rc = EVP_CIPHER_CTX_new();

    if (cipher == NULL || ref == NULL || in == NULL || want == NULL || rc == NULL
        || (njobs > 0 && !ASYNC_init_thread(njobs, njobs))) {
        fprintf(stderr, "qp_share: cannot set up %s with %s:\n", alg, th->props);
        ERR_print_errors_fp(stderr);
        th->bad = 1;
        return NULL;
    }
    memset(in, 0x5a, bytes);
    if (!EVP_EncryptInit_ex2(rc, ref, key, iv, NULL) || !EVP_CIPHER_CTX_set_padding(rc, 0)
        || !EVP_EncryptUpdate(rc, want, &l, in, (int)bytes))
        th->bad = 1;
    for (i = 0; i < n; i++) {
        jobs[i] = (struct job){ .c = EVP_CIPHER_CTX_new(), .cipher = cipher, .in = in,
                                .out = malloc(bytes), .wctx = ASYNC_WAIT_CTX_new() };
        if (jobs[i].c == NULL || jobs[i].out == NULL || jobs[i].wctx == NULL)
            th->bad = 1;
    }
    while (!stop && !th->bad) {
        for (i = 0; i < n && !th->bad; i++) {
            struct job *j = &jobs[i];
            int ret;

            if (njobs == 0) {
                encrypt_one(&j);
                ret = ASYNC_FINISH;
            } else if (ASYNC_start_job(&j->job, j->wctx, &ret, encrypt_one, &j, sizeof(j))
                       == ASYNC_PAUSE) {
                continue; /* its wait fd is signalled at once: resumed next round */
            } else {
                j->job = NULL;
                ret = ASYNC_FINISH;
            }
            if (ret != ASYNC_FINISH || !j->ok)
                th->bad = 1;
            else if (checked++ < n && memcmp(j->out, want, bytes) != 0)
                th->bad = 2;
            else
                th->ops++;
        }
    }
    /* finish the jobs still paused */
    for (i = 0; i < n; i++) {
        int ret;

        while (jobs[i].job != NULL
               && ASYNC_start_job(&jobs[i].job, jobs[i].wctx, &ret, encrypt_one, &jobs[i],
                                  sizeof(struct job *))
                      == ASYNC_PAUSE)
            ;
        EVP_CIPHER_CTX_free(jobs[i].c);
        ASYNC_WAIT_CTX_free(jobs[i].wctx);
        free(jobs[i].out);
    }
    if (njobs > 0)
        ASYNC_cleanup_thread();
    EVP_CIPHER_CTX_free(rc);
    EVP_CIPHER_free(cipher);
    EVP_CIPHER_free(ref);
    free(in);
    free(want);
    return NULL;
}

/* The counter value "name=N" from kaccel's dpdk stats line, or 0. */
static unsigned long long dpdk_counter(OSSL_PROVIDER *p, const char *name)
{
    char buf[4096] = "", *s;
    OSSL_PARAM prm[] = { OSSL_PARAM_utf8_string("kaccel-stats", buf, sizeof(buf)),
                         OSSL_PARAM_END };
    char pat[64];

    if (p == NULL || !OSSL_PROVIDER_get_params(p, prm))
        return 0;
    if ((s = strstr(buf, "dpdk ops=")) == NULL)
        return 0;
    snprintf(pat, sizeof(pat), " %s=", name);
    s = strstr(s, pat);
    return s != NULL ? strtoull(s + strlen(pat), NULL, 10) : 0;
}

/* One measurement in this (child) process: q = 0 is the default provider. */
static int measure(unsigned q, int fd)
{
    char path[] = "/tmp/qp_share-XXXXXX";
    int cfd = mkstemp(path);
    FILE *f = cfd >= 0 ? fdopen(cfd, "w") : NULL;
    OSSL_LIB_CTX *ctx = OSSL_LIB_CTX_new();
    OSSL_PROVIDER *kp = NULL;
    struct thread th[MAX_THREADS];
    double t0, c0, el, cp;
    unsigned long long ops = 0, shares;
    unsigned i;
    int bad = 0;
    char line[256];

    if (f == NULL || ctx == NULL)
        return 1;
    fprintf(f, "openssl_conf = init\n[init]\nproviders = prov\n[prov]\ndefault = dflt\n"
               "kaccel = kac\n[dflt]\nactivate = 1\n[kac]\nmodule = %s\nactivate = 1\n"
               "kaccel-backends = dpdk\nkaccel-min-offload = 0\nkaccel-queue-depth = %u\n"
               "kaccel-dpdk-queue-pairs = %u\nkaccel-dpdk-eal = %s\n",
            module, njobs > 32 ? njobs : 32, q ? q : 1, eal);
    fclose(f);
    if (!OSSL_LIB_CTX_load_config(ctx, path)) {
        unlink(path);
        fprintf(stderr, "qp_share: cannot load %s\n", module);
        return 1;
    }
    unlink(path);
    kp = OSSL_PROVIDER_load(ctx, "kaccel");
    for (i = 0; i < 32; i++)
        key[i] = (unsigned char)(i * 3 + 1);
    {
        /* bring the EAL up before the clock starts */
        struct thread warm = { .ctx = ctx, .props = q ? "provider=kaccel" : "provider=default" };
        unsigned saved = njobs;

        njobs = 0;
        stop = 1;
        thread_main(&warm);
        njobs = saved;
        stop = 0;
    }
    t0 = now();
    c0 = cpu();
    for (i = 0; i < nthreads; i++) {
        th[i] = (struct thread){ .ctx = ctx, .props = q ? "provider=kaccel" : "provider=default" };
        pthread_create(&th[i].tid, NULL, thread_main, &th[i]);
    }
    while (now() - t0 < seconds)
        usleep(10000);
    stop = 1;
    for (i = 0; i < nthreads; i++) {
        pthread_join(th[i].tid, NULL);
        ops += th[i].ops;
        bad |= th[i].bad;
    }
    el = now() - t0;
    cp = cpu() - c0;
    shares = dpdk_counter(kp, "qp_shared");
    snprintf(line, sizeof(line), "%d %.6f %.6f %llu %llu %llu\n", bad, el, cp, ops,
             dpdk_counter(kp, "ops"), shares);
    if (write(fd, line, strlen(line)) < 0)
        return 1;
    OSSL_PROVIDER_unload(kp);
    OSSL_LIB_CTX_free(ctx);
    return 0;
}

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double median(double *v, unsigned n)
{
    qsort(v, n, sizeof(*v), cmpd);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    unsigned qs[MAX_PATHS], nq = 0, p, r, ref = 0;
    double mbps[MAX_PATHS][MAX_REPEATS], cpugb[MAX_PATHS][MAX_REPEATS], med[MAX_PATHS],
        medcpu[MAX_PATHS];
    unsigned long long shared[MAX_PATHS] = { 0 }, dops[MAX_PATHS] = { 0 };
    char *qlist = NULL, *tok;
    int opt;

    eal = "--no-huge --no-pci --no-shconf -m 256 -d " KACCEL_DPDK_PMD_DIR
          "/librte_crypto_ipsec_mb.so --vdev=crypto_aesni_mb0";
    while ((opt = getopt(argc, argv, "t:q:j:b:s:r:a:e:m:")) != -1) {
        switch (opt) {
        case 't': nthreads = (unsigned)atoi(optarg); break;
        case 'q': qlist = optarg; break;
        case 'j': njobs = (unsigned)atoi(optarg); break;
        case 'b': bytes = strtoul(optarg, NULL, 10); break;
        case 's': seconds = atof(optarg); break;
        case 'r': repeats = (unsigned)atoi(optarg); break;
        case 'a': alg = optarg; break;
        case 'e': eal = optarg; break;
        case 'm': module = realpath(optarg, NULL); break;
        default: goto usage;
        }
    }
    if (module == NULL) {
        fprintf(stderr, "qp_share: -m: the path of kaccel.so (which must exist)\n");
        goto usage;
    }
    if (nthreads < 1 || nthreads > MAX_THREADS || njobs > MAX_JOBS
        || repeats < 1 || repeats > MAX_REPEATS || bytes < 16 || bytes % 16 || bytes > 32768)
        goto usage;
    qs[nq++] = 0; /* software */
    if (qlist == NULL) {
        qs[nq++] = nthreads;
        qs[nq++] = 1;
    } else {
        for (tok = strtok(qlist, ","); tok != NULL && nq < MAX_PATHS; tok = strtok(NULL, ","))
            qs[nq++] = (unsigned)atoi(tok);
    }
    for (p = 1; p < nq; p++)
        if (qs[p] == nthreads)
            ref = p;
    fprintf(stderr, "qp_share: %s %zu B, %u threads x %u jobs, %u x %.1f s\n", alg, bytes,
            nthreads, njobs, repeats, seconds);
    for (r = 0; r < repeats; r++) {
        for (p = 0; p < nq; p++) {
            int fds[2], st = 0, bad = 1;
            double el = 0, cp = 0;
            unsigned long long ops = 0, d = 0, sh = 0;
            char buf[256] = "";
            pid_t pid;
            ssize_t k;

            if (pipe(fds) < 0)
                return 1;
            if ((pid = fork()) == 0) {
                close(fds[0]);
                _exit(measure(qs[p], fds[1]));
            }
            close(fds[1]);
            k = read(fds[0], buf, sizeof(buf) - 1);
            close(fds[0]);
            waitpid(pid, &st, 0);
            if (k <= 0 || sscanf(buf, "%d %lf %lf %llu %llu %llu", &bad, &el, &cp, &ops, &d, &sh)
                              != 6 || bad || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                fprintf(stderr, "qp_share: %s run failed (%s)\n",
                        qs[p] ? "kaccel" : "software", bad == 2 ? "wrong bytes" : "error");
                return 1;
            }
            mbps[p][r] = (double)ops * (double)bytes / el / 1e6;
            cpugb[p][r] = cp / ((double)ops * (double)bytes / 1e9);
            shared[p] = sh;
            dops[p] += d;
            fprintf(stderr, "  [%u/%u] %-10s q=%-3u %8.1f MB/s\n", r * nq + p + 1, repeats * nq,
                    qs[p] ? "kaccel" : "sw", qs[p], mbps[p][r]);
        }
    }
    for (p = 0; p < nq; p++) {
        med[p] = median(mbps[p], repeats);
        medcpu[p] = median(cpugb[p], repeats);
    }
    printf("%s %zu B, %u threads x %u async jobs each, %u repeats x %.1f s (medians)\n", alg,
           bytes, nthreads, njobs, repeats, seconds);
    printf("%-22s %10s %10s %8s %10s %12s\n", "path", "MB/s", "x q=T", "x sw", "CPU s/GB",
           "qp shares");
    for (p = 0; p < nq; p++) {
        char name[32], vs[16] = "-";

        if (qs[p] == 0)
            snprintf(name, sizeof(name), "default provider");
        else
            snprintf(name, sizeof(name), "kaccel, %u queue pair%s", qs[p], qs[p] > 1 ? "s" : "");
        if (ref > 0 && qs[p] > 0)
            snprintf(vs, sizeof(vs), "%.2f", med[p] / med[ref]);
        printf("%-22s %10.1f %10s %8.2f %10.3f %12llu\n", name, med[p], vs, med[p] / med[0],
               medcpu[p], shared[p]);
        if (qs[p] > 0 && dops[p] == 0) {
            fprintf(stderr, "qp_share: nothing went through DPDK with %u queue pairs\n", qs[p]);
            return 1;
        }
    }
    return 0;
usage:
    fprintf(stderr, "usage: qp_share [-t THREADS] [-q Q,Q,...] [-j JOBS] [-b BYTES] "
                    "[-s SECONDS] [-r REPEATS] [-a ALG] [-e \"EAL ARGS\"] -m KACCEL_SO\n");
    return 2;
}
