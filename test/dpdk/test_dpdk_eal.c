/*
 * The DPDK backend's life cycle, on the software PMD named by
 * KACTEST_DPDK_DEVICE:
 *
 *  1. EAL bring-up leaves the application alone: the calling thread's CPU
 *     affinity (every CPU, one CPU, a second thread's own set, EAL arguments
 *     that pin the main lcore), signal dispositions and mask, and
 *     stdout/stderr (descriptors 1 and 2 point at files during load and
 *     bring-up: they stay empty; EAL logs go to KACCEL_DEBUG, or nowhere).
 *  2. fork after the EAL is up: the child never touches DPDK (KACCEL_FAULT
 *     =trace logs every DPDK call kaccel makes: none from the child), its
 *     operations run in software, correct and counted as such, and the parent
 *     keeps offloading; fork before the EAL is up (a server's master and
 *     workers): each child brings its own EAL up and offloads, so does the
 *     parent afterwards.
 *  3. EAL bring-up failure (kaccel-dpdk-eal = --no-such-option, and
 *     KACCEL_FAULT=dpdk_eal): the provider loads, every operation is right in
 *     software and counted sw_no_route, the KACCEL_DEBUG log says why, the
 *     EAL is not retried, nothing reaches stdout/stderr.
 *  4. kaccel-dpdk-devices naming a device that does not exist: software.
 *  5. Malformed DPDK keys in openssl.cnf: the provider refuses to load, the
 *     error naming key and value.
 *
 * The EAL exists once per process: every case runs in a fresh process (this
 * program re-executes itself with "--case NAME") that has not touched DPDK.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include <kaccel/kaccel.h>

#include "kactest.h"

#define CASE_TIMEOUT 60

static const char *const ciphers[] = { "AES-128-CBC", "AES-256-CBC", "AES-128-CTR",
                                        "AES-256-CTR", "AES-128-ECB", "AES-256-XTS" };
#define NC (sizeof(ciphers) / sizeof(ciphers[0]))

static uint64_t seed;
/* every case in a fresh process; cs.dir: the logs' folder, the cases' too */
static struct kactest_cases cs = { .name = "dpdk-eal", .timeout = CASE_TIMEOUT };

/* ---- helpers usable before, during and after fork (no cmocka) ------------ */

/* One encryption and one decryption of len bytes through kaccel against the default provider. */
static int op_check(OSSL_LIB_CTX *kctx, OSSL_LIB_CTX *rctx, const char *name, size_t len,
                    uint64_t *rng, char *why, size_t wl)
{
    EVP_CIPHER *kc = EVP_CIPHER_fetch(kctx, name, "provider=kaccel");
    EVP_CIPHER *rc = EVP_CIPHER_fetch(rctx, name, NULL);
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    unsigned char key[64], iv[16], *pt = malloc(len + 32), *ct = malloc(len + 32),
                                   *out = malloc(len + 32);
    int n1, n2, rl, ok = -1;

    if (kc == NULL || rc == NULL || x == NULL || pt == NULL || ct == NULL || out == NULL) {
        snprintf(why, wl, "%s: fetch or allocation failed", name);
        goto end;
    }
    kactest_rand(rng, key, sizeof(key));
    key[EVP_CIPHER_get_key_length(rc) / 2] = (unsigned char)~key[0]; /* XTS halves differ */
    kactest_rand(rng, iv, sizeof(iv));
    kactest_rand(rng, pt, len);
    if (!EVP_EncryptInit_ex2(x, rc, key, iv, NULL) || !EVP_EncryptUpdate(x, ct, &n1, pt, (int)len)
        || !EVP_EncryptFinal_ex(x, ct + n1, &n2)) {
        snprintf(why, wl, "%s: the default provider failed", name);
        goto end;
    }
    rl = n1 + n2;
    if (!EVP_EncryptInit_ex2(x, kc, key, iv, NULL) || !EVP_EncryptUpdate(x, out, &n1, pt, (int)len)
        || !EVP_EncryptFinal_ex(x, out + n1, &n2) || n1 + n2 != rl || memcmp(out, ct, (size_t)rl)) {
        snprintf(why, wl, "%s: encryption of %zu bytes differs from the default provider", name,
                 len);
        goto end;
    }
    if (!EVP_DecryptInit_ex2(x, kc, key, iv, NULL) || !EVP_DecryptUpdate(x, out, &n1, ct, rl)
        || !EVP_DecryptFinal_ex(x, out + n1, &n2) || (size_t)(n1 + n2) != len
        || memcmp(out, pt, len) != 0) {
        snprintf(why, wl, "%s: decryption of %zu bytes is wrong", name, len);
        goto end;
    }
    ok = 0;
end:
    EVP_CIPHER_CTX_free(x);
    EVP_CIPHER_free(kc);
    EVP_CIPHER_free(rc);
    free(pt);
    free(ct);
    free(out);
    return ok;
}

