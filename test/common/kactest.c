#include "kactest.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/provider.h>

#include <kaccel/kaccel.h>

int kactest_write_cnf(char *path, const char *const *lines)
{
    FILE *f;
    int fd = mkstemp(path);

    if (fd < 0)
        return -1;
    f = fdopen(fd, "w");
    if (f == NULL) {
        close(fd);
        return -1;
    }
    fprintf(f, "openssl_conf = openssl_init\n[openssl_init]\nproviders = provider_sect\n"
               "[provider_sect]\ndefault = default_sect\nkaccel = kaccel_sect\n"
               "[default_sect]\nactivate = 1\n[kaccel_sect]\nactivate = 1\n");
    for (; lines != NULL && *lines != NULL; lines++)
        fprintf(f, "%s\n", *lines);
    return fclose(f) == 0 ? 0 : -1;
}

void kactest_open(struct kactest *t, const char *const *lines)
{
    memset(t, 0, sizeof(*t));
    strcpy(t->cnf, "/tmp/kactest-XXXXXX");
    if (kactest_write_cnf(t->cnf, lines) != 0)
        fail_msg("cannot write %s", t->cnf);
    t->ctx = OSSL_LIB_CTX_new();
    assert_non_null(t->ctx);
    if (!OSSL_LIB_CTX_load_config(t->ctx, t->cnf)) {
        ERR_print_errors_fp(stderr);
        fail_msg("cannot load %s", t->cnf);
    }
    t->kaccel = OSSL_PROVIDER_load(t->ctx, KACCEL_PROVIDER_NAME); /* reference held */
    if (t->kaccel == NULL) {
        ERR_print_errors_fp(stderr);
        fail_msg("kaccel did not load (OPENSSL_MODULES=%s)", getenv("OPENSSL_MODULES"));
    }
    t->ref = OSSL_LIB_CTX_new();
    assert_non_null(t->ref);
    t->refprov = OSSL_PROVIDER_load(t->ref, "default");
    assert_non_null(t->refprov);
}

void kactest_close(struct kactest *t)
{
    OSSL_PROVIDER_unload(t->kaccel);
    OSSL_PROVIDER_unload(t->refprov);
    OSSL_LIB_CTX_free(t->ctx);
    OSSL_LIB_CTX_free(t->ref);
    unlink(t->cnf);
}

/*
 * The rest of kaccel's line for name (from "name ") in the provider text
 * parameter key, copied to line ("" when absent).  Returns 1 when found, 0
 * when not, -1 when the parameter could not be read.
 */
static int param_line(OSSL_PROVIDER *prov, const char *key, const char *name, char *line,
                      size_t len)
{
    char *buf = malloc(1 << 16);
    OSSL_PARAM p[] = { OSSL_PARAM_utf8_string(key, buf, 1 << 16), OSSL_PARAM_END };
    size_t n = strlen(name);
    const char *s = buf;
    int found = 0;

    line[0] = '\0';
    if (buf == NULL)
        return -1;
    buf[0] = '\0';
    if (!OSSL_PROVIDER_get_params(prov, p)) {
        free(buf);
        return -1;
    }
    while (s != NULL && *s != '\0' && !found) {
        const char *e = strchr(s, '\n');
        size_t l = e ? (size_t)(e - s) : strlen(s);

        if (l > n && strncmp(s, name, n) == 0 && s[n] == ' ') {
            if (l >= len)
                l = len - 1;
            memcpy(line, s, l);
            line[l] = '\0';
            found = 1;
        }
        s = e ? e + 1 : NULL;
    }
    free(buf);
    return found;
}

int kactest_provider_stat(OSSL_PROVIDER *prov, const char *alg, const char *counter,
                          uint64_t *value)
{
    char line[1024], key[64], *p;

    *value = 0;
    if (param_line(prov, KACCEL_PARAM_STATS, alg, line, sizeof(line)) < 0)
        return -1;
    snprintf(key, sizeof(key), " %s=", counter);
    p = strstr(line, key);
    if (p != NULL)
        *value = strtoull(p + strlen(key), NULL, 10);
    return 0;
}

