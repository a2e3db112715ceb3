/*
 * kaccel: what can be offloaded on this machine, and by which driver.
 *
 *   kaccel info            AF_ALG availability, kernel drivers per algorithm, the
 *                          provider's configuration when it loads, the DPDK
 *                          backend when configured, and the routing table
 *   kaccel config [FILE]   validate kaccel's section of an OpenSSL config file
 *   kaccel selftest [--any] [--bytes N]
 *                          check every AF_ALG cipher against OpenSSL
 *   kaccel stats FILE... | -- CMD [ARGS...]
 *                          counters of processes run with KACCEL_STATS=FILE
 *   kaccel version
 */
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include <kaccel/kaccel.h>

#include "backend/afalg/afalg.h"
#include "backend/afalg/kcrypto.h"
#include "cnfcheck.h"
#include "core/config.h"
#include "selftest.h"
#include "stats.h"
#include "tune.h"

/* Kernel names of the algorithms kaccel can route to AF_ALG. */
static const char *const kernel_algs[] = {
    "ecb(aes)", "cbc(aes)", "ctr(aes)", "xts(aes)", "gcm(aes)", "ccm(aes)",
    "rfc7539(chacha20,poly1305)", "sha1", "sha224", "sha256", "sha384", "sha512",
    "sha3-224", "sha3-256", "sha3-384", "sha3-512", "hmac(sha1)", "hmac(sha256)",
    "hmac(sha384)", "hmac(sha512)", "cmac(aes)",
};

static void usage(FILE *f)
{
    fprintf(f, "usage: kaccel info | config [FILE] | selftest [--any] [--bytes N]\n"
               "              | stats FILE... | stats -- CMD [ARGS...] | version\n"
               "              | tune [--config FILE] [--algs NAME,...] [--ms N] [--repeats N]\n"
               "                     [--jobs N] [--out FILE]\n"
               "  info           show what AF_ALG offers here: for each algorithm the kernel\n"
               "                 driver AF_ALG would bind, its priority, and whether it is\n"
               "                 a hardware accelerator; then the provider's configuration;\n"
               "                 with dpdk in kaccel-backends, the DPDK backend (this starts\n"
               "                 its EAL): devices, PMDs, queue pairs and the algorithms each\n"
               "                 device serves; then where each algorithm is routed\n"
               "                 (afalg:<driver> or dpdk:<device>)\n"
               "  config [FILE]  check kaccel's section of an OpenSSL configuration file\n"
               "                 (default: $OPENSSL_CONF or OpenSSL's own openssl.cnf)\n"
               "  selftest       encrypt and decrypt random data through AF_ALG with each\n"
               "                 driver kaccel would use and compare with OpenSSL;\n"
               "                 --any also tests kernel software drivers, --bytes sets\n"
               "                 the buffer size (default 4096, whole AES blocks)\n"
               "  stats          totals of the counters that processes run with\n"
               "                 KACCEL_STATS=FILE append at exit (per algorithm, with the\n"
               "                 DPDK share of the offload, and the io_uring and DPDK queue\n"
               "                 counters); with -- CMD, runs CMD so and prints its counters\n"
               "  tune           measure, for each algorithm the configuration routes to a\n"
               "                 backend, the buffer size from which offload beats OpenSSL's\n"
               "                 software here, for synchronous calls and for calls inside\n"
               "                 N ASYNC jobs (default 16; 0: synchronous only), and print\n"
               "                 (or --out: write) the openssl.cnf lines\n"
               "                 kaccel-min-offload-algs, kaccel-min-offload-async-algs and\n"
               "                 kaccel-tuned\n");
}

/*
 * Prints a line wrapped to 100 columns under its first ": ", breaking after
 * ", " when the line has such items (so "pmd NAME" stays whole), else at blanks.
 */
static void print_wrapped(const char *line)
{
    const char *colon = strstr(line, ": ");
    const char *sep = strstr(colon != NULL ? colon + 2 : line, ", ") != NULL ? ", " : " ";
    size_t indent = colon != NULL && colon - line < 40 ? (size_t)(colon - line) + 2 : 4;
    size_t col = 0, width = 100, seplen = strlen(sep);
    const char *p = line;

    while (*p != '\0') {
        const char *next = strstr(p, sep);
        size_t w = next != NULL ? (size_t)(next - p) : strlen(p);

        /* p .. p+w is a word; a separator follows unless it is the last. */
        if (col > indent && col + w > width) {
            printf("%s\n%*s", sep[0] == ',' ? "," : "", (int)indent, "");
            col = indent;
        } else if (p != line) {
            printf("%s", sep);
            col += seplen;
        }
        printf("%.*s", (int)w, p);
        col += w;
        p += w;
        if (next != NULL)
            p += seplen;
    }
    putchar('\n');
}

