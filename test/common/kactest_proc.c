/*
 * Processes and files for the tests (see kactest.h): children that run a
 * function or this program again with their own KACCEL_FAULT and
 * KACCEL_DEBUG, cases in fresh processes, descriptor counts, logs.
 */
#include "kactest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/provider.h>

#include <kaccel/kaccel.h>

#include "backend/afalg/fault.h"

/* ---- children ------------------------------------------------------------- */

int kactest_child_run(const struct kactest_child *c)
{
    pid_t pid;
    int st;

    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        const char *const *e;

        unsetenv("KACCEL_FAULT");
        if (c->fault != NULL)
            setenv("KACCEL_FAULT", c->fault, 1);
        if (c->log != NULL) {
            unlink(c->log);
            setenv(KACCEL_ENV_DEBUG, c->log, 1);
        } else {
            unsetenv(KACCEL_ENV_DEBUG);
        }
        for (e = c->env; e != NULL && *e != NULL; e++)
            putenv((char *)*e);
        if (c->timeout != 0)
            alarm(c->timeout); /* survives exec: a hang ends in SIGALRM */
        if (c->fn != NULL) {
            /* a crash ends the child (cmocka's handlers are the parent's) */
            static const int crash[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGSYS, SIGABRT };
            size_t k;

            for (k = 0; k < sizeof(crash) / sizeof(crash[0]); k++)
                signal(crash[k], SIG_DFL);
            st = c->fn(c->arg);
            fflush(NULL);
            _exit(st);
        } else {
            const char *argv[32];
            char self[4096];
            ssize_t sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
            size_t n = 0;

            self[sl > 0 ? sl : 0] = '\0';
            argv[n++] = sl > 0 ? self : "/proc/self/exe";
            for (e = c->args; e != NULL && *e != NULL && n < 31; e++)
                argv[n++] = *e;
            argv[n] = NULL;
            /* by its path: under valgrind /proc/self/exe is valgrind itself */
            execv(argv[0], (char *const *)argv);
            _exit(127);
        }
    }
    assert_int_equal(waitpid(pid, &st, 0), pid);
    return st;
}

const char *kactest_child_status(int st, unsigned timeout, char *buf, size_t len)
{
    if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM && timeout != 0)
        snprintf(buf, len, "hung (no result in %u s)", timeout);
    else if (WIFSIGNALED(st))
        snprintf(buf, len, "killed by signal %d", WTERMSIG(st));
    else if (WEXITSTATUS(st) != 0)
        snprintf(buf, len, "failed (exit %d)", WEXITSTATUS(st));
    else
        buf[0] = '\0';
    return buf;
}

void kactest_child_expect(const struct kactest_child *c, const char *what)
{
    char how[64];

    if (*kactest_child_status(kactest_child_run(c), c->timeout, how, sizeof(how)) == '\0')
        return;
    if (c->log != NULL)
        fail_msg("%s: %s (debug log %s)", what, how, c->log);
    fail_msg("%s: %s", what, how);
}

/* ---- cases, each in a fresh process ------------------------------------------ */

/* In a case's process: runs case argv[2]. */
static int case_child(struct kactest_cases *cs, char **argv)
{
    OSSL_PROVIDER *dflt;
    size_t i;
    int r = 2;

    snprintf(cs->dir, sizeof(cs->dir), "%s", argv[3]);
    /*
     * Like most applications, have the default provider in the default
     * library context: the crypto_openssl PMD computes there, and when it
     * cannot load the legacy provider (OPENSSL_MODULES is kaccel's build
     * folder) it loads nothing itself and every session fails.
     */
    dflt = OSSL_PROVIDER_load(NULL, "default");
    if (dflt == NULL) {
        fprintf(stderr, "cannot load the default provider\n");
        return 1;
    }
    for (i = 0; i < cs->n; i++)
        if (strcmp(cs->cases[i].name, argv[2]) == 0) {
            const struct CMUnitTest one[] = { { cs->cases[i].name, cs->cases[i].fn, NULL, NULL,
                                                NULL } };

            r = cmocka_run_group_tests_name(cs->cases[i].name, one, NULL, NULL);
            break;
        }
    if (i == cs->n)
        fprintf(stderr, "no case %s\n", argv[2]);
    OSSL_PROVIDER_unload(dflt);
    return r;
}