/* Every cipher, a few sizes (XTS: one data unit, so at most 1 MiB). */
static int ops_all(OSSL_LIB_CTX *kctx, OSSL_LIB_CTX *rctx, uint64_t *rng, char *why, size_t wl)
{
    static const size_t lens[] = { 16, 4096, 70000, 1 << 20 };
    size_t i, l;

    for (i = 0; i < NC; i++)
        for (l = 0; l < sizeof(lens) / sizeof(lens[0]); l++)
            if (op_check(kctx, rctx, ciphers[i], lens[l], rng, why, wl) != 0)
                return -1;
    return 0;
}

/* Sum of a counter over the ciphers. */
static uint64_t sum(struct kactest *t, const char *counter)
{
    uint64_t s = 0;
    size_t i;

    for (i = 0; i < NC; i++)
        s += kactest_stat(t, ciphers[i], counter);
    return s;
}

/* Lines of the KACCEL_DEBUG log containing what, logged by pid (0: any). */
static size_t log_count(int pid, const char *what)
{
    const char *path = getenv(KACCEL_ENV_DEBUG);
    char line[2048], tag[32];
    size_t n = 0;
    FILE *f;

    if (path == NULL || (f = fopen(path, "r")) == NULL)
        return 0;
    snprintf(tag, sizeof(tag), "kaccel[%d] ", pid);
    while (fgets(line, sizeof(line), f) != NULL)
        n += strstr(line, what) != NULL && (pid == 0 || strncmp(line, tag, strlen(tag)) == 0);
    fclose(f);
    return n;
}

static void must_log(const char *what)
{
    if (log_count(0, what) == 0)
        fail_msg("the KACCEL_DEBUG log (%s) has no \"%s\"", getenv(KACCEL_ENV_DEBUG), what);
}

/* kaccel on the device with min-offload 0 and every algorithm; more lines appended. */
static const char *const *dpdk_cnf(const char *const *more)
{
    static const char *extra[16];
    size_t n = 0;

    extra[n++] = "kaccel-algorithms = all";
    extra[n++] = "kaccel-min-offload = 0";
    for (; more != NULL && *more != NULL && n < 15; more++)
        extra[n++] = *more;
    extra[n] = NULL;
    return kactest_dpdk_lines(extra);
}

static int routed_to_device(struct kactest *t, const char *alg)
{
    const char *r = kactest_route(t, alg);
    char want[80];

    snprintf(want, sizeof(want), "dpdk:%s", kactest_dpdk_device());
    return r != NULL && strcmp(r, want) == 0;
}

/* ---- 1. bring-up leaves the application alone --------------------------- */

struct app_state {
    cpu_set_t cpus;
    sigset_t mask;
    struct sigaction act[_NSIG];
};

static void save_state(struct app_state *s)
{
    int sig;

    memset(s, 0, sizeof(*s));
    assert_int_equal(pthread_getaffinity_np(pthread_self(), sizeof(s->cpus), &s->cpus), 0);
    assert_int_equal(pthread_sigmask(SIG_SETMASK, NULL, &s->mask), 0);
    for (sig = 1; sig < _NSIG; sig++)
        if (sigaction(sig, NULL, &s->act[sig]) != 0)
            memset(&s->act[sig], 0, sizeof(s->act[sig]));
}

static void cpus_text(const cpu_set_t *c, char *buf, size_t len)
{
    size_t o = 0;
    int i;

    buf[0] = '\0';
    for (i = 0; i < CPU_SETSIZE && o + 8 < len; i++)
        if (CPU_ISSET(i, c))
            o += (size_t)snprintf(buf + o, len - o, "%s%d", o ? "," : "", i);
}

/* "" when equal, else what differs. */
static void compare_state(const struct app_state *a, const struct app_state *b, char *why,
                          size_t wl)
{
    int sig, s2;

    why[0] = '\0';
    if (!CPU_EQUAL(&a->cpus, &b->cpus)) {
        char x[100], y[100];

        cpus_text(&a->cpus, x, sizeof(x));
        cpus_text(&b->cpus, y, sizeof(y));
        snprintf(why, wl, "CPU affinity changed from {%s} to {%s}", x, y);
        return;
    }
    for (sig = 1; sig < _NSIG; sig++) {
        if (sigismember(&a->mask, sig) != sigismember(&b->mask, sig)) {
            snprintf(why, wl, "signal mask changed for signal %d", sig);
            return;
        }
        if (a->act[sig].sa_handler != b->act[sig].sa_handler
            || a->act[sig].sa_flags != b->act[sig].sa_flags) {
            snprintf(why, wl, "disposition of signal %d (%s) changed", sig, strsignal(sig));
            return;
        }
        for (s2 = 1; s2 < _NSIG; s2++)
            if (sigismember(&a->act[sig].sa_mask, s2) != sigismember(&b->act[sig].sa_mask, s2)) {
                snprintf(why, wl, "the handler mask of signal %d changed (signal %d)", sig, s2);
                return;
            }
    }
}

