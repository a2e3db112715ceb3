/*
 * kaccel tune: for each algorithm kaccel routes to a backend on this machine,
 * the buffer size from which offload beats OpenSSL's software, written as an
 * openssl.cnf snippet (kaccel-min-offload-algs plus kaccel-tuned, which
 * `kaccel info` shows as the thresholds' origin).
 *
 * Method: kaccel loaded from the user's configuration with every threshold at
 * 0 (so every operation is offloaded) in one library context, the default
 * provider in another; for each size (64 B .. 64 KiB, doubling) the two run
 * the same operation on a kept context (as a server keeps a connection's)
 * interleaved (A B A B ...) for a short time
 * each, REPEATS times; the ratio is the median of the per-repeat ratios.  The
 * threshold is the smallest size from which the ratio stays >= 1.
 */
#include "tune.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/conf.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include <kaccel/kaccel.h>

#include "cnfcheck.h"
#include "core/alg.h"

#define TUNE_MIN 64
#define TUNE_MAX 65536
#define TUNE_NSIZES 11
#define TUNE_NEVER "1024M"

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
               "kaccel-min-offload = 0\n");
    for (i = 0; i < sk_CONF_VALUE_num(keys); i++) {
        CONF_VALUE *v = sk_CONF_VALUE_value(keys, i);

        if (strcmp(v->name, "activate") == 0 || strcmp(v->name, KACCEL_CNF_MIN_OFFLOAD) == 0
            || strcmp(v->name, KACCEL_CNF_MIN_OFFLOAD_ALGS) == 0
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
 * re-initialises with a new IV (ciphers) or restarts the message.
 */
struct tune_alg {
    const struct kac_alg *alg;
    EVP_CIPHER *c[2];
    EVP_MD *md[2];
    EVP_MAC *mac[2];
    EVP_CIPHER_CTX *cc[2];
    EVP_MD_CTX *mc[2];
    EVP_MAC_CTX *xc[2];
};

static const unsigned char tune_key[64] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
                                            16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28,
                                            29, 30, 31, 32, 33 };

static int tune_setup(struct tune_alg *t, int k)
{
    static const unsigned char iv[16] = { 9 };

    if (t->c[k] != NULL)
        return (t->cc[k] = EVP_CIPHER_CTX_new()) != NULL
               && EVP_EncryptInit_ex2(t->cc[k], t->c[k], tune_key, iv, NULL)
               && EVP_CIPHER_CTX_set_padding(t->cc[k], 0);
    if (t->md[k] != NULL)
        return (t->mc[k] = EVP_MD_CTX_new()) != NULL;
    if (t->mac[k] != NULL) {
        OSSL_PARAM p[2] = { OSSL_PARAM_END, OSSL_PARAM_END };
        char name[32];

        p[0] = OSSL_PARAM_construct_utf8_string(t->alg->mode == KAC_MODE_HMAC
                                                    ? OSSL_MAC_PARAM_DIGEST
                                                    : OSSL_MAC_PARAM_CIPHER,
                                                (char *)kac_alg_mac_sub(t->alg, name,
                                                                        sizeof(name)),
                                                0);
        return (t->xc[k] = EVP_MAC_CTX_new(t->mac[k])) != NULL
               && EVP_MAC_init(t->xc[k], tune_key,
                               t->alg->mode == KAC_MODE_HMAC ? 32 : t->alg->keylen, p);
    }
    return 0;
}

static int one_op(struct tune_alg *t, int k, const unsigned char *in, unsigned char *out,
                  size_t len)
{
    unsigned char md[EVP_MAX_MD_SIZE], iv[16] = { 7 };
    unsigned int mdl = 0;
    size_t ml = 0;
    int outl = 0;

    if (t->cc[k] != NULL) {
        iv[1] = (unsigned char)len;
        return EVP_EncryptInit_ex2(t->cc[k], NULL, NULL, iv, NULL)
               && (t->alg->kind != KAC_KIND_AEAD
                   || EVP_EncryptUpdate(t->cc[k], NULL, &outl, tune_key, 13))
               && EVP_EncryptUpdate(t->cc[k], out, &outl, in, (int)len)
               && EVP_EncryptFinal_ex(t->cc[k], out + outl, &outl);
    }
    if (t->mc[k] != NULL)
        return EVP_DigestInit_ex2(t->mc[k], t->md[k], NULL)
               && EVP_DigestUpdate(t->mc[k], in, len) && EVP_DigestFinal_ex(t->mc[k], md, &mdl);
    if (t->xc[k] != NULL)
        return EVP_MAC_init(t->xc[k], NULL, 0, NULL) && EVP_MAC_update(t->xc[k], in, len)
               && EVP_MAC_final(t->xc[k], md, &ml, sizeof(md));
    return 0;
}

/* Operations per second over about ms milliseconds. */
static double rate(struct tune_alg *t, int k, const unsigned char *in, unsigned char *out,
                   size_t len, double ms)
{
    double t0 = now(), el;
    unsigned long n = 0;

    do {
        unsigned i;

        for (i = 0; i < 16; i++)
            if (!one_op(t, k, in, out, len))
                return -1;
        n += 16;
    } while ((el = now() - t0) * 1000 < ms);
    return (double)n / el;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: kaccel tune [--config FILE] [--algs NAME,...] [--ms N] [--repeats N]\n"
               "                   [--out FILE]\n");
}

