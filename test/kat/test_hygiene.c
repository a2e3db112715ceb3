/*
 * Secrets stay out of kaccel's debug log, and every descriptor kaccel opens
 * is close-on-exec.
 *
 * Each case runs in a fresh process with KACCEL_DEBUG=FILE (and, for the
 * *_faults cases, KACCEL_FAULT with "trace", so the error paths log too):
 * every algorithm kaccel offers runs with keys, IVs and plaintext of fresh
 * random bytes (ciphers both ways, a dupctx copy, AEADs both ways and with a
 * tampered tag, digests, HMAC with short and hashed long keys, CMAC, a batch
 * of ASYNC jobs), each result compared with the default provider.  While the
 * contexts are alive, and inside the jobs (their wait fds), every descriptor
 * the process did not have before loading kaccel must have FD_CLOEXEC.  Then
 * kaccel is unloaded and its log searched for any 7 consecutive bytes of a
 * key (the digest of a hashed HMAC key included), IV or plaintext: raw, and
 * as hex in either case, with or without ':', '-' or ' ' between the bytes.
 *
 *   afalg, afalg_faults  AF_ALG, any driver, every size: offloaded in the
 *                        guest (where each routed algorithm must offload),
 *                        software where the kernel has no AF_ALG
 *   dpdk, dpdk_faults    the DPDK backend on a software PMD (host; skipped
 *                        when the PMD is missing, or in the qemu guest)
 */
#include <dirent.h>
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

#include <openssl/async.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <kaccel/kaccel.h>

#include "katutil.h"

#define WIN 7          /* a secret's bytes in a row that must not show in the log */
#define MAXFD 4096
#define MSG 20000      /* a message: one AF_ALG operation, one DPDK op (32 KiB at most) */
#define NJOBS 16

static const char *const ciphers[] = {
    "AES-128-ECB", "AES-192-ECB", "AES-256-ECB", "AES-128-CBC", "AES-192-CBC", "AES-256-CBC",
    "AES-128-CTR", "AES-192-CTR", "AES-256-CTR", "AES-128-XTS", "AES-256-XTS",
};
static const char *const aeads[] = { KAT_AEADS };
static const char *const digests[] = { "SHA1",     "SHA2-224", "SHA2-256", "SHA2-384", "SHA2-512",
                                       "SHA3-224", "SHA3-256", "SHA3-384", "SHA3-512" };
static const char *const cmacs[] = { "AES-128-CBC", "AES-192-CBC", "AES-256-CBC" };
#define N(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t seed;

/* ---- the secrets: every window of WIN bytes, sorted ----------------------------- */

static uint64_t *wins;
static size_t nwins, capwins;
static unsigned nsecrets;

static uint64_t win_at(const unsigned char *p)
{
    uint64_t v = 0;
    int i;

    for (i = 0; i < WIN; i++)
        v = v << 8 | p[i];
    return v;
}

static void secret(const unsigned char *p, size_t len)
{
    size_t i;

    assert_true(len >= WIN);
    for (i = 0; i + WIN <= len; i++) {
        if (nwins == capwins) {
            capwins = capwins ? 2 * capwins : 4096;
            wins = realloc(wins, capwins * sizeof(*wins));
            assert_non_null(wins);
        }
        wins[nwins++] = win_at(p + i);
    }
    nsecrets++;
}