static volatile sig_atomic_t got_usr1, got_int, got_rt;

static void on_int(int sig) { got_int = 1; }
static void on_term(int sig) {}
static void on_hup(int sig) {}
static void on_rt(int sig) { got_rt = 1; }
static void on_usr1(int sig, siginfo_t *si, void *uc) { got_usr1 = 1; }

/* The application's signal set-up: handlers with flags and masks, an ignore, a block. */
static void install_signals(void)
{
    struct sigaction sa;
    sigset_t block;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_int;
    assert_int_equal(sigaction(SIGINT, &sa, NULL), 0);
    sa.sa_handler = on_term;
    sa.sa_flags = SA_RESTART;
    sigaddset(&sa.sa_mask, SIGINT);
    assert_int_equal(sigaction(SIGTERM, &sa, NULL), 0);
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_NODEFER;
    sigaddset(&sa.sa_mask, SIGUSR2);
    sigaddset(&sa.sa_mask, SIGHUP);
    assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_IGN;
    assert_int_equal(sigaction(SIGPIPE, &sa, NULL), 0);
    sa.sa_handler = on_hup;
    sa.sa_flags = SA_RESETHAND;
    assert_int_equal(sigaction(SIGHUP, &sa, NULL), 0);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_rt;
    assert_int_equal(sigaction(SIGRTMIN + 3, &sa, NULL), 0);
    sigemptyset(&block);
    sigaddset(&block, SIGUSR2);
    assert_int_equal(pthread_sigmask(SIG_BLOCK, &block, NULL), 0);
}

/* Descriptors 1 and 2 pointing at files, and back. */
struct redirect {
    int saved[3];
    char path[3][128];
};