int kac_tune(int argc, char **argv, FILE *out)
{
    const char *file = NULL, *algs = NULL, *outfile = NULL;
    char cnf[64] = "", routes[16384], line[64 * KAC_ALG_COUNT] = "", tuned[256];
    double ms = 60;
    int repeats = 3, i, ret = 1, n = 0, a;
    OSSL_LIB_CTX *ctx[2] = { NULL, NULL };
    OSSL_PROVIDER *kp = NULL, *dp[2] = { NULL, NULL };
    unsigned char *in = NULL, *buf = NULL;
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
    if (in == NULL || buf == NULL)
        goto end;
    memset(in, 0x5a, TUNE_MAX);
    gethostname(host, sizeof(host) - 1);
    strftime(date, sizeof(date), "%Y-%m-%d", localtime(&t));
    fprintf(out, "kaccel tune: where offload beats OpenSSL's software on %s (an operation "
                 "on a kept context, median of %d interleaved runs of %.0f ms)\n\n", host, repeats, ms);
    fprintf(out, "%-18s %-24s", "algorithm", "route");
    for (i = 0; i < TUNE_NSIZES; i++)
        fprintf(out, " %6d", TUNE_MIN << i);
    fprintf(out, "  threshold\n");
    tuned[0] = '\0';
    for (a = 0; a < KAC_ALG_COUNT; a++) {
        const struct kac_alg *alg = &kac_algs[a];
        struct tune_alg ta;
        char *l = strstr(routes, alg->name), route[128] = "-";
        double ratio[TUNE_NSIZES];
        int k, s, threshold = -1, failed = 0;

        memset(&ta, 0, sizeof(ta));
        ta.alg = alg;
        /* The routes line "<name> <backend:impl> ..." of exactly this algorithm. */
        while (l != NULL && !((l == routes || l[-1] == '\n') && l[strlen(alg->name)] == ' '))
            l = strstr(l + 1, alg->name);
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
                ta.c[k] = EVP_CIPHER_fetch(ctx[k], alg->name, pq);
            else if (alg->kind == KAC_KIND_DIGEST)
                ta.md[k] = EVP_MD_fetch(ctx[k], alg->name, pq);
            else
                ta.mac[k] = EVP_MAC_fetch(ctx[k], alg->mode == KAC_MODE_HMAC ? "HMAC" : "CMAC", pq);
        }
        if ((ta.c[0] == NULL || ta.c[1] == NULL) && (ta.md[0] == NULL || ta.md[1] == NULL)
            && (ta.mac[0] == NULL || ta.mac[1] == NULL)) {
            ERR_clear_error();
            goto next;
        }
        if (!tune_setup(&ta, 0) || !tune_setup(&ta, 1)) {
            ERR_clear_error();
            goto next;
        }
        fprintf(out, "%-18s %-24s", alg->name, route);
        fflush(out);
        for (s = 0; s < TUNE_NSIZES; s++) {
            size_t len = (size_t)TUNE_MIN << s;
            double r[15];
            int rep;

            if (alg->mode == KAC_MODE_XTS && len > 16384)
                len = 16384;
            for (rep = 0; rep < repeats; rep++) {
                double sw = rate(&ta, 0, in, buf, len, ms), off = rate(&ta, 1, in, buf, len, ms);

                if (sw <= 0 || off <= 0) {
                    failed = 1;
                    break;
                }
                r[rep] = off / sw;
            }
            if (failed)
                break;
            qsort(r, (size_t)repeats, sizeof(r[0]), cmp_double);
            ratio[s] = r[repeats / 2];
            fprintf(out, " %6.2f", ratio[s]);
            fflush(out);
        }
        if (failed) {
            fprintf(out, "  (operation failed: not tuned)\n");
            ERR_clear_error();
            goto next;
        }
        for (s = TUNE_NSIZES - 1; s >= 0 && ratio[s] >= 1.0; s--)
            threshold = TUNE_MIN << s;
        if (threshold == TUNE_MIN)
            threshold = 0; /* wins everywhere measured */
        if (threshold < 0)
            fprintf(out, "  never (%s)\n", TUNE_NEVER);
        else
            fprintf(out, "  %d\n", threshold);
        if (threshold < 0)
            n += snprintf(line + n, sizeof(line) - (size_t)n, "%s%s:%s", n ? ", " : "",
                          alg->name, TUNE_NEVER);
        else
            n += snprintf(line + n, sizeof(line) - (size_t)n, "%s%s:%d", n ? ", " : "",
                          alg->name, threshold);
        if (strlen(tuned) + strlen(route) + 2 < sizeof(tuned) && strstr(tuned, route) == NULL)
            snprintf(tuned + strlen(tuned), sizeof(tuned) - strlen(tuned), "%s%s",
                     tuned[0] ? "," : "", route);
    next:
        for (k = 0; k < 2; k++) {
            EVP_CIPHER_CTX_free(ta.cc[k]);
            EVP_MD_CTX_free(ta.mc[k]);
            EVP_MAC_CTX_free(ta.xc[k]);
            EVP_CIPHER_free(ta.c[k]);
            EVP_MD_free(ta.md[k]);
            EVP_MAC_free(ta.mac[k]);
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
    fprintf(snip, "%s# kaccel tune %s on %s: offload from these sizes (bytes) on; %s = never\n"
                  "# add to kaccel's provider section in openssl.cnf\n"
                  "%s = %s\n%s = %s %s %s\n",
            snip == out ? "\n" : "", date, host, TUNE_NEVER, KACCEL_CNF_MIN_OFFLOAD_ALGS, line,
            KACCEL_CNF_TUNED, date, host, tuned);
    if (snip != out) {
        fclose(snip);
        fprintf(out, "\nwrote %s\n", outfile);
    }
    ret = 0;
end:
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
