#include "fuzz_common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

#include <kaccel/kaccel.h>

#include "backend/afalg/afalg.h"
#include "kactest.h"

/*
 * DPDK 22.11's crypto_openssl PMD keeps the OpenSSL contexts it allocates in
 * its sessions and ops, which live in DPDK memory: LeakSanitizer does not
 * scan that memory, so they look unreferenced.  kaccel's own allocations are
 * still checked.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:librte_crypto_openssl.so\n";
}

/* ---- the input reader ---------------------------------------------------- */

uint8_t fz_u8(struct fz *f)
{
    if (f->n == 0)
        return 0;
    f->n--;
    return *f->p++;
}

uint32_t fz_u32(struct fz *f)
{
    uint32_t v = 0;
    int i;

    for (i = 0; i < 4; i++)
        v = v << 8 | fz_u8(f);
    return v;
}

size_t fz_range(struct fz *f, size_t lo, size_t hi)
{
    size_t span = hi - lo, v = 0, got = 0;

    if (hi <= lo)
        return lo;
    /* as few bytes as the span needs */
    while (got < span && f->n > 0) {
        v = v << 8 | fz_u8(f);
        got = got << 8 | 0xff;
    }
    return lo + (span == SIZE_MAX ? v : v % (span + 1));
}

int fz_bool(struct fz *f)
{
    return fz_u8(f) & 1;
}

int fz_one_in(struct fz *f, unsigned n)
{
    return fz_u8(f) % n == 0 && n > 0;
}

void fz_bytes(struct fz *f, unsigned char *out, size_t n)
{
    size_t k = n < f->n ? n : f->n;

    memcpy(out, f->p, k);
    memset(out + k, 0, n - k);
    f->p += k;
    f->n -= k;
}

int fz_empty(const struct fz *f)
{
    return f->n == 0;
}

size_t fz_len(struct fz *f, size_t max)
{
    static const size_t edges[] = { 1,    12,   13,   15,   16,   17,   31,   32,    33,
                                    47,   48,   49,   63,   64,   65,   100,  127,   128,
                                    255,  256,  299,  300,  301,  1023, 1024, 1025,  4095,
                                    4096, 4097, 8192, 16384 };
    static const size_t big[] = { 32767, 32768, 32769, 32784, 65519, 65535, 65536, 65537,
                                  65552, 40000, 70000 };
    unsigned sel = fz_u8(f) % 16;
    size_t v;

    if (sel < 7) {
        v = fz_range(f, 0, 48);
    } else if (sel < 10) {
        v = fz_range(f, 0, 600);
    } else if (sel < 13) {
        long d = (long)fz_range(f, 0, 4) - 2;

        v = edges[fz_u8(f) % (sizeof(edges) / sizeof(edges[0]))];
        v = (long)v + d < 0 ? 0 : (size_t)((long)v + d);
    } else if (sel < 15) {
        v = fz_range(f, 0, 5000);
    } else if (fz_bool(f)) {
        v = big[fz_u8(f) % (sizeof(big) / sizeof(big[0]))];
    } else {
        v = fz_range(f, 0, 70000);
    }
    return v > max ? max : v;
}

void fz_fill(uint64_t seed, unsigned char *buf, size_t len)
{
    uint64_t x = seed;
    size_t i;

    for (i = 0; i < len; i += 8) {
        uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
        size_t k = len - i < 8 ? len - i : 8;

        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        z ^= z >> 31;
        memcpy(buf + i, &z, k);
    }
}

/* ---- reports -------------------------------------------------------------- */

#define FZ_TRACE_LINES 64
static char trace_buf[FZ_TRACE_LINES][160];
static unsigned trace_n;
static const uint8_t *cur_data;
static size_t cur_size;

void fz_trace_reset(const uint8_t *data, size_t size)
{
    trace_n = 0;
    cur_data = data;
    cur_size = size;
}

static int verbose = -1; /* KACCEL_FUZZ_VERBOSE=1: each op as it runs (to replay a crash) */

void fz_trace(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(trace_buf[trace_n % FZ_TRACE_LINES], sizeof(trace_buf[0]), fmt, ap);
    va_end(ap);
    if (verbose < 0)
        verbose = getenv("KACCEL_FUZZ_VERBOSE") != NULL;
    if (verbose)
        fprintf(stderr, "kac-fuzz op %u: %s\n", trace_n, trace_buf[trace_n % FZ_TRACE_LINES]);
    trace_n++;
}

void fz_dump_diff(const char *what, const unsigned char *a, const unsigned char *b, size_t n)
{
    size_t i, first = n, lo, hi;

    for (i = 0; i < n; i++)
        if (a[i] != b[i]) {
            first = i;
            break;
        }
    if (first == n) {
        fprintf(stderr, "  %s: %zu bytes, identical\n", what, n);
        return;
    }
    lo = first > 32 ? first - 32 : 0;
    hi = first + 32 < n ? first + 32 : n;
    fprintf(stderr, "  %s: %zu bytes, first difference at %zu\n    kaccel ", what, n, first);
    for (i = lo; i < hi; i++)
        fprintf(stderr, "%s%02x", i == first ? "|" : "", a[i]);
    fprintf(stderr, "\n    ref    ");
    for (i = lo; i < hi; i++)
        fprintf(stderr, "%s%02x", i == first ? "|" : "", b[i]);
    fputc('\n', stderr);
}