static void redirect_begin(struct redirect *r, const char *tag)
{
    int fd;

    fflush(NULL);
    for (fd = 1; fd <= 2; fd++) {
        int f;

        snprintf(r->path[fd], sizeof(r->path[fd]), "%s/%s.fd%d", cs.dir, tag, fd);
        f = open(r->path[fd], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_true(f >= 0);
        r->saved[fd] = dup(fd);
        assert_true(r->saved[fd] >= 0);
        assert_true(dup2(f, fd) == fd);
        close(f);
    }
}

/* Restores 1 and 2; fails with what was written to them, if anything. */
static void redirect_end(struct redirect *r, const char *what)
{
    char *out[3];
    int fd;

    fflush(NULL);
    for (fd = 1; fd <= 2; fd++) {
        dup2(r->saved[fd], fd);
        close(r->saved[fd]);
        out[fd] = kactest_slurp(r->path[fd]);
        unlink(r->path[fd]);
    }
    for (fd = 1; fd <= 2; fd++)
        if (out[fd] == NULL || out[fd][0] != '\0') {
            char *p;

            for (p = out[fd]; p != NULL && *p != '\0'; p++)
                if (*p == '\n')
                    *p = '|';
            fail_msg("%s wrote to %s: %.300s", what, fd == 1 ? "stdout" : "stderr",
                     out[fd] ? out[fd] : "?");
        }
    free(out[1]);
    free(out[2]);
}

struct up_arg {
    struct kactest *t;
    uint64_t rng;
    char why[300];
    int bad;
    struct app_state before, after;
};

static void *up_thread(void *p)
{
    struct up_arg *u = p;

    save_state(&u->before);
    u->bad = op_check(u->t->ctx, u->t->ref, "AES-128-CBC", 65536, &u->rng, u->why,
                      sizeof(u->why));
    save_state(&u->after);
    return NULL;
}

/*
 * Loads kaccel and offloads (bringing the EAL up) with stdout/stderr pointing
 * at files, on this thread or on a second one with an affinity of its own;
 * the application's state before and after must be equal, on both threads.
 * Returns the DPDK ops that ran.
 */
static uint64_t bring_up_checked(const char *tag, int on_thread, const char *const *lines)
{
    struct app_state before, after;
    struct redirect r;
    struct kactest t;
    struct up_arg u;
    char why[300];
    uint64_t ops;

    memset(&u, 0, sizeof(u));
    u.rng = seed;
    u.t = &t;
    save_state(&before);
    redirect_begin(&r, tag);
    kactest_open(&t, lines != NULL ? lines : dpdk_cnf(NULL));
    if (on_thread) {
        pthread_t th;
        pthread_attr_t attr;
        cpu_set_t one;

        /* the bring-up on a second thread with a set of its own (the last CPU) */
        CPU_ZERO(&one);
        CPU_SET(CPU_COUNT(&before.cpus) > 1 ? 1 : 0, &one);
        pthread_attr_init(&attr);
        pthread_attr_setaffinity_np(&attr, sizeof(one), &one);
        if (pthread_create(&th, &attr, up_thread, &u) != 0)
            u.bad = 1;
        else
            pthread_join(th, NULL);
        pthread_attr_destroy(&attr);
    } else {
        up_thread(&u);
    }
    ops = kactest_stat(&t, "AES-128-CBC", "dpdk_ops");
    save_state(&after);
    redirect_end(&r, "loading kaccel and bringing the EAL up");
    if (u.bad)
        fail_msg("bring-up operation: %s", u.why);
    compare_state(&u.before, &u.after, why, sizeof(why));
    if (why[0])
        fail_msg("EAL bring-up, on the thread that brought it up: %s", why);
    compare_state(&before, &after, why, sizeof(why));
    if (why[0])
        fail_msg("EAL bring-up, on the main thread: %s", why);
    if (ops == 0)
        fail_msg("the bring-up operation did not go through DPDK");
    if (!routed_to_device(&t, "AES-128-CBC"))
        fail_msg("AES-128-CBC not routed to dpdk:%s", kactest_dpdk_device());
    /* the application's handlers still work */
    got_usr1 = got_int = got_rt = 0;
    raise(SIGUSR1);
    raise(SIGINT);
    raise(SIGPIPE);
    raise(SIGRTMIN + 3);
    if (!got_usr1 || !got_int || !got_rt)
        fail_msg("the application's signal handlers no longer run (usr1 %d int %d rt %d)",
                 got_usr1, got_int, got_rt);
    kactest_close(&t);
    return ops;
}

static void case_up_all_cpus(void **state)
{
    cpu_set_t all;
    char txt[256];

    /* every CPU this process may use, set explicitly */
    assert_int_equal(sched_getaffinity(0, sizeof(all), &all), 0);
    assert_int_equal(pthread_setaffinity_np(pthread_self(), sizeof(all), &all), 0);
    cpus_text(&all, txt, sizeof(txt));
    printf("# bring-up with affinity {%s} (%d CPUs)\n", txt, CPU_COUNT(&all));
    install_signals();
    bring_up_checked("all_cpus", 0, NULL);
    must_log("dpdk: EAL: ");          /* the EAL's own logs went to the debug log */
    must_log("--lcores=0@(");         /* the main lcore may run on every allowed CPU */
}

static void case_up_one_cpu(void **state)
{
    cpu_set_t all, one;
    int cpu;

    assert_int_equal(sched_getaffinity(0, sizeof(all), &all), 0);
    /* the last CPU: not the EAL's default main lcore 0 */
    for (cpu = CPU_SETSIZE - 1; cpu >= 0 && !CPU_ISSET(cpu, &all); cpu--)
        ;
    assert_true(cpu >= 0);
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    assert_int_equal(pthread_setaffinity_np(pthread_self(), sizeof(one), &one), 0);
    printf("# bring-up with affinity {%d} of %d CPUs\n", cpu, CPU_COUNT(&all));
    install_signals();
    bring_up_checked("one_cpu", 0, NULL);
    must_log("dpdk: EAL: ");
}

static void case_up_thread(void **state)
{
    install_signals();
    bring_up_checked("thread", 1, NULL);
}

/*
 * kaccel-dpdk-eal pins the main lcore itself (-l 0), so the EAL moves the
 * thread to CPU 0: kaccel must put the thread's own set back.
 */
static void case_up_lcore_arg(void **state)
{
    const char *const *dl = dpdk_cnf(NULL);
    static char eal[1200];
    static const char *lines[32];
    cpu_set_t all;
    size_t n;

    assert_int_equal(sched_getaffinity(0, sizeof(all), &all), 0);
    if (CPU_COUNT(&all) < 2)
        skip(); /* pinning to CPU 0 changes nothing on one CPU */
    for (n = 0; dl[n] != NULL && n < 31; n++) {
        lines[n] = dl[n];
        if (strncmp(dl[n], "kaccel-dpdk-eal =", 17) == 0) {
            snprintf(eal, sizeof(eal), "%s -l 0", dl[n]);
            lines[n] = eal;
        }
    }
    lines[n] = NULL;
    install_signals();
    bring_up_checked("lcore_arg", 0, lines);
    must_log(" -l 0");
}

/* Without KACCEL_DEBUG the EAL's logs go nowhere, still not to stdout/stderr. */
static void case_up_quiet(void **state)
{
    assert_null(getenv(KACCEL_ENV_DEBUG));
    install_signals();
    bring_up_checked("quiet", 0, NULL);
}

/* ---- 2. fork ---------------------------------------------------------------- */

#define CFAIL KACTEST_CHILD_FAIL

struct job_arg {
    struct kactest *t;
    uint64_t rng;
    int bad;
    char why[300];
};

static int job_main(void *p)
{
    struct job_arg *a = p;

    if (op_check(a->t->ctx, a->t->ref, "AES-256-CTR", 100000, &a->rng, a->why, sizeof(a->why)))
        a->bad = 1;
    return 1;
}

/* A few ASYNC jobs, resumed until they finish (whatever their wait fds say). */
static int run_jobs(struct kactest *t, uint64_t *rng, char *why, size_t wl)
{
    enum { N = 8 };
    struct job_arg a[N];
    struct kactest_jobs j = KACTEST_JOBS(a, N, job_main);
    int i;

    for (i = 0; i < N; i++) {
        memset(&a[i], 0, sizeof(a[i]));
        a[i].t = t;
        a[i].rng = *rng + (uint64_t)i;
    }
    j.wait = KACTEST_WAIT_SPIN;
    if (kactest_jobs_run(&j) != 0) {
        snprintf(why, wl, "%s", j.why);
        return -1;
    }
    for (i = 0; i < N; i++)
        if (a[i].bad) {
            snprintf(why, wl, "job %d: %s", i, a[i].why);
            return -1;
        }
    return 0;
}

/*
 * The parent offloads, keeps a CBC stream open (its DPDK session made) and
 * forks; the child finishes that stream and does new work, inside and outside
 * ASYNC jobs, all in software; the parent then goes on offloading.
 */
static void case_fork_after(void **state)
{
    static unsigned char pt[3 << 16], ref[3 << 16], out[3 << 16];
    unsigned char key[16], iv[16];
    struct kactest t;
    EVP_CIPHER *c, *rc;
    EVP_CIPHER_CTX *x, *rx;
    uint64_t rng = seed ^ 1, d0, d1;
    char why[300] = "";
    int n, st;
    pid_t pid, parent = getpid();

    kactest_open(&t, dpdk_cnf(NULL));
    if (ops_all(t.ctx, t.ref, &rng, why, sizeof(why)) != 0)
        fail_msg("before fork: %s", why);
    d0 = sum(&t, "dpdk_ops");
    if (d0 == 0 || !routed_to_device(&t, "AES-128-CBC"))
        fail_msg("before fork: nothing offloaded (the EAL is not up?)");
    kactest_rand(&rng, key, sizeof(key));
    kactest_rand(&rng, iv, sizeof(iv));
    kactest_rand(&rng, pt, sizeof(pt));
    c = EVP_CIPHER_fetch(t.ctx, "AES-128-CBC", "provider=kaccel");
    rc = EVP_CIPHER_fetch(t.ref, "AES-128-CBC", NULL);
    x = EVP_CIPHER_CTX_new();
    rx = EVP_CIPHER_CTX_new();
    assert_true(c && rc && x && rx);
    assert_int_equal(EVP_EncryptInit_ex2(rx, rc, key, iv, NULL), 1);
    EVP_CIPHER_CTX_set_padding(rx, 0);
    assert_int_equal(EVP_EncryptUpdate(rx, ref, &n, pt, sizeof(pt)), 1);
    EVP_CIPHER_CTX_free(rx);
    EVP_CIPHER_free(rc);
    assert_int_equal(EVP_EncryptInit_ex2(x, c, key, iv, NULL), 1);
    EVP_CIPHER_CTX_set_padding(x, 0);
    assert_int_equal(EVP_EncryptUpdate(x, out, &n, pt, 1 << 16), 1);
    assert_memory_equal(out, ref, 1 << 16);
    d1 = kactest_stat(&t, "AES-128-CBC", "dpdk_ops");

    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        uint64_t crng = seed ^ 2, dp0 = sum(&t, "dpdk_ops"), nr0 = sum(&t, "sw_no_route");
        int me = getpid();

        /* the parent's stream goes on here, in software */
        if (!EVP_EncryptUpdate(x, out + (1 << 16), &n, pt + (1 << 16), 1 << 16)
            || memcmp(out + (1 << 16), ref + (1 << 16), 1 << 16) != 0)
            CFAIL("the inherited CBC stream went wrong");
        if (ops_all(t.ctx, t.ref, &crng, why, sizeof(why)) != 0)
            CFAIL("%s", why);
        if (run_jobs(&t, &crng, why, sizeof(why)) != 0)
            CFAIL("jobs: %s", why);
        EVP_CIPHER_CTX_free(x); /* its parent's session is not the child's to free */
        if (sum(&t, "dpdk_ops") != dp0)
            CFAIL("%llu operations went through the parent's EAL",
                  (unsigned long long)(sum(&t, "dpdk_ops") - dp0));
        if (sum(&t, "sw_no_route") == nr0)
            CFAIL("the child's operations were not counted as software (sw_no_route)");
        if (routed_to_device(&t, "AES-128-CBC"))
            CFAIL("the child reports AES-128-CBC routed to the parent's device");
        if (log_count(me, "fault: dpdk_") != 0)
            CFAIL("the child made %zu DPDK calls", log_count(me, "fault: dpdk_"));
        if (log_count(me, "inherited the EAL") == 0)
            CFAIL("the child did not log why it does not use DPDK");
        EVP_CIPHER_free(c);
        kactest_close(&t);
        fflush(NULL);
        /*
         * No exit handlers: the parent's DPDK sessions are left alone here on
         * purpose, and what a PMD allocated for them (crypto_openssl: cipher
         * contexts) is referenced only from DPDK memory, which LeakSanitizer
         * does not scan.
         */
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &st, 0), pid);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fail_msg("the child forked after bring-up failed (status %#x)", st);
    /* the parent: its stream and new work go on through DPDK */
    assert_int_equal(EVP_EncryptUpdate(x, out + (1 << 16), &n, pt + (1 << 16), 2 << 16), 1);
    assert_memory_equal(out, ref, sizeof(pt));
    if (kactest_stat(&t, "AES-128-CBC", "dpdk_ops") <= d1)
        fail_msg("the parent stopped offloading after the fork");
    if (ops_all(t.ctx, t.ref, &rng, why, sizeof(why)) != 0)
        fail_msg("parent after fork: %s", why);
    if (run_jobs(&t, &rng, why, sizeof(why)) != 0)
        fail_msg("parent after fork, jobs: %s", why);
    if (log_count(parent, "fault: dpdk_") == 0)
        fail_msg("KACCEL_FAULT=trace logged no DPDK call of the parent: the check is blind");
    printf("# fork after bring-up: parent dpdk_ops %llu -> %llu, child stayed in software\n",
           (unsigned long long)d0, (unsigned long long)sum(&t, "dpdk_ops"));
    EVP_CIPHER_CTX_free(x);
    EVP_CIPHER_free(c);
    kactest_close(&t);
}

