/*
 * Test helpers: kaccel loaded into a private library context with a chosen
 * configuration (written to a temporary openssl.cnf), next to the default
 * provider as the reference, and kaccel's counters read back.
 */
#ifndef KAC_TEST_KACTEST_H
#define KAC_TEST_KACTEST_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

struct kactest {
    OSSL_LIB_CTX *ctx;       /* kaccel + default */
    OSSL_PROVIDER *kaccel;
    OSSL_LIB_CTX *ref;       /* default only: the reference */
    OSSL_PROVIDER *refprov;
    char cnf[64];
};

/*
 * Loads kaccel with the given "key = value" lines (NULL-terminated list, e.g.
 * "kaccel-min-offload = 0").  Fails the test on error.
 */
void kactest_open(struct kactest *t, const char *const *kaccel_lines);
void kactest_close(struct kactest *t);

/* Counter from kaccel's "kaccel-stats" for an algorithm (0 when absent). */
uint64_t kactest_stat(struct kactest *t, const char *alg, const char *counter);
/*
 * Where kaccel routes alg: the AF_ALG driver name, "dpdk:<device>", or NULL
 * for software.
 */
const char *kactest_route(struct kactest *t, const char *alg);

/*
 * openssl.cnf lines routing everything to the DPDK backend on the software
 * PMD named by KACTEST_DPDK_DEVICE (default crypto_aesni_mb0), its driver
 * loaded from KACTEST_DPDK_PMD_DIR; extra lines (NULL-terminated, may be
 * NULL) are appended.  Returns a static NULL-terminated list, or NULL when
 * the PMD is not installed (the test then skips).  The EAL comes up once per
 * process: every kactest_open() of one process must use the same device.
 */
const char *const *kactest_dpdk_lines(const char *const *extra);
/* The device kactest_dpdk_lines() uses ("crypto_aesni_mb0"...). */
const char *kactest_dpdk_device(void);

/* Hex string to bytes; returns the byte count (strlen / 2). */
size_t kactest_unhex(const char *hex, unsigned char *out);

/* Deterministic pseudo-random bytes (xorshift), for reproducible failures. */
void kactest_rand(uint64_t *state, unsigned char *buf, size_t len);
uint64_t kactest_seed(void); /* KACCEL_TEST_SEED or time; printed */

/* The DPDK tests' start: exits 77 (skipped) when the PMD is not installed. */
void kactest_dpdk_require(const char *prog);

/*
 * ---- without cmocka (usable in threads and forked children) ----
 *
 * In a forked child: says why on stderr ("  child PID: ..."), with
 * OpenSSL's error queue, and exits 1 (the parent reads the status).  The
 * caller includes <openssl/err.h> and <unistd.h>.
 */
#define KACTEST_CHILD_FAIL(...)                                \
    do {                                                       \
        fprintf(stderr, "  child %d: ", (int)getpid());        \
        fprintf(stderr, __VA_ARGS__);                          \
        fputc('\n', stderr);                                   \
        ERR_print_errors_fp(stderr);                           \
        fflush(NULL);                                          \
        _exit(1);                                              \
    } while (0)

/*
 * openssl.cnf activating the default provider and kaccel with the given
 * lines, written to a new file made from the mkstemp() template path
 * (changed in place).  Returns 0, or -1 with errno set.
 */
int kactest_write_cnf(char *path, const char *const *kaccel_lines);
/* A counter from a loaded kaccel's "kaccel-stats" (0 when absent); 0, or -1. */
int kactest_provider_stat(OSSL_PROVIDER *kaccel, const char *alg, const char *counter,
                          uint64_t *value);
/*
 * Where kaccel routes alg: 1 and the driver (AF_ALG driver name,
 * "dpdk:<device>"), 0 and "-" for software, or -1.
 */
int kactest_provider_route(OSSL_PROVIDER *kaccel, const char *alg, char *driver, size_t len);