/* Fresh random bytes, remembered as a secret. */
static void fresh(uint64_t *rng, unsigned char *p, size_t len)
{
    kactest_rand(rng, p, len);
    secret(p, len);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

static int is_secret(const unsigned char *p)
{
    uint64_t v = win_at(p);

    return bsearch(&v, wins, nwins, sizeof(v), cmp_u64) != NULL;
}

static int hexval(int c)
{
    return c >= '0' && c <= '9' ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* The log line holding offset off, for the failure message. */
static void fail_at(const char *log, size_t off, const char *how)
{
    const char *s = log + off, *e;

    while (s > log && s[-1] != '\n')
        s--;
    e = strchr(log + off, '\n');
    fail_msg("a secret is in kaccel's debug log (%s), line: %.*s", how,
             (int)(e ? e - s : (ptrdiff_t)strlen(s)), s);
}

/*
 * Searches the log: raw windows at every offset, then every run of hex digits
 * and separators, decoded at both alignments.
 */
static void scan_log(const char *log, size_t len)
{
    unsigned char *dec = malloc(len / 2 + 1);
    size_t i = 0, j, n;
    int a;

    assert_non_null(dec);
    qsort(wins, nwins, sizeof(*wins), cmp_u64);
    for (j = 0; j + WIN <= len; j++)
        if (is_secret((const unsigned char *)log + j))
            fail_at(log, j, "raw bytes");
    while (i < len) {
        size_t s = i, ndig = 0;
        char *digits;

        while (i < len && (hexval(log[i]) >= 0 || strchr(":- ", log[i]) != NULL))
            ndig += hexval(log[i++]) >= 0;
        if (ndig < 2 * WIN) {
            if (i == s)
                i++;
            continue;
        }
        digits = malloc(ndig);
        assert_non_null(digits);
        for (n = 0, j = s; j < i; j++)
            if (hexval(log[j]) >= 0)
                digits[n++] = log[j];
        for (a = 0; a < 2; a++) {
            size_t m = 0;

            for (j = (size_t)a; j + 1 < ndig; j += 2)
                dec[m++] = (unsigned char)(hexval(digits[j]) << 4 | hexval(digits[j + 1]));
            for (j = 0; j + WIN <= m; j++)
                if (is_secret(dec + j)) {
                    free(digits);
                    fail_at(log, s, "hex");
                }
        }
        free(digits);
    }
    free(dec);
}

/* ---- descriptors --------------------------------------------------------------- */

static unsigned char had_fd[MAXFD]; /* open before kaccel was loaded */
static char fd_problem[512];

static void fds_before(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;

    assert_non_null(d);
    memset(had_fd, 0, sizeof(had_fd));
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.' && atoi(e->d_name) < MAXFD)
            had_fd[atoi(e->d_name)] = 1;
    closedir(d);
}

/*
 * Every descriptor opened since fds_before() has FD_CLOEXEC: the number seen,
 * or -1 with fd_problem set.  No cmocka (called inside ASYNC jobs).
 */
static int fds_check(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0, bad = 0;

    if (d == NULL) {
        snprintf(fd_problem, sizeof(fd_problem), "opendir /proc/self/fd: %s", strerror(errno));
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        char path[64], link[200];
        int fd = atoi(e->d_name), fl;
        ssize_t l;

        if (e->d_name[0] == '.' || fd == dirfd(d) || (fd < MAXFD && had_fd[fd]))
            continue;
        n++;
        fl = fcntl(fd, F_GETFD);
        if (fl >= 0 && (fl & FD_CLOEXEC))
            continue;
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        l = readlink(path, link, sizeof(link) - 1);
        link[l > 0 ? l : 0] = '\0';
        if (!bad)
            snprintf(fd_problem, sizeof(fd_problem), "no FD_CLOEXEC on descriptor");
        l = (ssize_t)strlen(fd_problem);
        snprintf(fd_problem + l, sizeof(fd_problem) - (size_t)l, " %d (%s)", fd, link);
        bad = 1;
    }
    closedir(d);
    return bad ? -1 : n;
}

/* ---- the operations -------------------------------------------------------------- */

static void check_same(const char *what, const char *name, const unsigned char *a,
                       const unsigned char *b, size_t len)
{
    if (memcmp(a, b, len) != 0)
        fail_msg("%s %s: kaccel's bytes differ from the default provider's", what, name);
}

/*
 * One message through name fetched from lc with props, in two updates; with
 * keep, the second half and final go through a copy of the context and the
 * original stays open in *keep (its sockets and sessions with it).
 */
static size_t cipher_once(OSSL_LIB_CTX *lc, const char *props, const char *name, int enc,
                          const unsigned char *key, const unsigned char *iv,
                          const unsigned char *in, size_t len, unsigned char *out,
                          EVP_CIPHER_CTX **keep)
{
    EVP_CIPHER *c = EVP_CIPHER_fetch(lc, name, props);
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new(), *y = NULL;
    int n1 = 0, n2 = 0, n3 = 0;
    size_t half = strstr(name, "XTS") ? len : len / 2;

    assert_non_null(c);
    assert_non_null(x);
    assert_int_equal(EVP_CipherInit_ex2(x, c, key, iv, enc, NULL), 1);
    assert_int_equal(EVP_CipherUpdate(x, out, &n1, in, (int)half), 1);
    if (keep != NULL) { /* the rest through a copy: it holds the key too */
        y = EVP_CIPHER_CTX_new();
        assert_non_null(y);
        assert_int_equal(EVP_CIPHER_CTX_copy(y, x), 1);
    } else {
        y = x;
    }
    if (half < len)
        assert_int_equal(EVP_CipherUpdate(y, out + n1, &n2, in + half, (int)(len - half)), 1);
    assert_int_equal(EVP_CipherFinal_ex(y, out + n1 + n2, &n3), 1);
    if (keep != NULL) {
        EVP_CIPHER_CTX_free(y);
        *keep = x; /* freed by the caller, after the descriptor check */
    } else {
        EVP_CIPHER_CTX_free(x);
    }
    EVP_CIPHER_free(c);
    return (size_t)(n1 + n2 + n3);
}

static void run_ciphers(struct kactest *t, uint64_t *rng, EVP_CIPHER_CTX **keep, size_t *nkeep)
{
    static unsigned char pt[MSG], ct[MSG + 16], ref[MSG + 16], back[MSG + 16];
    size_t i;

    for (i = 0; i < N(ciphers); i++) {
        unsigned char key[64], iv[16];
        EVP_CIPHER *rc = EVP_CIPHER_fetch(t->ref, ciphers[i], NULL);
        size_t len = strstr(ciphers[i], "XTS") ? MSG - 8 : MSG - 5, n, m;

        assert_non_null(rc);
        fresh(rng, key, (size_t)EVP_CIPHER_get_key_length(rc));
        EVP_CIPHER_free(rc);
        fresh(rng, iv, sizeof(iv));
        fresh(rng, pt, len);
        if (!strstr(ciphers[i], "CTR") && !strstr(ciphers[i], "XTS"))
            len = MSG - 16 + 3; /* padding */
        n = cipher_once(t->ctx, KACCEL_PROPQUERY, ciphers[i], 1, key, iv, pt, len, ct,
                        &keep[(*nkeep)++]);
        m = cipher_once(t->ref, NULL, ciphers[i], 1, key, iv, pt, len, ref, NULL);
        assert_int_equal(n, m);
        check_same("encrypt", ciphers[i], ct, ref, n);
        m = cipher_once(t->ctx, KACCEL_PROPQUERY, ciphers[i], 0, key, iv, ct, n, back, NULL);
        assert_int_equal(m, len);
        check_same("decrypt", ciphers[i], back, pt, len);
    }
}

static void run_aeads(struct kactest *t, uint64_t *rng)
{
    static unsigned char pt[MSG], ct[MSG + 16], ref[MSG + 16], back[MSG + 16];
    size_t i;

    for (i = 0; i < N(aeads); i++) {
        struct kat_how h = { .tag_early = 1 };
        unsigned char key[32], iv[16], aad[40], tag[16], rtag[16];
        EVP_CIPHER *kc, *rc;
        size_t len = kat_is_ccm(aeads[i]) ? 4000 : MSG - 7;
        size_t keylen;

        kat_cipher_pair(t, aeads[i], &kc, &rc);
        keylen = (size_t)EVP_CIPHER_get_key_length(rc);
        h.ivlen = 12;
        h.taglen = 16;
        fresh(rng, key, keylen);
        fresh(rng, iv, h.ivlen);
        fresh(rng, aad, sizeof(aad));
        fresh(rng, pt, len);
        assert_int_equal(kat_aead_msg(kc, 1, &h, key, iv, aad, sizeof(aad), pt, len, ct, tag, 1),
                         KAT_MSG_OK);
        assert_int_equal(kat_aead_msg(rc, 1, &h, key, iv, aad, sizeof(aad), pt, len, ref, rtag, 1),
                         KAT_MSG_OK);
        check_same("encrypt", aeads[i], ct, ref, len);
        check_same("tag of", aeads[i], tag, rtag, 16);
        assert_int_equal(kat_aead_msg(kc, 0, &h, key, iv, aad, sizeof(aad), ct, len, back, tag, 1),
                         KAT_MSG_OK);
        check_same("decrypt", aeads[i], back, pt, len);
        tag[3] ^= 0x10; /* a tampered tag fails, through kaccel's error path */
        assert_int_not_equal(kat_aead_msg(kc, 0, &h, key, iv, aad, sizeof(aad), ct, len, back,
                                          tag, 1),
                             KAT_MSG_OK);
        ERR_clear_error();
        EVP_CIPHER_free(kc);
        EVP_CIPHER_free(rc);
    }
}

static void digest_of(OSSL_LIB_CTX *lc, const char *props, const char *name,
                      const unsigned char *in, size_t len, unsigned char *md, unsigned *mdlen)
{
    EVP_MD *m = EVP_MD_fetch(lc, name, props);

    assert_non_null(m);
    assert_int_equal(EVP_Digest(in, len, md, mdlen, m, NULL), 1);
    EVP_MD_free(m);
}

static void mac_of(OSSL_LIB_CTX *lc, const char *props, const char *mac, const char *what,
                   const char *name, const unsigned char *key, size_t keylen,
                   const unsigned char *in, size_t len, unsigned char *out, size_t *outlen)
{
    EVP_MAC *m = EVP_MAC_fetch(lc, mac, props);
    EVP_MAC_CTX *x = m != NULL ? EVP_MAC_CTX_new(m) : NULL;
    OSSL_PARAM p[] = { OSSL_PARAM_utf8_string(what, (char *)name, 0), OSSL_PARAM_END };

    assert_non_null(x);
    assert_int_equal(EVP_MAC_init(x, key, keylen, p), 1);
    assert_int_equal(EVP_MAC_update(x, in, len / 3), 1);
    assert_int_equal(EVP_MAC_update(x, in + len / 3, len - len / 3), 1);
    assert_int_equal(EVP_MAC_final(x, out, outlen, 64), 1);
    EVP_MAC_CTX_free(x);
    EVP_MAC_free(m);
}

static void run_hashes(struct kactest *t, uint64_t *rng)
{
    static unsigned char msg[MSG];
    unsigned char a[64], b[64], key[200];
    size_t i, la, lb;
    unsigned ua, ub;

    fresh(rng, msg, sizeof(msg));
    for (i = 0; i < N(digests); i++) {
        digest_of(t->ctx, KACCEL_PROPQUERY, digests[i], msg, sizeof(msg), a, &ua);
        digest_of(t->ref, NULL, digests[i], msg, sizeof(msg), b, &ub);
        assert_int_equal(ua, ub);
        check_same("digest", digests[i], a, b, ua);
    }
    for (i = 0; i < N(digests); i++) {
        size_t kl;

        for (kl = 32; kl <= 200; kl += 168) { /* 200: longer than a block, hashed first */
            fresh(rng, key, kl);
            if (kl == 200) { /* the hashed key is the key the backends get */
                digest_of(t->ref, NULL, digests[i], key, kl, a, &ua);
                secret(a, ua);
            }
            mac_of(t->ctx, KACCEL_PROPQUERY, "HMAC", OSSL_MAC_PARAM_DIGEST, digests[i], key, kl,
                   msg, sizeof(msg), a, &la);
            mac_of(t->ref, NULL, "HMAC", OSSL_MAC_PARAM_DIGEST, digests[i], key, kl, msg,
                   sizeof(msg), b, &lb);
            assert_int_equal(la, lb);
            check_same("HMAC", digests[i], a, b, la);
        }
    }
    for (i = 0; i < N(cmacs); i++) {
        size_t kl = strstr(cmacs[i], "256") ? 32 : strstr(cmacs[i], "192") ? 24 : 16;

        fresh(rng, key, kl);
        mac_of(t->ctx, KACCEL_PROPQUERY, "CMAC", OSSL_MAC_PARAM_CIPHER, cmacs[i], key, kl, msg,
               sizeof(msg), a, &la);
        mac_of(t->ref, NULL, "CMAC", OSSL_MAC_PARAM_CIPHER, cmacs[i], key, kl, msg, sizeof(msg),
               b, &lb);
        assert_int_equal(la, lb);
        check_same("CMAC", cmacs[i], a, b, la);
    }
}

/* ASYNC jobs: AES-256-CBC inside each, the descriptors checked while it runs. */
struct job {
    OSSL_LIB_CTX *ctx;
    unsigned char key[32], iv[16], pt[MSG], ct[MSG + 16];
    int len, fds;
};

static int job_fn(void *arg)
{
    struct job *j = arg;
    EVP_CIPHER *c = EVP_CIPHER_fetch(j->ctx, "AES-256-CBC", KACCEL_PROPQUERY);
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    int n = 0, m = 0;

    j->len = -1;
    if (c != NULL && x != NULL && EVP_EncryptInit_ex2(x, c, j->key, j->iv, NULL)
        && EVP_EncryptUpdate(x, j->ct, &n, j->pt, MSG) && EVP_EncryptFinal_ex(x, j->ct + n, &m))
        j->len = n + m;
    j->fds = fds_check(); /* the job's wait context is still there */
    EVP_CIPHER_CTX_free(x);
    EVP_CIPHER_free(c);
    return j->len >= 0 && j->fds >= 0;
}

static void run_jobs(struct kactest *t, uint64_t *rng)
{
    struct job *jobs = calloc(NJOBS, sizeof(*jobs));
    struct kactest_jobs jr = KACTEST_JOBS(jobs, NJOBS, job_fn);
    unsigned char ref[MSG + 16];
    int i;

    assert_non_null(jobs);
    for (i = 0; i < NJOBS; i++) {
        jobs[i].ctx = t->ctx;
        fresh(rng, jobs[i].key, sizeof(jobs[i].key));
        fresh(rng, jobs[i].iv, sizeof(jobs[i].iv));
        fresh(rng, jobs[i].pt, MSG);
    }
    if (kactest_jobs_run(&jr) != 0)
        fail_msg("ASYNC jobs: %s", jr.why);
    for (i = 0; i < NJOBS; i++) {
        if (jobs[i].fds < 0)
            fail_msg("inside ASYNC job %d: %s", i, fd_problem);
        size_t n = cipher_once(t->ref, NULL, "AES-256-CBC", 1, jobs[i].key, jobs[i].iv,
                               jobs[i].pt, MSG, ref, NULL);

        assert_int_equal((size_t)jobs[i].len, n);
        check_same("job", "AES-256-CBC", jobs[i].ct, ref, n);
    }
    printf("# %d ASYNC jobs, %lu pauses\n", NJOBS, jr.pauses);
    free(jobs);
}

/* ---- the cases ------------------------------------------------------------------- */

static const char *const *case_lines(const char *backend)
{
    static const char *const extra[] = { "kaccel-algorithms = all", "kaccel-min-offload = 0",
                                         NULL };

    if (strcmp(backend, "dpdk") == 0)
        return kactest_dpdk_lines(extra);
    return kat_offload_only;
}

/* Offloaded operations over every algorithm; with require, each routed one must have some. */
static uint64_t offloaded(struct kactest *t, int require)
{
    static const char *const macs[] = {
        "HMAC-SHA1",     "HMAC-SHA2-224", "HMAC-SHA2-256", "HMAC-SHA2-384", "HMAC-SHA2-512",
        "HMAC-SHA3-224", "HMAC-SHA3-256", "HMAC-SHA3-384", "HMAC-SHA3-512", "CMAC-AES-128",
        "CMAC-AES-192",  "CMAC-AES-256",
    };
    const char *const *lists[] = { ciphers, aeads, digests, macs };
    const size_t sizes[] = { N(ciphers), N(aeads), N(digests), N(macs) };
    uint64_t total = 0;
    size_t l, i;

    for (l = 0; l < N(lists); l++)
        for (i = 0; i < sizes[l]; i++) {
            const char *a = lists[l][i];
            uint64_t ops = kactest_stat(t, a, "offload_ops");

            total += ops;
            if (require && kactest_route(t, a) != NULL && ops == 0)
                fail_msg("%s: routed to %s but nothing was offloaded", a, kactest_route(t, a));
        }
    return total;
}

static void run_case(const char *backend)
{
    const char *log = getenv(KACCEL_ENV_DEBUG), *fault = getenv("KACCEL_FAULT");
    const char *const *lines = case_lines(backend);
    EVP_CIPHER_CTX *keep[N(ciphers)];
    size_t nkeep = 0, i;
    struct kactest t;
    uint64_t rng = seed ^ 0x5ec7e75ULL, off;
    int require = 0, nfd;
    char *text;

    assert_non_null(log);
    if (lines == NULL)
        skip();
    if (strcmp(backend, "afalg") == 0)
        require = kat_afalg("test_hygiene") && fault == NULL; /* exits in the guest without */
    fds_before();
    kactest_open(&t, lines);
    run_ciphers(&t, &rng, keep, &nkeep);
    run_aeads(&t, &rng);
    run_hashes(&t, &rng);
    nfd = fds_check();
    if (nfd < 0)
        fail_msg("with %zu cipher contexts alive: %s", nkeep, fd_problem);
    run_jobs(&t, &rng);
    off = offloaded(&t, require);
    printf("# %s%s%s: %llu operations offloaded, %d new descriptors, all close-on-exec\n",
           backend, fault ? " with KACCEL_FAULT=" : "", fault ? fault : "",
           (unsigned long long)off, nfd);
    if (strcmp(backend, "dpdk") == 0 && fault == NULL && off == 0)
        fail_msg("the DPDK backend offloaded nothing");
    for (i = 0; i < nkeep; i++)
        EVP_CIPHER_CTX_free(keep[i]);
    kactest_close(&t); /* the teardown logs too */

    text = kactest_slurp(log);
    assert_non_null(text);
    printf("# log: %zu bytes searched for %zu windows of %d bytes from %u secrets\n",
           strlen(text), nwins, WIN, nsecrets);
    if (strlen(text) < 1000)
        fail_msg("the debug log %s is nearly empty: is KACCEL_DEBUG working?", log);
    if (fault != NULL && strstr(text, "fault: inject") == NULL && strcmp(backend, "dpdk") == 0)
        fail_msg("KACCEL_FAULT=%s injected nothing", fault);
    scan_log(text, strlen(text));
    free(text);
}

static void case_afalg(void **state) { run_case("afalg"); }
static void case_dpdk(void **state) { run_case("dpdk"); }

static const struct kactest_case cases[] = {
    { "afalg", case_afalg },
    { "dpdk", case_dpdk },
};

static struct kactest_cases cs = { .name = "hygiene", .cases = cases,
                                   .n = sizeof(cases) / sizeof(cases[0]), .timeout = 600 };

/* The parent keeps a failed case's log; a passing case's log is removed. */
static void spawn(const char *name, const char *tag, const char *fault)
{
    char fe[128];
    const char *env[] = { fe, NULL };

    snprintf(fe, sizeof(fe), "KACCEL_FAULT=%s", fault ? fault : "");
    kactest_case_spawn(&cs, name, tag, 1, fault ? env : NULL);
}

static void test_afalg(void **state) { spawn("afalg", "afalg", NULL); }
static void test_afalg_faults(void **state)
{
    spawn("afalg", "afalg_faults", "sendmsg:*3:EIO,uring_cqe:*5:EIO,accept:*7:EMFILE,trace");
}

static int dpdk_here(void)
{
#ifdef KACCEL_HAVE_DPDK
    const char *g = getenv("KACCEL_VM_GUEST");

    return kactest_dpdk_lines(NULL) != NULL && (g == NULL || strcmp(g, "1") != 0);
#else
    return 0;
#endif
}

static void test_dpdk(void **state)
{
    if (!dpdk_here())
        skip();
    spawn("dpdk", "dpdk", NULL);
}

static void test_dpdk_faults(void **state)
{
    if (!dpdk_here())
        skip();
    spawn("dpdk", "dpdk_faults",
          "dpdk_status:*3:EIO,dpdk_session:*5:ENOMEM,dpdk_enqueue:*7:EBUSY,trace");
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_afalg),
        cmocka_unit_test(test_afalg_faults),
        cmocka_unit_test(test_dpdk),
        cmocka_unit_test(test_dpdk_faults),
    };

    cs.seed = seed = kactest_seed();
    return kactest_cases_main(&cs, argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