/* A server's master loads kaccel and forks workers before any offload. */
static void case_fork_before(void **state)
{
    enum { WORKERS = 2 };
    struct kactest t;
    pid_t pid[WORKERS];
    char why[300] = "";
    uint64_t rng = seed ^ 3;
    int i, st;

    kactest_open(&t, dpdk_cnf(NULL));
    if (log_count(getpid(), "bringing up the EAL") != 0)
        fail_msg("loading the provider brought the EAL up");
    fflush(NULL);
    for (i = 0; i < WORKERS; i++) {
        pid[i] = fork();
        assert_true(pid[i] >= 0);
        if (pid[i] == 0) {
            uint64_t wrng = seed ^ (10 + (uint64_t)i);
            int me = getpid();

            if (ops_all(t.ctx, t.ref, &wrng, why, sizeof(why)) != 0)
                CFAIL("worker: %s", why);
            if (run_jobs(&t, &wrng, why, sizeof(why)) != 0)
                CFAIL("worker jobs: %s", why);
            if (sum(&t, "dpdk_ops") == 0)
                CFAIL("the worker offloaded nothing");
            if (!routed_to_device(&t, "AES-128-CBC"))
                CFAIL("the worker's AES-128-CBC is not routed to its device");
            if (log_count(me, "bringing up the EAL") != 1)
                CFAIL("the worker brought its EAL up %zu times",
                      log_count(me, "bringing up the EAL"));
            kactest_close(&t);
            fflush(NULL);
            exit(0);
        }
    }
    for (i = 0; i < WORKERS; i++) {
        assert_int_equal(waitpid(pid[i], &st, 0), pid[i]);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            fail_msg("worker %d failed (status %#x)", i, st);
    }
    /* the master itself, later */
    if (ops_all(t.ctx, t.ref, &rng, why, sizeof(why)) != 0)
        fail_msg("master: %s", why);
    if (sum(&t, "dpdk_ops") == 0)
        fail_msg("the master offloaded nothing after its workers");
    printf("# fork before bring-up: %d workers and the master each offloaded on their own EAL\n",
           WORKERS);
    kactest_close(&t);
}