/*
 * The DPDK backend as the provider sees it (kaccel-dpdk): asking brings its EAL
 * up in this process.  Returns 1 when it is up.
 */
static int info_dpdk(OSSL_PROVIDER *p)
{
    static char text[65536];
    OSSL_PARAM dp[] = { OSSL_PARAM_utf8_string(KACCEL_PARAM_DPDK, text, sizeof(text)),
                        OSSL_PARAM_END };
    char *line, *save = NULL;
    int up = 0;

    if (!OSSL_PROVIDER_get_params(p, dp)) {
        printf("\nDPDK: the provider does not describe it (%s)\n", KACCEL_PARAM_DPDK);
        return 0;
    }
    for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "dpdk: ", 6) == 0) {
            /* The state line heads the section, like AF_ALG's. */
            up = strncmp(line + 6, "up", 2) == 0;
            printf("\nDPDK: %s\n", line + 6);
        } else if (strncmp(line, "dpdk ", 5) != 0) { /* counters: all zero here */
            print_wrapped(line);
        }
    }
    return up;
}

/*
 * An algorithm's line in a thresholds parameter ("<name> <bytes> <origin>"):
 * the origin into origin (len bytes), the bytes into *bytes; "?" when absent.
 */
static const char *threshold_origin(const char *text, const char *name, size_t *bytes,
                                    char *origin, size_t len)
{
    const char *l = kac_cli_alg_line(text, name), *sp;

    if (l == NULL || (sp = strchr(l + strlen(name) + 1, ' ')) == NULL) {
        snprintf(origin, len, "?");
        return origin;
    }
    if (bytes != NULL && sscanf(l + strlen(name) + 1, "%zu", bytes) != 1)
        *bytes = 0;
    snprintf(origin, len, "%.*s", (int)strcspn(sp + 1, "\n"), sp + 1);
    return origin;
}

static void info_provider(void)
{
    OSSL_PROVIDER *p = OSSL_PROVIDER_load(NULL, KACCEL_PROVIDER_NAME);
    const char *ver = NULL, *build = NULL;
    char backends[64] = "";
    size_t min_offload = 0, min_offload_async = 0;
    OSSL_PARAM params[] = {
        OSSL_PARAM_utf8_ptr(OSSL_PROV_PARAM_VERSION, (char **)&ver, 0),
        OSSL_PARAM_utf8_ptr(OSSL_PROV_PARAM_BUILDINFO, (char **)&build, 0),
        OSSL_PARAM_utf8_string(KACCEL_PARAM_BACKENDS, backends, sizeof(backends)),
        OSSL_PARAM_size_t(KACCEL_PARAM_MIN_OFFLOAD, &min_offload),
        OSSL_PARAM_size_t(KACCEL_PARAM_MIN_OFFLOAD_ASYNC, &min_offload_async),
        OSSL_PARAM_END,
    };

    printf("\nprovider:\n");
    if (p == NULL) {
        unsigned long e = ERR_peek_last_error();

        printf("  not loadable (%s); set OPENSSL_MODULES to the folder holding kaccel.so\n",
               e != 0 ? ERR_reason_error_string(e) : "unknown error");
        ERR_print_errors_fp(stdout);
        return;
    }
    if (OSSL_PROVIDER_get_params(p, params)) {
        static char routes[65536], thresholds[32768], thresholds_async[32768];
        OSSL_PARAM rp[] = { OSSL_PARAM_utf8_string(KACCEL_PARAM_ROUTES, routes, sizeof(routes)),
                            OSSL_PARAM_utf8_string(KACCEL_PARAM_THRESHOLDS, thresholds,
                                                   sizeof(thresholds)),
                            OSSL_PARAM_utf8_string(KACCEL_PARAM_THRESHOLDS_ASYNC,
                                                   thresholds_async, sizeof(thresholds_async)),
                            OSSL_PARAM_END };
        char *line, *save = NULL, list[sizeof(backends)], *b, *bsave = NULL;
        int dpdk = 0, dpdk_up = 0;

        printf("  version      %s\n  build        %s\n", ver ? ver : "?", build ? build : "?");
        printf("  backends     %s\n  min-offload  %zu bytes (inside ASYNC jobs: %zu bytes)\n",
               backends, min_offload, min_offload_async);
        snprintf(list, sizeof(list), "%s", backends);
        for (b = strtok_r(list, ",", &bsave); b != NULL; b = strtok_r(NULL, ",", &bsave))
            dpdk |= strcmp(b, "dpdk") == 0;
        /* Before the routes: with the EAL up, they name the DPDK devices. */
        if (dpdk)
            dpdk_up = info_dpdk(p);
        if (OSSL_PROVIDER_get_params(p, rp)) {
            printf("\nrouting (configuration in force; async: inside an OpenSSL ASYNC job):\n"
                   "  %-18s %-10s %-34s %11s  %-24s %11s  %-29s %s\n",
                   "algorithm", "registered", "offload to (backend:driver|device)",
                   "min-offload", "threshold from", "async", "async threshold from", "note");
            for (line = strtok_r(routes, "\n", &save); line != NULL;
                 line = strtok_r(NULL, "\n", &save)) {
                char name[32], drv[160], note[128] = "", origin[300], aorigin[300];
                size_t min = 0, amin = 0;
                int reg = 0, off = 0;

                if (sscanf(line, "%31s %159s %zu %d %n", name, drv, &min, &reg, &off) < 4)
                    continue;
                snprintf(note, sizeof(note), "%s", line + off);
                threshold_origin(thresholds, name, NULL, origin, sizeof(origin));
                threshold_origin(thresholds_async, name, &amin, aorigin, sizeof(aorigin));
                printf("  %-18s %-10s %-34s %11zu  %-24s %11zu  %-29s %s\n", name,
                       reg ? "yes" : "no", strcmp(drv, "-") ? drv : "software", min, origin,
                       amin, aorigin, strcmp(note, "-") ? note : "");
            }
            if (dpdk && !dpdk_up)
                printf("  (DPDK is not up in this process: operations routed to dpdk go to the\n"
                       "   next backend in kaccel-backends, or to software)\n");
        }
    }
    OSSL_PROVIDER_unload(p);
}

