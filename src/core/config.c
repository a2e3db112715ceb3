#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <kaccel/kaccel.h>

const char *const kac_config_keys[] = {
    KACCEL_CNF_BACKENDS,
    KACCEL_CNF_MIN_OFFLOAD,
    KACCEL_CNF_MIN_OFFLOAD_ALGS,
    KACCEL_CNF_MIN_OFFLOAD_ASYNC,
    KACCEL_CNF_MIN_OFFLOAD_ASYNC_ALGS,
    KACCEL_CNF_AFALG_DRIVERS,
    KACCEL_CNF_ALGORITHMS,
    KACCEL_CNF_QUEUE_DEPTH,
    KACCEL_CNF_DPDK_EAL,
    KACCEL_CNF_DPDK_DEVICES,
    KACCEL_CNF_DPDK_QUEUE_PAIRS,
    KACCEL_CNF_DPDK_BURST,
    KACCEL_CNF_DPDK_TIMEOUT,
    KACCEL_CNF_TUNED,
    NULL,
};

static const char *const backend_names[KAC_BACKEND_COUNT] = {
    [KAC_BACKEND_AFALG] = "afalg",
    [KAC_BACKEND_DPDK] = "dpdk",
};

const char *kac_backend_name(enum kac_backend_id id)
{
    return (unsigned)id < KAC_BACKEND_COUNT ? backend_names[id] : "?";
}

int kac_backend_built(enum kac_backend_id id)
{
    switch (id) {
    case KAC_BACKEND_AFALG:
        return 1;
    case KAC_BACKEND_DPDK:
#ifdef KACCEL_HAVE_DPDK
        return 1;
#else
        return 0;
#endif
    default:
        return 0;
    }
}

void kac_config_defaults(struct kac_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->backends[0] = KAC_BACKEND_AFALG;
    cfg->nbackends = 1;
    cfg->min_offload = KAC_DEFAULT_MIN_OFFLOAD;
    cfg->queue_depth = KAC_DEFAULT_QUEUE_DEPTH;
}