/* ---- 3, 4. bring-up failures: software, counted, said ------------------------- */

/*
 * Loads kaccel with lines (stdout/stderr redirected through the first
 * operations), runs every cipher twice over and checks: right bytes, nothing
 * through DPDK, sw_no_route counted, one bring-up attempt, the log has reason.
 */
static void expect_software(const char *const *lines, const char *tag, const char *reason)
{
    struct kactest t;
    struct redirect r;
    uint64_t rng = seed ^ 4;
    char why[300] = "";
    int bad;
    size_t i;

    redirect_begin(&r, tag);
    kactest_open(&t, lines);
    bad = ops_all(t.ctx, t.ref, &rng, why, sizeof(why));
    redirect_end(&r, "a failed EAL bring-up");
    if (bad)
        fail_msg("%s", why);
    if (ops_all(t.ctx, t.ref, &rng, why, sizeof(why)) != 0)
        fail_msg("%s", why);
    if (run_jobs(&t, &rng, why, sizeof(why)) != 0)
        fail_msg("jobs: %s", why);
    if (sum(&t, "dpdk_ops") != 0 || sum(&t, "offload_ops") != 0)
        fail_msg("%llu operations counted as offloaded", (unsigned long long)sum(&t, "offload_ops"));
    for (i = 0; i < NC; i++)
        if (kactest_stat(&t, ciphers[i], "sw_no_route") == 0)
            fail_msg("%s: not counted sw_no_route", ciphers[i]);
    if (sum(&t, "errors") != 0)
        fail_msg("an unavailable backend was counted as errors");
    if (routed_to_device(&t, "AES-128-CBC"))
        fail_msg("AES-128-CBC still routed to the device");
    must_log("dpdk: unavailable in this process: ");
    must_log(reason);
    if (log_count(0, "bringing up the EAL") > 1)
        fail_msg("the EAL bring-up was retried (%zu attempts)", log_count(0, "bringing up the EAL"));
    kactest_close(&t);
}