static int cmd_info(void)
{
    struct kac_kcrypto kc;
    size_t i;
    int afalg = kac_afalg_available();

    printf("kaccel %s\n\nAF_ALG: %s\n", KACCEL_VERSION_STR,
           afalg ? "available" : "unavailable (this kernel has no AF_ALG sockets)");
    if (!kac_kcrypto_load(&kc)) {
        printf("  /proc/crypto: unreadable\n");
    } else {
        printf("  %-28s %-34s %5s %-5s %s\n", "algorithm", "best driver (any)", "prio",
               "async", "hardware driver");
        for (i = 0; i < sizeof(kernel_algs) / sizeof(kernel_algs[0]); i++) {
            const struct kac_kdriver *any = kac_kcrypto_best(&kc, kernel_algs[i], 0);
            const struct kac_kdriver *hw = kac_kcrypto_best(&kc, kernel_algs[i], 1);

            printf("  %-28s %-34s %5d %-5s %s\n", kernel_algs[i],
                   any ? any->driver : "-", any ? any->priority : 0,
                   any ? (any->async ? "yes" : "no") : "-", hw ? hw->driver : "none");
        }
        kac_kcrypto_free(&kc);
    }
    printf("\nconfiguration:\n  ");
    kac_cnfcheck(NULL, stdout);
    info_provider();
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "info") == 0)
        return cmd_info();
    if (strcmp(argv[1], "config") == 0)
        return kac_cnfcheck(argc > 2 ? argv[2] : NULL, stdout);
    if (strcmp(argv[1], "stats") == 0)
        return kac_cli_stats(argc - 2, argv + 2, stdout);
    if (strcmp(argv[1], "tune") == 0)
        return kac_tune(argc - 2, argv + 2, stdout);
    if (strcmp(argv[1], "selftest") == 0) {
        size_t len = 4096;
        int any = 0, i;

        for (i = 2; i < argc; i++) {
            if (strcmp(argv[i], "--any") == 0) {
                any = 1;
            } else if (strcmp(argv[i], "--bytes") == 0 && i + 1 < argc
                       && kac_parse_size(argv[i + 1], &len) && len >= 16 && len % 16 == 0
                       && len <= 65536) {
                i++;
            } else {
                fprintf(stderr, "kaccel selftest: bad argument \"%s\" "
                                "(--bytes takes a multiple of 16 from 16 to 65536)\n", argv[i]);
                return 2;
            }
        }
        return kac_selftest(any, len, stdout);
    }
    if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("kaccel %s\n", KACCEL_VERSION_STR);
        return 0;
    }
    fprintf(stderr, "kaccel: unknown command \"%s\"\n", argv[1]);
    usage(stderr);
    return 2;
}