int kactest_provider_route(OSSL_PROVIDER *prov, const char *alg, char *driver, size_t len)
{
    char line[512], d[128] = "-";
    int r = param_line(prov, KACCEL_PARAM_ROUTES, alg, line, sizeof(line));

    if (r < 0)
        return -1;
    if (r > 0)
        sscanf(line + strlen(alg) + 1, "%127s", d);
    snprintf(driver, len, "%s", strncmp(d, "afalg:", 6) == 0 ? d + 6 : d);
    return strcmp(d, "-") != 0;
}

uint64_t kactest_stat(struct kactest *t, const char *alg, const char *counter)
{
    uint64_t v;

    assert_int_equal(kactest_provider_stat(t->kaccel, alg, counter, &v), 0);
    return v;
}

const char *kactest_route(struct kactest *t, const char *alg)
{
    static char driver[128];
    int r = kactest_provider_route(t->kaccel, alg, driver, sizeof(driver));

    assert_true(r >= 0);
    return r > 0 ? driver : NULL;
}

void kactest_rand(uint64_t *s, unsigned char *buf, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        buf[i] = (unsigned char)(*s >> 24);
    }
}

uint64_t kactest_seed(void)
{
    const char *e = getenv("KACCEL_TEST_SEED");
    uint64_t s = e != NULL ? strtoull(e, NULL, 0) : (uint64_t)time(NULL) ^ (uint64_t)getpid();

    if (s == 0)
        s = 1;
    fprintf(stderr, "# seed %llu (KACCEL_TEST_SEED to repeat)\n", (unsigned long long)s);
    return s;
}

size_t kactest_unhex(const char *h, unsigned char *out)
{
    size_t n = strlen(h) / 2, i;

    for (i = 0; i < n; i++) {
        unsigned v = 0;

        sscanf(h + 2 * i, "%2x", &v);
        out[i] = (unsigned char)v;
    }
    return n;
}

const char *kactest_dpdk_device(void)
{
    const char *d = getenv("KACTEST_DPDK_DEVICE");

    return d != NULL && *d != '\0' ? d : "crypto_aesni_mb0";
}

const char *const *kactest_dpdk_lines(const char *const *extra)
{
    static char eal[1024], dev[128];
    static const char *lines[64];
    const char *dir = getenv("KACTEST_DPDK_PMD_DIR"), *d = kactest_dpdk_device();
    const char *given = getenv("KACTEST_DPDK_EAL");
    const char *pmd = strncmp(d, "crypto_openssl", 14) == 0 ? "librte_crypto_openssl.so"
                      : strncmp(d, "crypto_null", 11) == 0  ? "librte_crypto_null.so"
                                                            : "librte_crypto_ipsec_mb.so";
    char path[512];
    size_t n = 0;

    if (dir == NULL || *dir == '\0')
        dir = "/usr/lib/x86_64-linux-gnu/dpdk/pmds-23.0";
    snprintf(path, sizeof(path), "%s/%s", dir, pmd);
    if (given != NULL && *given != '\0')
        /* a device the caller set up (e.g. a PCI function): its EAL arguments as given */
        snprintf(eal, sizeof(eal), "kaccel-dpdk-eal = %s", given);
    else if (access(path, R_OK) != 0)
        return NULL;
    else
        snprintf(eal, sizeof(eal),
                 "kaccel-dpdk-eal = --no-huge --no-pci --no-shconf -m 256 -d %s --vdev=%s", path,
                 d);
    snprintf(dev, sizeof(dev), "kaccel-dpdk-devices = %s", d);
    lines[n++] = "kaccel-backends = dpdk";
    lines[n++] = eal;
    lines[n++] = dev;
    for (; extra != NULL && *extra != NULL && n < 63; extra++)
        lines[n++] = *extra;
    lines[n] = NULL;
    return lines;
}