static void case_eal_bad_args(void **state)
{
    static const char *const l[] = { "kaccel-backends = dpdk",
                                     "kaccel-dpdk-eal = --no-such-option",
                                     "kaccel-algorithms = all", "kaccel-min-offload = 0", NULL };

    expect_software(l, "bad_args", "check kaccel-dpdk-eal");
    must_log("unrecognized option '--no-such-option'"); /* the EAL's own words, logged */
}

static void case_eal_fault(void **state)
{
    assert_non_null(getenv("KACCEL_FAULT"));
    expect_software(dpdk_cnf(NULL), "eal_fault", "EAL bring-up failed");
    must_log("fault: inject");
}

static void case_no_device(void **state)
{
    static const char *const more[] = { "kaccel-dpdk-devices = crypto_nosuch0", NULL };
    const char *const *lines = dpdk_cnf(more);

    expect_software(lines, "no_device", "kaccel-dpdk-devices");
}

/* ---- 5. malformed DPDK keys: the provider refuses to load ------------------------ */

/* Tries to load kaccel (section not activated, so OpenSSL reports the failure). */
static int try_load(const char *key, const char *value, char *err, size_t errlen)
{
    char cnf[160];
    const char *const *dl = kactest_dpdk_lines(NULL);
    OSSL_LIB_CTX *ctx;
    OSSL_PROVIDER *p;
    BIO *b;
    FILE *f;
    int fd, ok;
    long n;
    char *data;

    snprintf(cnf, sizeof(cnf), "%s/cnf-XXXXXX", cs.dir);
    fd = mkstemp(cnf);
    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    assert_non_null(f);
    fprintf(f, "openssl_conf = openssl_init\n[openssl_init]\nproviders = provider_sect\n"
               "[provider_sect]\nkaccel = kaccel_sect\n[kaccel_sect]\n");
    for (; *dl != NULL; dl++)
        if (strncmp(*dl, key, strlen(key)) != 0 || (*dl)[strlen(key)] != ' ')
            fprintf(f, "%s\n", *dl);
    fprintf(f, "%s =%s%s\n", key, *value ? " " : "", value);
    fclose(f);
    ctx = OSSL_LIB_CTX_new();
    assert_non_null(ctx);
    ERR_clear_error();
    assert_true(OSSL_LIB_CTX_load_config(ctx, cnf));
    p = OSSL_PROVIDER_load(ctx, KACCEL_PROVIDER_NAME);
    ok = p != NULL;
    b = BIO_new(BIO_s_mem());
    ERR_print_errors(b);
    n = BIO_get_mem_data(b, &data);
    snprintf(err, errlen, "%.*s", (int)n, data);
    BIO_free(b);
    if (p != NULL)
        OSSL_PROVIDER_unload(p);
    OSSL_LIB_CTX_free(ctx);
    unlink(cnf);
    return ok;
}