int kac_parse_size(const char *s, size_t *out)
{
    unsigned long long v = 0, mul = 1;
    const char *p = s;

    while (isspace((unsigned char)*p))
        p++;
    if (!isdigit((unsigned char)*p))
        return 0;
    for (; isdigit((unsigned char)*p); p++) {
        unsigned d = (unsigned)(*p - '0');

        if (v > (ULLONG_MAX - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    if (*p != '\0' && !isspace((unsigned char)*p)) {
        static const struct { const char *sfx; unsigned long long mul; } sfx[] = {
            { "k", 1024ULL }, { "K", 1024ULL }, { "KiB", 1024ULL },
            { "m", 1024ULL * 1024 }, { "M", 1024ULL * 1024 }, { "MiB", 1024ULL * 1024 },
        };
        size_t i, n;

        for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
            n = strlen(sfx[i].sfx);
            if (strncmp(p, sfx[i].sfx, n) == 0
                && (p[n] == '\0' || isspace((unsigned char)p[n])))
                break;
        }
        if (i == sizeof(sfx) / sizeof(sfx[0]))
            return 0;
        mul = sfx[i].mul;
        p += n;
    }
    while (isspace((unsigned char)*p))
        p++;
    if (*p != '\0' || v > SIZE_MAX / mul)
        return 0;
    *out = (size_t)(v * mul);
    return 1;
}

/*
 * Calls fn on each comma-separated item of value, trimmed.  An empty item is
 * an error.  Stops at the first failing item.
 */
static int for_each_item(const char *key, const char *value, char *err, size_t errlen,
                         int (*fn)(void *arg, const char *item, size_t len, char *err,
                                   size_t errlen),
                         void *arg)
{
    const char *p = value;

    for (;;) {
        const char *start, *end;

        while (isspace((unsigned char)*p))
            p++;
        start = p;
        while (*p != '\0' && *p != ',')
            p++;
        end = p;
        while (end > start && isspace((unsigned char)end[-1]))
            end--;
        if (end == start) {
            snprintf(err, errlen, "%s = \"%s\": empty item in list", key, value);
            return 0;
        }
        if (!fn(arg, start, (size_t)(end - start), err, errlen))
            return 0;
        if (*p == '\0')
            return 1;
        p++;
    }
}

struct list_ctx {
    struct kac_config *cfg;
    const char *key, *value;
    size_t *alg_min;            /* kaccel-min-offload(-async)-algs: the values... */
    unsigned char *alg_min_set; /* ...and which are given */
};

static int add_driver(void *arg, const char *item, size_t len, char *err, size_t errlen)
{
    struct list_ctx *lc = arg;
    struct kac_config *c = lc->cfg;

    if (c->ndrivers == KAC_MAX_DRIVERS || len >= sizeof(c->driver_list[0])) {
        snprintf(err, errlen, "%s = \"%s\": too many or too long driver names",
                 lc->key, lc->value);
        return 0;
    }
    memcpy(c->driver_list[c->ndrivers], item, len);
    c->driver_list[c->ndrivers++][len] = '\0';
    return 1;
}

static int set_drivers(struct kac_config *cfg, const char *key, const char *value, char *err,
                       size_t errlen)
{
    struct kac_config tmp = *cfg;
    struct list_ctx lc = { &tmp, key, value, NULL, NULL };

    if (strcasecmp(value, "auto") == 0) {
        cfg->drivers = KAC_DRIVERS_AUTO;
        return 1;
    }
    if (strcasecmp(value, "any") == 0) {
        cfg->drivers = KAC_DRIVERS_ANY;
        return 1;
    }
    tmp.ndrivers = 0;
    if (!for_each_item(key, value, err, errlen, add_driver, &lc))
        return 0;
    tmp.drivers = KAC_DRIVERS_LIST;
    *cfg = tmp;
    return 1;
}

/* Marks the algorithms an item names: an OpenSSL name or alias, or HMAC / CMAC. */
static int mark_alg(const char *key, const char *value, const char *item, size_t len,
                    unsigned char *mark, char *err, size_t errlen)
{
    char name[64];
    const struct kac_alg *a;
    size_t i;
    int any = 0;

    if (len >= sizeof(name)) {
        snprintf(err, errlen, "%s = \"%s\": unknown algorithm \"%.*s\"", key, value,
                 (int)len, item);
        return 0;
    }
    memcpy(name, item, len);
    name[len] = '\0';
    if (strcasecmp(name, "HMAC") == 0 || strcasecmp(name, "CMAC") == 0) {
        enum kac_mode m = strcasecmp(name, "HMAC") == 0 ? KAC_MODE_HMAC : KAC_MODE_CMAC;

        for (i = 0; i < KAC_ALG_COUNT; i++)
            if (kac_algs[i].mode == m)
                mark[i] = 1, any = 1;
        return any;
    }
    a = kac_alg_by_name(name);
    if (a == NULL) {
        snprintf(err, errlen, "%s = \"%s\": unknown algorithm \"%s\"", key, value, name);
        return 0;
    }
    mark[a->id] = 1;
    return 1;
}

static int add_alg(void *arg, const char *item, size_t len, char *err, size_t errlen)
{
    struct list_ctx *lc = arg;

    return mark_alg(lc->key, lc->value, item, len, lc->cfg->alg_listed, err, errlen);
}

static int set_algorithms(struct kac_config *cfg, const char *key, const char *value,
                          char *err, size_t errlen)
{
    struct kac_config tmp = *cfg;
    struct list_ctx lc = { &tmp, key, value, NULL, NULL };

    if (strcasecmp(value, "auto") == 0) {
        cfg->algs = KAC_ALGS_AUTO;
        return 1;
    }
    if (strcasecmp(value, "all") == 0) {
        cfg->algs = KAC_ALGS_ALL;
        return 1;
    }
    memset(tmp.alg_listed, 0, sizeof(tmp.alg_listed));
    if (!for_each_item(key, value, err, errlen, add_alg, &lc))
        return 0;
    tmp.algs = KAC_ALGS_LIST;
    *cfg = tmp;
    return 1;
}

/* One "NAME:SIZE" item of kaccel-min-offload-algs or kaccel-min-offload-async-algs. */
static int add_alg_min(void *arg, const char *item, size_t len, char *err, size_t errlen)
{
    struct list_ctx *lc = arg;
    unsigned char mark[KAC_ALG_COUNT] = { 0 };
    const char *colon = memchr(item, ':', len);
    char size[32];
    size_t v, slen, i;

    if (colon == NULL) {
        snprintf(err, errlen, "%s = \"%s\": \"%.*s\" is not ALGORITHM:BYTES", lc->key,
                 lc->value, (int)len, item);
        return 0;
    }
    slen = len - (size_t)(colon + 1 - item);
    if (slen >= sizeof(size)) {
        snprintf(err, errlen, "%s = \"%s\": bad byte count in \"%.*s\"", lc->key, lc->value,
                 (int)len, item);
        return 0;
    }
    memcpy(size, colon + 1, slen);
    size[slen] = '\0';
    if (!kac_parse_size(size, &v)) {
        snprintf(err, errlen, "%s = \"%s\": \"%s\" is not a byte count", lc->key, lc->value,
                 size);
        return 0;
    }
    while (colon > item && isspace((unsigned char)colon[-1]))
        colon--;
    if (!mark_alg(lc->key, lc->value, item, (size_t)(colon - item), mark, err, errlen))
        return 0;
    for (i = 0; i < KAC_ALG_COUNT; i++)
        if (mark[i]) {
            lc->alg_min[i] = v;
            lc->alg_min_set[i] = 1;
        }
    return 1;
}

/* async 0: kaccel-min-offload-algs; 1: kaccel-min-offload-async-algs. */
static int set_min_offload_algs(struct kac_config *cfg, const char *key, const char *value,
                                int async, char *err, size_t errlen)
{
    struct kac_config tmp = *cfg;
    struct list_ctx lc = { &tmp, key, value,
                           async ? tmp.alg_min_offload_async : tmp.alg_min_offload,
                           async ? tmp.alg_min_async_set : tmp.alg_min_set };

    memset(lc.alg_min_set, 0, KAC_ALG_COUNT);
    if (!for_each_item(key, value, err, errlen, add_alg_min, &lc))
        return 0;
    *cfg = tmp;
    return 1;
}

static int add_dpdk_device(void *arg, const char *item, size_t len, char *err, size_t errlen)
{
    struct list_ctx *lc = arg;
    struct kac_config *c = lc->cfg;

    if (c->ndpdk_devices == KAC_MAX_DPDK_DEVICES || len >= sizeof(c->dpdk_devices[0])) {
        snprintf(err, errlen, "%s = \"%s\": too many (max %d) or too long device names",
                 lc->key, lc->value, KAC_MAX_DPDK_DEVICES);
        return 0;
    }
    memcpy(c->dpdk_devices[c->ndpdk_devices], item, len);
    c->dpdk_devices[c->ndpdk_devices++][len] = '\0';
    return 1;
}

static int set_dpdk_devices(struct kac_config *cfg, const char *key, const char *value,
                            char *err, size_t errlen)
{
    struct kac_config tmp = *cfg;
    struct list_ctx lc = { &tmp, key, value, NULL, NULL };

    tmp.ndpdk_devices = 0;
    if (strcasecmp(value, "all") == 0) {
        *cfg = tmp;
        return 1;
    }
    if (!for_each_item(key, value, err, errlen, add_dpdk_device, &lc))
        return 0;
    *cfg = tmp;
    return 1;
}

static int set_count(unsigned *dst, const char *key, const char *value, size_t max, char *err,
                     size_t errlen, const char *what)
{
    size_t v;

    if (!kac_parse_size(value, &v) || v < 1 || v > max) {
        snprintf(err, errlen, "%s = \"%s\": not %s from 1 to %zu", key, value, what, max);
        return 0;
    }
    *dst = (unsigned)v;
    return 1;
}

/*
 * kaccel-dpdk-eal is split like a shell would split it without expansions:
 * at blanks, with '...' or "..." keeping blanks in one argument.  (OpenSSL's
 * configuration parser removes quotes itself: in openssl.cnf they are written
 * \" or \'.)  Returns the argument count, or -1 for an unterminated quote.
 */
static int count_eal_args(const char *s)
{
    int n = 0;

    for (;;) {
        char q = 0;

        while (isspace((unsigned char)*s))
            s++;
        if (*s == '\0')
            return n;
        n++;
        for (; *s != '\0' && (q || !isspace((unsigned char)*s)); s++) {
            if (!q && (*s == '"' || *s == '\''))
                q = *s;
            else if (q && *s == q)
                q = 0;
        }
        if (q)
            return -1;
    }
}

static int set_dpdk_eal(struct kac_config *cfg, const char *key, const char *value, char *err,
                        size_t errlen)
{
    size_t n = strlen(value);
    /* A long value is shown cut, so that the reason still fits the message. */
    int shown = n > 100 ? 100 : (int)n;
    const char *cut = n > 100 ? "..." : "";
    int args;

    while (n > 0 && isspace((unsigned char)value[n - 1]))
        n--;
    if (n == 0 || n >= sizeof(cfg->dpdk_eal)) {
        snprintf(err, errlen, "%s = \"%.*s%s\": %s", key, shown, value, cut,
                 n == 0 ? "empty EAL argument list" : "EAL arguments too long (max 1023 bytes)");
        return 0;
    }
    args = count_eal_args(value);
    if (args < 0 || args > KAC_MAX_DPDK_EAL_ARGS) {
        if (args < 0)
            snprintf(err, errlen, "%s = \"%.*s%s\": unterminated quote", key, shown, value, cut);
        else
            snprintf(err, errlen, "%s = \"%.*s%s\": too many EAL arguments (%d, max %d)", key,
                     shown, value, cut, args, KAC_MAX_DPDK_EAL_ARGS);
        return 0;
    }
    memcpy(cfg->dpdk_eal, value, n);
    cfg->dpdk_eal[n] = '\0';
    return 1;
}

/*
 * The origin of a threshold given by a per-algorithm key (alg_set) or a
 * global one (set), or NULL when neither is: a per-algorithm value next to
 * kaccel-tuned is kaccel tune's.
 */
static const char *origin_of(const struct kac_config *cfg, int alg_set, const char *alg_key,
                             int set, const char *key, char *buf, size_t len)
{
    if (alg_set && cfg->tuned[0] != '\0')
        snprintf(buf, len, "kaccel tune %s", cfg->tuned);
    else if (alg_set || set)
        snprintf(buf, len, "%s", alg_set ? alg_key : key);
    else
        return NULL;
    return buf;
}

const char *kac_config_min_offload_origin(const struct kac_config *cfg, enum kac_alg_id alg,
                                          char *buf, size_t len)
{
    if (origin_of(cfg, cfg->alg_min_set[alg], KACCEL_CNF_MIN_OFFLOAD_ALGS, cfg->min_offload_set,
                  KACCEL_CNF_MIN_OFFLOAD, buf, len) == NULL)
        snprintf(buf, len, "default");
    return buf;
}

size_t kac_config_min_offload(const struct kac_config *cfg, enum kac_alg_id alg)
{
    return cfg->alg_min_set[alg] ? cfg->alg_min_offload[alg] : cfg->min_offload;
}

const char *kac_config_min_offload_async_origin(const struct kac_config *cfg,
                                                enum kac_alg_id alg, char *buf, size_t len)
{
    if (origin_of(cfg, cfg->alg_min_async_set[alg], KACCEL_CNF_MIN_OFFLOAD_ASYNC_ALGS,
                  cfg->min_offload_async_set, KACCEL_CNF_MIN_OFFLOAD_ASYNC, buf, len) == NULL)
        return kac_config_min_offload_origin(cfg, alg, buf, len);
    return buf;
}

size_t kac_config_min_offload_async(const struct kac_config *cfg, enum kac_alg_id alg)
{
    if (cfg->alg_min_async_set[alg])
        return cfg->alg_min_offload_async[alg];
    if (cfg->min_offload_async_set)
        return cfg->min_offload_async;
    return kac_config_min_offload(cfg, alg);
}

static int set_backends(struct kac_config *cfg, const char *value, char *err, size_t errlen)
{
    enum kac_backend_id ids[KAC_BACKEND_COUNT];
    unsigned n = 0;
    const char *p = value;

    while (isspace((unsigned char)*p))
        p++;
    if (strcasecmp(p, "none") == 0) {
        cfg->nbackends = 0;
        return 1;
    }
    for (;;) {
        const char *start, *end;
        size_t len;
        unsigned id, j;

        while (isspace((unsigned char)*p))
            p++;
        start = p;
        while (*p != '\0' && *p != ',')
            p++;
        end = p;
        while (end > start && isspace((unsigned char)end[-1]))
            end--;
        len = (size_t)(end - start);
        if (len == 0) {
            snprintf(err, errlen, "%s = \"%s\": empty backend name in list",
                     KACCEL_CNF_BACKENDS, value);
            return 0;
        }
        for (id = 0; id < KAC_BACKEND_COUNT; id++)
            if (strlen(backend_names[id]) == len
                && strncasecmp(start, backend_names[id], len) == 0)
                break;
        if (id == KAC_BACKEND_COUNT) {
            snprintf(err, errlen,
                     "%s = \"%s\": unknown backend \"%.*s\" (known: afalg, dpdk, none)",
                     KACCEL_CNF_BACKENDS, value, (int)len, start);
            return 0;
        }
        if (!kac_backend_built((enum kac_backend_id)id)) {
            snprintf(err, errlen,
                     "%s = \"%s\": backend \"%s\" is not built into this kaccel",
                     KACCEL_CNF_BACKENDS, value, backend_names[id]);
            return 0;
        }
        for (j = 0; j < n; j++)
            if (ids[j] == (enum kac_backend_id)id) {
                snprintf(err, errlen, "%s = \"%s\": backend \"%s\" listed twice",
                         KACCEL_CNF_BACKENDS, value, backend_names[id]);
                return 0;
            }
        ids[n++] = (enum kac_backend_id)id;
        if (*p == '\0')
            break;
        p++; /* ',' */
    }
    memcpy(cfg->backends, ids, n * sizeof(ids[0]));
    cfg->nbackends = n;
    return 1;
}

int kac_config_set(struct kac_config *cfg, const char *key, const char *value,
                   char *err, size_t errlen)
{
    if (errlen > 0)
        err[0] = '\0';
    if (value == NULL)
        value = "";
    if (strcmp(key, KACCEL_CNF_BACKENDS) == 0)
        return set_backends(cfg, value, err, errlen);
    if (strcmp(key, KACCEL_CNF_MIN_OFFLOAD) == 0
        || strcmp(key, KACCEL_CNF_MIN_OFFLOAD_ASYNC) == 0) {
        int async = strcmp(key, KACCEL_CNF_MIN_OFFLOAD_ASYNC) == 0;
        size_t v;

        if (!kac_parse_size(value, &v)) {
            snprintf(err, errlen,
                     "%s = \"%s\": not a byte count (digits with optional k, K, KiB, M, MiB)",
                     key, value);
            return 0;
        }
        if (async) {
            cfg->min_offload_async = v;
            cfg->min_offload_async_set = 1;
        } else {
            cfg->min_offload = v;
            cfg->min_offload_set = 1;
        }
        return 1;
    }
    while (isspace((unsigned char)*value))
        value++;
    if (strcmp(key, KACCEL_CNF_MIN_OFFLOAD_ALGS) == 0)
        return set_min_offload_algs(cfg, key, value, 0, err, errlen);
    if (strcmp(key, KACCEL_CNF_MIN_OFFLOAD_ASYNC_ALGS) == 0)
        return set_min_offload_algs(cfg, key, value, 1, err, errlen);
    if (strcmp(key, KACCEL_CNF_AFALG_DRIVERS) == 0)
        return set_drivers(cfg, key, value, err, errlen);
    if (strcmp(key, KACCEL_CNF_ALGORITHMS) == 0)
        return set_algorithms(cfg, key, value, err, errlen);
    if (strcmp(key, KACCEL_CNF_QUEUE_DEPTH) == 0)
        return set_count(&cfg->queue_depth, key, value, KAC_MAX_QUEUE_DEPTH, err, errlen,
                         "a request count");
    if (strcmp(key, KACCEL_CNF_DPDK_EAL) == 0)
        return set_dpdk_eal(cfg, key, value, err, errlen);
    if (strcmp(key, KACCEL_CNF_TUNED) == 0) {
        size_t n = strlen(value);

        while (n > 0 && isspace((unsigned char)value[n - 1]))
            n--;
        if (n == 0 || n >= sizeof(cfg->tuned)) {
            snprintf(err, errlen, "%s = \"%.64s\": %s", key, value,
                     n == 0 ? "empty" : "longer than 255 characters");
            return 0;
        }
        memcpy(cfg->tuned, value, n);
        cfg->tuned[n] = '\0';
        return 1;
    }
    if (strcmp(key, KACCEL_CNF_DPDK_DEVICES) == 0)
        return set_dpdk_devices(cfg, key, value, err, errlen);
    if (strcmp(key, KACCEL_CNF_DPDK_QUEUE_PAIRS) == 0)
        return set_count(&cfg->dpdk_queue_pairs, key, value, 64, err, errlen,
                         "a queue pair count");
    if (strcmp(key, KACCEL_CNF_DPDK_BURST) == 0)
        return set_count(&cfg->dpdk_burst, key, value, 256, err, errlen, "a burst size");
    if (strcmp(key, KACCEL_CNF_DPDK_TIMEOUT) == 0)
        return set_count(&cfg->dpdk_timeout_ms, key, value, 600000, err, errlen,
                         "a time in milliseconds");
    snprintf(err, errlen, "%s = \"%s\": unknown key", key, value);
    return 0;
}

int kac_config_check(const struct kac_config *cfg, char *err, size_t errlen)
{
    unsigned i;

    if (errlen > 0)
        err[0] = '\0';
    for (i = 0; i < cfg->nbackends; i++)
        if (cfg->backends[i] == KAC_BACKEND_DPDK && cfg->dpdk_eal[0] == '\0') {
            char b[64];

            kac_config_backends_str(cfg, b, sizeof(b));
            snprintf(err, errlen, "%s = \"%s\": dpdk needs %s (the EAL arguments)",
                     KACCEL_CNF_BACKENDS, b, KACCEL_CNF_DPDK_EAL);
            return 0;
        }
    return 1;
}

int kac_config_backends_str(const struct kac_config *cfg, char *buf, size_t len)
{
    int n = 0;
    unsigned i;

    if (cfg->nbackends == 0)
        return snprintf(buf, len, "none");
    if (len > 0)
        buf[0] = '\0';
    for (i = 0; i < cfg->nbackends; i++) {
        int r = snprintf(buf + ((size_t)n < len ? (size_t)n : len),
                         (size_t)n < len ? len - (size_t)n : 0, "%s%s", i ? "," : "",
                         kac_backend_name(cfg->backends[i]));
        n += r;
    }
    return n;
}