static void print_trace(void)
{
    unsigned i, start = trace_n > FZ_TRACE_LINES ? trace_n - FZ_TRACE_LINES : 0;

    fprintf(stderr, "  input: %zu bytes; ops so far:\n", cur_size);
    for (i = start; i < trace_n; i++)
        fprintf(stderr, "    %3u %s\n", i, trace_buf[i % FZ_TRACE_LINES]);
}

void fz_fail(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "\n==== kaccel fuzz: MISMATCH: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    print_trace();
    fprintf(stderr, "  OpenSSL's error queue:\n");
    ERR_print_errors_fp(stderr);
    fflush(stderr);
    abort();
}

/* ---- kaccel and the reference ------------------------------------------- */

static struct fz_env *the_env;

static int load_one(struct fz_kaccel *k, const char *const *lines, const char *what)
{
    char cnf[64] = "/tmp/kac-fuzz-XXXXXX";

    snprintf(k->what, sizeof(k->what), "%s", what);
    if (kactest_write_cnf(cnf, lines) != 0) {
        perror("kac-fuzz: cannot write openssl.cnf");
        return 0;
    }
    k->ctx = OSSL_LIB_CTX_new();
    if (k->ctx == NULL || !OSSL_LIB_CTX_load_config(k->ctx, cnf)
        || (k->prov = OSSL_PROVIDER_load(k->ctx, KACCEL_PROVIDER_NAME)) == NULL) {
        fprintf(stderr, "kac-fuzz: kaccel did not load (%s; OPENSSL_MODULES=%s)\n", what,
                getenv("OPENSSL_MODULES"));
        ERR_print_errors_fp(stderr);
        unlink(cnf);
        return 0;
    }
    unlink(cnf);
    return 1;
}

/*
 * The routing configurations of every path: thresholds that make the same
 * sizes go either way, per-algorithm thresholds, and a queue depth of 1.
 */
static const char *const routings[][4] = {
    { "kaccel-min-offload = 0", NULL },
    { "kaccel-min-offload = 1", "kaccel-queue-depth = 1", NULL },
    { "kaccel-min-offload = 16",
      "kaccel-min-offload-algs = AES-128-CBC:48, AES-256-CTR:32, AES-128-GCM:100, "
      "ChaCha20-Poly1305:17, SHA2-256:100, HMAC:65, CMAC:31, AES-128-XTS:0",
      NULL },
    { "kaccel-min-offload = 64", NULL },
    { "kaccel-min-offload = 300",
      "kaccel-min-offload-algs = AES-192-ECB:0, AES-256-CCM:0, SHA1:1, HMAC-SHA2-512:0, "
      "AES-128-CTR:17, SHA3-256:0",
      NULL },
    { "kaccel-min-offload = 4096", NULL },
};
#define NROUTINGS (sizeof(routings) / sizeof(routings[0]))

/* Sums "key=N" over the lines of kaccel's counters. */
static unsigned long long sum_counter(const char *text, const char *key, char *zero,
                                      size_t zlen)
{
    unsigned long long sum = 0;
    const char *line = text;
    char pat[64];

    snprintf(pat, sizeof(pat), " %s=", key);
    if (zero != NULL && zlen > 0)
        zero[0] = '\0';
    while (line != NULL && *line != '\0') {
        const char *e = strchr(line, '\n'), *p = strstr(line, pat);
        size_t l = e != NULL ? (size_t)(e - line) : strlen(line);

        if (p != NULL && p < line + l && strncmp(line, "io_uring", 8) != 0
            && strncmp(line, "dpdk ", 5) != 0) {
            unsigned long long v = strtoull(p + strlen(pat), NULL, 10);

            sum += v;
        }
        line = e != NULL ? e + 1 : NULL;
    }
    return sum;
}

static void at_exit(void)
{
    struct fz_env *e = the_env;
    char *buf = malloc(1 << 16);
    OSSL_PARAM p[] = { OSSL_PARAM_utf8_string(KACCEL_PARAM_STATS, buf, 1 << 16), OSSL_PARAM_END };
    unsigned long long off, sw;
    const char *req = getenv("KACCEL_FUZZ_REQUIRE_OFFLOAD");

    if (e == NULL || e->nk == 0 || buf == NULL || !OSSL_PROVIDER_get_params(e->k[0].prov, p)) {
        free(buf);
        return;
    }
    off = sum_counter(buf, "offload_ops", NULL, 0);
    sw = sum_counter(buf, "sw_ops", NULL, 0);
    fprintf(stderr, "kac-fuzz: path %s%s%s: kaccel ops offloaded %llu, in software %llu\n",
            e->path, e->device ? " " : "", e->device ? e->device : "", off, sw);
    if (getenv("KACCEL_FUZZ_STATS") != NULL)
        fprintf(stderr, "%s", buf);
    free(buf);
    if (req != NULL && strcmp(req, "1") == 0 && off == 0 && sw > 0) {
        fprintf(stderr, "kac-fuzz: path %s offloaded nothing (KACCEL_FUZZ_REQUIRE_OFFLOAD=1)\n",
                e->path);
        _exit(1);
    }
}