static void case_bad_keys(void **state)
{
    static const struct {
        const char *key, *value, *reason;
    } bad[] = {
        { "kaccel-dpdk-eal", "", "empty" },
        { "kaccel-dpdk-queue-pairs", "0", "queue pair count from 1 to 64" },
        { "kaccel-dpdk-queue-pairs", "65", "queue pair count from 1 to 64" },
        { "kaccel-dpdk-queue-pairs", "eight", "queue pair count" },
        { "kaccel-dpdk-burst", "300", "burst size from 1 to 256" },
        { "kaccel-dpdk-burst", "0", "burst size from 1 to 256" },
        { "kaccel-dpdk-burst", "-1", "burst size" },
        { "kaccel-dpdk-timeout", "0", "time in milliseconds from 1 to 600000" },
        { "kaccel-dpdk-devices", "crypto_aesni_mb0,,crypto_openssl0", "kaccel-dpdk-devices" },
    };
    static const struct {
        const char *key, *value;
    } good[] = {
        { "kaccel-dpdk-queue-pairs", "1" }, { "kaccel-dpdk-queue-pairs", "64" },
        { "kaccel-dpdk-burst", "1" },       { "kaccel-dpdk-burst", "256" },
        { "kaccel-dpdk-devices", "all" },     { "kaccel-dpdk-timeout", "1" },
    };
    char err[4096], want[300];
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (try_load(bad[i].key, bad[i].value, err, sizeof(err)))
            fail_msg("%s = \"%s\": the provider loaded", bad[i].key, bad[i].value);
        snprintf(want, sizeof(want), "%s = \"%s\"", bad[i].key, bad[i].value);
        if (strstr(err, want) == NULL || strstr(err, bad[i].reason) == NULL)
            fail_msg("%s = \"%s\": the error does not name key, value and reason (\"%s\"):\n%s",
                     bad[i].key, bad[i].value, bad[i].reason, err);
        printf("# refused: %.*s\n", (int)strcspn(strstr(err, want), "\n"), strstr(err, want));
    }
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (!try_load(good[i].key, good[i].value, err, sizeof(err)))
            fail_msg("%s = %s refused:\n%s", good[i].key, good[i].value, err);
    /* nothing DPDK happens at load: no EAL in this process */
    if (log_count(0, "bringing up the EAL") != 0)
        fail_msg("loading the provider brought the EAL up");
}

/* ---- the cases, each in a process of its own -------------------------------------- */

static const struct kactest_case cases[] = {
    { "up_all_cpus", case_up_all_cpus }, { "up_one_cpu", case_up_one_cpu },
    { "up_thread", case_up_thread },     { "up_quiet", case_up_quiet },
    { "up_lcore_arg", case_up_lcore_arg },
    { "fork_after", case_fork_after },   { "fork_before", case_fork_before },
    { "eal_bad_args", case_eal_bad_args }, { "eal_fault", case_eal_fault },
    { "no_device", case_no_device },     { "bad_keys", case_bad_keys },
};

/* Runs case name in a fresh process with env ("KEY=VALUE"); its log kept when it fails. */
static void spawn(const char *name, int debug, const char *const *env)
{
    kactest_case_spawn(&cs, name, name, debug, env);
}

static void test_up_all_cpus(void **state) { spawn("up_all_cpus", 1, NULL); }
static void test_up_one_cpu(void **state) { spawn("up_one_cpu", 1, NULL); }
static void test_up_thread(void **state) { spawn("up_thread", 1, NULL); }
static void test_up_quiet(void **state) { spawn("up_quiet", 0, NULL); }
static void test_up_lcore_arg(void **state) { spawn("up_lcore_arg", 1, NULL); }

static void test_fork_after(void **state)
{
    static const char *const env[] = { "KACCEL_FAULT=trace", NULL };

    spawn("fork_after", 1, env);
}

static void test_fork_before(void **state) { spawn("fork_before", 1, NULL); }
static void test_eal_bad_args(void **state) { spawn("eal_bad_args", 1, NULL); }

static void test_eal_fault(void **state)
{
    static const char *const env[] = { "KACCEL_FAULT=dpdk_eal:1:EIO", NULL };

    spawn("eal_fault", 1, env);
}

static void test_no_device(void **state) { spawn("no_device", 1, NULL); }
static void test_bad_keys(void **state) { spawn("bad_keys", 1, NULL); }

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_up_all_cpus),  cmocka_unit_test(test_up_one_cpu),
        cmocka_unit_test(test_up_thread),    cmocka_unit_test(test_up_quiet),
        cmocka_unit_test(test_up_lcore_arg),
        cmocka_unit_test(test_fork_after),   cmocka_unit_test(test_fork_before),
        cmocka_unit_test(test_eal_bad_args), cmocka_unit_test(test_eal_fault),
        cmocka_unit_test(test_no_device),    cmocka_unit_test(test_bad_keys),
    };

    kactest_dpdk_require(argv[0]);
    cs.seed = seed = kactest_seed();
    cs.cases = cases;
    cs.n = sizeof(cases) / sizeof(cases[0]);
    return kactest_cases_main(&cs, argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