/* A file's text (malloc'ed; "" when it cannot be opened), NULL when out of memory. */
char *kactest_slurp(const char *path);
/*
 * A child's KACCEL_DEBUG log with KACCEL_FAULT=trace: the text between its
 * "test[pid] MARK" and "test[pid] END" lines (cut in place), or NULL; and the
 * first and last call number of each fault site in that text (0 when none;
 * arrays of KAC_FAULT_NSITES, see src/backend/afalg/fault.h).
 */
char *kactest_log_window(char *log);
void kactest_fault_calls(const char *window, unsigned long lo[], unsigned long hi[]);
/*
 * A fork child's pair of library contexts: ctx with kaccel loaded from an
 * openssl.cnf of the given lines (written in dir, removed once loaded), ref
 * with the default provider.  Failures: KACTEST_CHILD_FAIL.
 */
struct kactest_pair {
    OSSL_LIB_CTX *ctx, *ref;
    OSSL_PROVIDER *kac, *refprov;
    char cnf[128];
};
void kactest_pair_open(struct kactest_pair *t, const char *dir, const char *const *lines);
void kactest_pair_close(struct kactest_pair *t);
/* A counter of the pair's kaccel (KACTEST_CHILD_FAIL when unreadable). */
uint64_t kactest_pair_stat(struct kactest_pair *t, const char *alg, const char *counter);
/*
 * Appends "test[PID] TEXT" to the KACCEL_DEBUG log (when set): a child marks
 * where its work starts and ends for the parent reading the log.
 */
__attribute__((format(printf, 1, 2))) void kactest_mark(const char *fmt, ...);
/* malloc() or KACTEST_CHILD_FAIL (an ASYNC job's stack is small: buffers go here). */
void *kactest_buffer(size_t len);
/*
 * Open descriptors of this process (its /proc/self/fd listing's own
 * included), or -1.  maxfd (may be NULL): the highest.  queue_fds (may be
 * NULL): when given, io_uring rings and eventfds (a thread's queue, kept for
 * the thread's life) are counted there instead.
 */
int kactest_count_fds(int *maxfd, int *queue_fds);
/* A new folder /tmp/kac-NAME-XXXXXX in dir; 0, or -1 (perror). */
int kactest_tmpdir(char *dir, size_t len, const char *name);
/* Removes dir/file (file may be NULL), then dir when it is empty. */
void kactest_tmpdir_remove(const char *dir, const char *file);

/*
 * ---- OpenSSL ASYNC jobs: one driver for every test ----
 *
 * Starts n jobs, job i running fn(args + i * size), then waits as told and
 * resumes paused jobs until every one has finished.  Gives up after timeout
 * seconds without progress or 1000000 rounds.
 */
enum kactest_wait {
    /* like `openssl speed -async_jobs`: wait until any paused job's wait fd
     * is readable (not at all when none has one), then resume every paused job */
    KACTEST_WAIT_ANY_FD,
    /* stricter: a paused job needs 1 to 4 wait fds and is resumed only when
     * one of them is readable, so a lost wakeup shows as a timeout */
    KACTEST_WAIT_OWN_FD,
    /* ASYNC_WAIT_CTX_set_callback: a paused job is resumed once kaccel called
     * its callback */
    KACTEST_WAIT_CALLBACK,
    /* resume every paused job in turn, whatever its wait fds say */
    KACTEST_WAIT_SPIN,
};

struct kactest_jobs_state;

struct kactest_jobs {
    /* the caller's */
    int n;
    int (*fn)(void *arg);
    void *args;
    size_t size;
    enum kactest_wait wait;
    unsigned timeout;        /* seconds without progress; 0: 20 */
    unsigned spin_us;        /* WAIT_SPIN: sleep between rounds */
    int callback_no_fds;     /* WAIT_CALLBACK: a job that got a wait fd anyway fails */
    /* results */
    unsigned long pauses;    /* ASYNC_PAUSE returns */
    unsigned long callbacks; /* calls of the callback */
    int failed_job;          /* the job a failure is about, or -1 */
    char why[200];
    struct kactest_jobs_state *st; /* the driver's */
};

