#include "kcrypto.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Suffixes and markers of CPU implementations across architectures. */
static const char *const sw_suffixes[] = {
    "-generic", "_generic", "-aesni", "-avx", "-avx2", "-avx512", "-avx10", "-vaes",
    "-ssse3", "-sse2", "-sse3", "-sse4", "-ni", "-clmul", "-clmulni", "-pclmul", "-x86_64", "-x86",
    "-asm", "-lib", "-ce", "-neon", "-arm", "-arm64", "-bs", "-s390", "-vmx", "-p8",
    "-p10", "-ppc", "-spe", "-riscv", "-zvkned", "-zvknha", "-zvksed", "-mips",
    "-sparc64", "-octeon", "-simd", "-fixed-time", "-scalar", "-padlock",
};
static const char *const sw_markers[] = {
    "generic", "aesni", "fixed-time", "cryptd", "simd", "avx", "neon",
};
/* Prefixes: internal SIMD helpers and POWER vector implementations. */
static const char *const sw_prefixes[] = { "__", "p8_", "p10_" };
/* Kernel templates: composed on the CPU even around an off-CPU block cipher. */
static const char *const templates[] = {
    "cbc", "ecb", "ctr", "xts", "cts", "lrw", "pcbc", "cfb", "ofb", "gcm", "gcm_base",
    "ccm", "ccm_base", "rfc4106", "rfc4543", "rfc4309", "rfc7539", "rfc7539esp",
    "rfc3686", "hmac", "cmac", "xcbc", "vmac64", "authenc", "authencesn", "essiv",
    "seqiv", "echainiv", "pcrypt", "cryptd", "adiantum", "hctr2", "hctr2_base",
    "xctr", "chacha20poly1305", "ghash", "polyval",
};

static int ends_with(const char *s, size_t len, const char *sfx)
{
    size_t n = strlen(sfx);

    return len >= n && strncmp(s + len - n, sfx, n) == 0;
}

static int token_is_software(const char *tok, size_t len)
{
    size_t i;
    char buf[128];

    if (len == 0)
        return 0;
    if (len >= sizeof(buf))
        len = sizeof(buf) - 1;
    memcpy(buf, tok, len);
    buf[len] = '\0';
    for (i = 0; i < sizeof(sw_prefixes) / sizeof(sw_prefixes[0]); i++)
        if (strncmp(buf, sw_prefixes[i], strlen(sw_prefixes[i])) == 0)
            return 1;
    for (i = 0; i < sizeof(sw_suffixes) / sizeof(sw_suffixes[0]); i++)
        if (ends_with(buf, len, sw_suffixes[i]))
            return 1;
    for (i = 0; i < sizeof(sw_markers) / sizeof(sw_markers[0]); i++)
        if (strstr(buf, sw_markers[i]) != NULL)
            return 1;
    return 0;
}

int kac_kdriver_is_hardware(const char *driver)
{
    const char *p = driver, *paren = strchr(driver, '(');
    size_t i;

    if (driver == NULL || *driver == '\0')
        return 0;
    if (paren != NULL) {
        size_t outer = (size_t)(paren - driver);

        for (i = 0; i < sizeof(templates) / sizeof(templates[0]); i++)
            if (strlen(templates[i]) == outer && strncmp(driver, templates[i], outer) == 0)
                return 0;
    }
    while (*p != '\0') {
        size_t len = strcspn(p, "(),");

        if (token_is_software(p, len))
            return 0;
        p += len;
        if (*p != '\0')
            p++;
    }
    return 1;
}

static char *trim(char *s)
{
    char *e;

    while (isspace((unsigned char)*s))
        s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

static void copy_field(char *dst, size_t dstlen, const char *src)
{
    size_t n = strlen(src);

    if (n >= dstlen)
        n = dstlen - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

int kac_kcrypto_parse(FILE *f, struct kac_kcrypto *out)
{
    char line[512];
    size_t cap = 0;
    struct kac_kdriver *cur = NULL;

    out->v = NULL;
    out->n = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        char *colon = strchr(line, ':'), *key, *val;

        if (colon == NULL) {
            cur = NULL; /* blank line ends an entry */
            continue;
        }
        *colon = '\0';
        key = trim(line);
        val = trim(colon + 1);
        if (strcmp(key, "name") == 0) {
            if (out->n == cap) {
                size_t ncap = cap ? cap * 2 : 64;
                struct kac_kdriver *nv = realloc(out->v, ncap * sizeof(*nv));

                if (nv == NULL) {
                    kac_kcrypto_free(out);
                    return 0;
                }
                out->v = nv;
                cap = ncap;
            }
            cur = &out->v[out->n++];
            memset(cur, 0, sizeof(*cur));
            copy_field(cur->name, sizeof(cur->name), val);
            cur->selftest_ok = 1;
            continue;
        }
        if (cur == NULL)
            continue;
        if (strcmp(key, "driver") == 0) {
            copy_field(cur->driver, sizeof(cur->driver), val);
            cur->hardware = kac_kdriver_is_hardware(cur->driver);
        } else if (strcmp(key, "module") == 0) {
            copy_field(cur->module, sizeof(cur->module), val);
        } else if (strcmp(key, "type") == 0) {
            copy_field(cur->type, sizeof(cur->type), val);
        } else if (strcmp(key, "priority") == 0) {
            cur->priority = atoi(val);
        } else if (strcmp(key, "async") == 0) {
            cur->async = strcmp(val, "yes") == 0;
        } else if (strcmp(key, "internal") == 0) {
            cur->internal = strcmp(val, "yes") == 0;
        } else if (strcmp(key, "selftest") == 0) {
            cur->selftest_ok = strcmp(val, "passed") == 0;
        }
    }
    return 1;
}

int kac_kcrypto_load(struct kac_kcrypto *out)
{
    const char *path = secure_getenv("KACCEL_PROC_CRYPTO");
    FILE *f = fopen(path != NULL && *path != '\0' ? path : "/proc/crypto", "re");
    int ok;

    out->v = NULL;
    out->n = 0;
    if (f == NULL)
        return 0;
    ok = kac_kcrypto_parse(f, out);
    fclose(f);
    return ok;
}

void kac_kcrypto_free(struct kac_kcrypto *kc)
{
    free(kc->v);
    kc->v = NULL;
    kc->n = 0;
}

static int afalg_type(const char *type)
{
    static const char *const types[] = { "skcipher", "lskcipher", "aead", "shash", "ahash" };
    size_t i;

    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(type, types[i]) == 0)
            return 1;
    return 0;
}

const struct kac_kdriver *kac_kcrypto_best(const struct kac_kcrypto *kc, const char *alg,
                                           int hardware_only)
{
    const struct kac_kdriver *best = NULL;
    size_t i;

    for (i = 0; i < kc->n; i++) {
        const struct kac_kdriver *d = &kc->v[i];

        if (strcmp(d->name, alg) != 0 || d->internal || !d->selftest_ok
            || !afalg_type(d->type) || (hardware_only && !d->hardware))
            continue;
        if (best == NULL || d->priority > best->priority)
            best = d;
    }
    return best;
}