void fz_env_init(struct fz_env *e, const char *prog)
{
    const char *path = getenv("KACCEL_FUZZ_PATH");
    size_t i;

    memset(e, 0, sizeof(*e));
    e->path = path != NULL && *path != '\0' ? path : "sw";
    /*
     * The default provider in the default library context, as most
     * applications have it: DPDK 22.11's crypto_openssl PMD fetches HMAC and
     * CMAC there and crashes on a NULL fetch (it loads "legacy", then
     * "default", and gives up on both when legacy.so is not found, as with
     * OPENSSL_MODULES pointing at kaccel's build tree).
     */
    if ((e->defprov = OSSL_PROVIDER_load(NULL, "default")) == NULL) {
        ERR_print_errors_fp(stderr);
        exit(1);
    }
    if (strcmp(e->path, "sw") == 0) {
        static const char *const none[] = { "kaccel-backends = none", "kaccel-algorithms = all",
                                            NULL };
        static const char *const afalg[] = { "kaccel-backends = afalg",
                                             "kaccel-algorithms = all",
                                             "kaccel-min-offload = 0", NULL };

        if (!load_one(&e->k[e->nk++], none, "backends none"))
            exit(1);
        /* Without AF_ALG (the build host) the afalg backend finds no route. */
        if (!kac_afalg_available() && !load_one(&e->k[e->nk++], afalg, "afalg, no AF_ALG here"))
            exit(1);
    } else if (strcmp(e->path, "dpdk") == 0 || strcmp(e->path, "afalg") == 0) {
        int dpdk = e->path[0] == 'd';

        if (dpdk) {
#ifndef KACCEL_HAVE_DPDK
            fprintf(stderr, "%s: SKIP: kaccel was built without DPDK\n", prog);
            exit(77);
#endif
            if (kactest_dpdk_lines(NULL) == NULL) {
                fprintf(stderr, "%s: SKIP: DPDK PMD for %s not installed\n", prog,
                        kactest_dpdk_device());
                exit(77);
            }
            e->device = kactest_dpdk_device();
        } else if (!kac_afalg_available()) {
            const char *r = getenv("KACCEL_REQUIRE_AFALG");

            fprintf(stderr, "%s: %s: this kernel has no AF_ALG sockets\n", prog,
                    r != NULL && strcmp(r, "1") == 0 ? "FAIL" : "SKIP");
            exit(r != NULL && strcmp(r, "1") == 0 ? 1 : 77);
        }
        for (i = 0; i < NROUTINGS && e->nk < FZ_MAX_CONFIGS; i++) {
            const char *extra[8];
            const char *const *lines;
            char what[160];
            size_t n = 0, j;

            extra[n++] = "kaccel-algorithms = all";
            for (j = 0; routings[i][j] != NULL; j++)
                extra[n++] = routings[i][j];
            if (!dpdk) {
                extra[n++] = "kaccel-backends = afalg";
                extra[n++] = "kaccel-afalg-drivers = any";
            }
            extra[n] = NULL;
            lines = dpdk ? kactest_dpdk_lines(extra) : extra;
            snprintf(what, sizeof(what), "%s, %s%s%s", e->path, routings[i][0],
                     routings[i][1] ? ", " : "", routings[i][1] ? routings[i][1] : "");
            if (!load_one(&e->k[e->nk++], lines, what))
                exit(1);
        }
    } else {
        fprintf(stderr, "%s: KACCEL_FUZZ_PATH must be sw, dpdk or afalg, not %s\n", prog,
                e->path);
        exit(2);
    }
    if (e->device != NULL) {
        /*
         * The EAL up now (asking for "kaccel-dpdk" brings it up), not inside
         * the first input.  The crypto_openssl PMD's failed load of OpenSSL's
         * legacy provider leaves errors on this thread's queue: cleared.
         */
        char *buf = malloc(1 << 16);
        OSSL_PARAM p[] = { OSSL_PARAM_utf8_string(KACCEL_PARAM_DPDK, buf, 1 << 16),
                           OSSL_PARAM_END };

        if (buf == NULL || !OSSL_PROVIDER_get_params(e->k[0].prov, p)) {
            fprintf(stderr, "kac-fuzz: cannot read kaccel's DPDK state\n");
            exit(1);
        }
        if (getenv("KACCEL_FUZZ_STATS") != NULL)
            fprintf(stderr, "%s", buf);
        free(buf);
        ERR_clear_error();
    }
    e->ref = OSSL_LIB_CTX_new();
    if (e->ref == NULL || (e->refprov = OSSL_PROVIDER_load(e->ref, "default")) == NULL) {
        ERR_print_errors_fp(stderr);
        exit(1);
    }
    the_env = e;
    atexit(at_exit);
    fprintf(stderr, "kac-fuzz: path %s%s%s, %d kaccel configurations\n", e->path,
            e->device ? " " : "", e->device ? e->device : "", e->nk);
}