/* n jobs of fn over the array args (WAIT_ANY_FD unless set otherwise). */
#define KACTEST_JOBS(array, count, func) \
    { .n = (count), .fn = (func), .args = (array), .size = sizeof((array)[0]) }

/* Runs the jobs to their end: 0, or -1 with why set. */
int kactest_jobs_run(struct kactest_jobs *j);
/* The same in two steps (a test may fork between them): 0, or -1 with why set. */
int kactest_jobs_start(struct kactest_jobs *j);
int kactest_jobs_finish(struct kactest_jobs *j);
/* kactest_jobs_run(), failing the test (cmocka) with why. */
void kactest_jobs_must_run(struct kactest_jobs *j);

/*
 * ---- child processes ----
 *
 * A forked child that runs fn(arg) (its value the exit status; no cmocka in
 * there) or, without fn, this program again with args (NULL-terminated, may
 * be NULL), with KACCEL_FAULT = fault and KACCEL_DEBUG = log (the file
 * removed first; NULL: unset), more "NAME=VALUE" in env, and killed by
 * SIGALRM after timeout seconds (0: never).
 */
struct kactest_child {
    int (*fn)(const void *arg);
    const void *arg;
    const char *const *args;
    const char *fault;
    const char *log;
    const char *const *env;
    unsigned timeout;
};

/* Runs the child and returns its wait status. */
int kactest_child_run(const struct kactest_child *c);
/* How the child ended, "" for a clean exit 0: "failed (exit N)", "hung (...)". */
const char *kactest_child_status(int status, unsigned timeout, char *buf, size_t len);
/* Runs the child; fails the test unless it exits 0: "what: how (debug log ...)". */
void kactest_child_expect(const struct kactest_child *c, const char *what);

/*
 * ---- cases in fresh processes ("PROGRAM --case NAME DIR") ----
 *
 * For what is once per process (the EAL, KACCEL_FAULT): the parent runs
 * each case in a fresh exec of itself and never loads kaccel.
 */
struct kactest_case {
    const char *name;
    void (*fn)(void **state);
};

struct kactest_cases {
    const char *name;             /* the logs' folder: /tmp/kac-NAME-XXXXXX */
    const struct kactest_case *cases;
    size_t n;
    unsigned timeout;             /* seconds a case may take */
    const char *const *clear;     /* more environment the cases must not inherit */
    uint64_t seed;                /* KACCEL_TEST_SEED of the cases */
    char dir[64];                 /* the logs' folder, the cases' DIR */
};

struct CMUnitTest;

/*
 * main() of such a program (after kactest_seed(), in cs->seed).  In a case's
 * process ("--case NAME DIR"): runs the case, the default provider loaded in
 * the default library context first as most applications have it, DIR in
 * cs->dir.  In the parent: unsets KACCEL_FAULT and cs->clear, makes the
 * logs' folder and runs tests (each spawning cases), named after the DPDK
 * device; the folder is removed when no log was kept.  Returns main's value.
 */
int kactest_cases_main(struct kactest_cases *cs, int argc, char **argv,
                       const struct CMUnitTest *tests, size_t ntests);
/*
 * The parent: runs case name with env ("NAME=VALUE"; KACCEL_FAULT unset
 * unless env sets it) and KACCEL_DEBUG = DIR/TAG.log when debug, prints its
 * time, and fails the test when it fails (the log kept), else removes the log.
 * With KACTEST_CASES=NAME,... in the environment, a case not named is
 * skipped (the test shows as skipped).
 */
void kactest_case_spawn(const struct kactest_cases *cs, const char *name, const char *tag,
                        int debug, const char *const *env);

#endif