int kactest_cases_main(struct kactest_cases *cs, int argc, char **argv,
                       const struct CMUnitTest *tests, size_t ntests)
{
    const char *const *e;
    int r;

    if (argc == 4 && strcmp(argv[1], "--case") == 0)
        return case_child(cs, argv);
    unsetenv("KACCEL_FAULT"); /* for the cases that set it */
    for (e = cs->clear; e != NULL && *e != NULL; e++)
        unsetenv(*e);
    if (kactest_tmpdir(cs->dir, sizeof(cs->dir), cs->name) != 0)
        return 1;
    printf("# device %s; logs in %s\n", kactest_dpdk_device(), cs->dir);
    r = _cmocka_run_group_tests(kactest_dpdk_device(), tests, ntests, NULL, NULL);
    kactest_tmpdir_remove(cs->dir, NULL); /* only when every log was removed */
    return r;
}

/* KACTEST_CASES=NAME,...: only the cases named run (e.g. the threaded ones under TSan). */
static int case_selected(const char *name)
{
    const char *list = getenv("KACTEST_CASES"), *p;
    size_t n = strlen(name);

    if (list == NULL || *list == '\0')
        return 1;
    for (p = list; (p = strstr(p, name)) != NULL; p += n)
        if ((p == list || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
            return 1;
    return 0;
}

void kactest_case_spawn(const struct kactest_cases *cs, const char *name, const char *tag,
                        int debug, const char *const *env)
{
    const char *args[] = { "--case", name, cs->dir, NULL };
    const char *more[32];
    char log[160], sd[48], how[64];
    struct kactest_child c = { .args = args, .env = more, .timeout = cs->timeout };
    struct timespec t0, t1;
    size_t n = 0;
    int st;

    if (!case_selected(name)) {
        printf("# case %s: not in KACTEST_CASES\n", tag);
        skip();
    }
    snprintf(log, sizeof(log), "%s/%s.log", cs->dir, tag);
    unlink(log);
    c.log = debug ? log : NULL;
    snprintf(sd, sizeof(sd), "KACCEL_TEST_SEED=%llu", (unsigned long long)cs->seed);
    more[n++] = sd;
    for (; env != NULL && *env != NULL && n < 31; env++)
        more[n++] = *env;
    more[n] = NULL;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    st = kactest_child_run(&c);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("# case %s: %.1f s\n", tag,
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    if (*kactest_child_status(st, c.timeout, how, sizeof(how)) != '\0')
        fail_msg("case %s: %s (log kept: %s)", tag, how, log);
    unlink(log);
}

/* ---- files and descriptors ------------------------------------------------------ */

int kactest_tmpdir(char *dir, size_t len, const char *name)
{
    snprintf(dir, len, "/tmp/kac-%s-XXXXXX", name);
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return -1;
    }
    return 0;
}

void kactest_tmpdir_remove(const char *dir, const char *file)
{
    char path[256];

    if (file != NULL) {
        snprintf(path, sizeof(path), "%s/%s", dir, file);
        unlink(path);
    }
    rmdir(dir); /* only when empty: logs kept for failures stay */
}

char *kactest_slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf;
    long n;

    if (f == NULL)
        return strdup("");
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (buf == NULL) {
        fclose(f);
        return NULL;
    }
    n = (long)fread(buf, 1, (size_t)n, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

int kactest_count_fds(int *maxfd, int *queue_fds)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0, m = -1, q = 0;

    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL) {
        char path[300], link[128];
        ssize_t l;

        if (e->d_name[0] == '.')
            continue;
        if (atoi(e->d_name) > m)
            m = atoi(e->d_name);
        if (queue_fds != NULL) {
            snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
            l = readlink(path, link, sizeof(link) - 1);
            link[l > 0 ? l : 0] = '\0';
            if (strcmp(link, "anon_inode:[io_uring]") == 0
                || strcmp(link, "anon_inode:[eventfd]") == 0) {
                q++;
                continue;
            }
        }
        n++;
    }
    closedir(d);
    if (maxfd != NULL)
        *maxfd = m;
    if (queue_fds != NULL)
        *queue_fds = q;
    return n;
}

void kactest_dpdk_require(const char *prog)
{
    if (kactest_dpdk_lines(NULL) != NULL)
        return;
    printf("# %s: SKIP: the DPDK PMD for %s is not installed\n", prog, kactest_dpdk_device());
    exit(77);
}

/* ---- the fault switch's trace in a child's log ----------------------------- */

char *kactest_log_window(char *log)
{
    char *s = strstr(log, "] MARK\n"), *e;

    if (s == NULL)
        return NULL;
    s += 7;
    e = strstr(s, "] END\n");
    if (e != NULL)
        *e = '\0';
    return s;
}

void kactest_fault_calls(const char *window, unsigned long lo[], unsigned long hi[])
{
    const char *p = window;
    int s;

    for (s = 0; s < KAC_FAULT_NSITES; s++)
        lo[s] = hi[s] = 0;
    while ((p = strstr(p, "fault: ")) != NULL) {
        char site[32];
        unsigned long n;

        p += 7;
        if (sscanf(p, "%31s #%lu", site, &n) != 2)
            continue;
        for (s = 0; s < KAC_FAULT_ANY; s++)
            if (strcmp(site, kac_fault_site_name(s)) == 0) {
                if (lo[s] == 0)
                    lo[s] = n;
                hi[s] = n;
            }
    }
}

/* ---- fork children's library contexts and log marks ---------------------------- */

void kactest_pair_open(struct kactest_pair *t, const char *dir, const char *const *lines)
{
    memset(t, 0, sizeof(*t));
    snprintf(t->cnf, sizeof(t->cnf), "%s/cnf-XXXXXX", dir);
    if (kactest_write_cnf(t->cnf, lines) != 0)
        KACTEST_CHILD_FAIL("write %s: %s", t->cnf, strerror(errno));
    t->ctx = OSSL_LIB_CTX_new();
    if (t->ctx == NULL || !OSSL_LIB_CTX_load_config(t->ctx, t->cnf))
        KACTEST_CHILD_FAIL("load %s", t->cnf);
    t->kac = OSSL_PROVIDER_load(t->ctx, KACCEL_PROVIDER_NAME);
    if (t->kac == NULL)
        KACTEST_CHILD_FAIL("kaccel did not load");
    t->ref = OSSL_LIB_CTX_new();
    t->refprov = t->ref != NULL ? OSSL_PROVIDER_load(t->ref, "default") : NULL;
    if (t->refprov == NULL)
        KACTEST_CHILD_FAIL("default provider");
    unlink(t->cnf);
}

void kactest_pair_close(struct kactest_pair *t)
{
    OSSL_PROVIDER_unload(t->kac);
    OSSL_PROVIDER_unload(t->refprov);
    OSSL_LIB_CTX_free(t->ctx);
    OSSL_LIB_CTX_free(t->ref);
}

uint64_t kactest_pair_stat(struct kactest_pair *t, const char *alg, const char *counter)
{
    uint64_t v;

    if (kactest_provider_stat(t->kac, alg, counter, &v) != 0)
        KACTEST_CHILD_FAIL("get_params %s", KACCEL_PARAM_STATS);
    return v;
}

void kactest_mark(const char *fmt, ...)
{
    const char *log = getenv(KACCEL_ENV_DEBUG);
    char line[160], what[128];
    va_list ap;
    int fd;

    if (log == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    fd = open(log, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0)
        KACTEST_CHILD_FAIL("open %s", log);
    snprintf(line, sizeof(line), "test[%d] %s\n", (int)getpid(), what);
    if (write(fd, line, strlen(line)) != (ssize_t)strlen(line))
        KACTEST_CHILD_FAIL("write %s", log);
    close(fd);
}

void *kactest_buffer(size_t len)
{
    void *p = malloc(len);

    if (p == NULL)
        KACTEST_CHILD_FAIL("out of memory");
    return p;
}
