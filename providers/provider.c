/*
 * kaccel provider entry point: configuration, provider parameters, operation
 * query and teardown.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/proverr.h>
#include <openssl/opensslv.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include <kaccel/kaccel.h>

#include "../src/backend/afalg/uring.h"
#include "../src/backend/dpdk/dpdk.h"
#include "../src/core/error.h"
#include "../src/core/fork.h"
#include "../src/core/log.h"
#include "prov.h"

/* What was built: the OpenSSL and DPDK versions, and the backends compiled in. */
#define KAC_BUILDINFO                                                                  \
    "kaccel " KACCEL_VERSION_STR " (built against " OPENSSL_VERSION_TEXT               \
    KAC_BUILDINFO_DPDK_VERSION "; backends: afalg" KAC_BUILDINFO_DPDK ")"
#ifdef KACCEL_HAVE_DPDK
#define KAC_BUILDINFO_DPDK ", dpdk"
#ifdef KACCEL_DPDK_VERSION
#define KAC_BUILDINFO_DPDK_VERSION " and DPDK " KACCEL_DPDK_VERSION
#else
#define KAC_BUILDINFO_DPDK_VERSION ""
#endif
#else
#define KAC_BUILDINFO_DPDK ""
#define KAC_BUILDINFO_DPDK_VERSION ""
#endif

static OSSL_FUNC_provider_teardown_fn kac_teardown;
static OSSL_FUNC_provider_gettable_params_fn kac_gettable_params;
static OSSL_FUNC_provider_get_params_fn kac_get_params;
static OSSL_FUNC_provider_query_operation_fn kac_query_operation;
static OSSL_FUNC_provider_get_reason_strings_fn kac_get_reason_strings;

static const OSSL_ITEM *reason_strings(void)
{
    static OSSL_ITEM items[] = {
#define KAC_REASON_ITEM(sym, num, str) { num, (void *)str },
        KAC_REASONS(KAC_REASON_ITEM)
#undef KAC_REASON_ITEM
        { 0, NULL },
    };
    return items;
}

static const OSSL_ITEM *kac_get_reason_strings(void *provctx)
{
    return reason_strings();
}

static const OSSL_PARAM *kac_gettable_params(void *provctx)
{
    static const OSSL_PARAM params[] = {
        OSSL_PARAM_DEFN(OSSL_PROV_PARAM_NAME, OSSL_PARAM_UTF8_PTR, NULL, 0),
        OSSL_PARAM_DEFN(OSSL_PROV_PARAM_VERSION, OSSL_PARAM_UTF8_PTR, NULL, 0),
        OSSL_PARAM_DEFN(OSSL_PROV_PARAM_BUILDINFO, OSSL_PARAM_UTF8_PTR, NULL, 0),
        OSSL_PARAM_DEFN(OSSL_PROV_PARAM_STATUS, OSSL_PARAM_INTEGER, NULL, 0),
        OSSL_PARAM_DEFN(KACCEL_PARAM_BACKENDS, OSSL_PARAM_UTF8_STRING, NULL, 0),
        OSSL_PARAM_DEFN(KACCEL_PARAM_MIN_OFFLOAD, OSSL_PARAM_UNSIGNED_INTEGER, NULL, 0),
        OSSL_PARAM_DEFN(KACCEL_PARAM_STATS, OSSL_PARAM_UTF8_STRING, NULL, 0),
        OSSL_PARAM_DEFN(KACCEL_PARAM_ROUTES, OSSL_PARAM_UTF8_STRING, NULL, 0),
        OSSL_PARAM_DEFN(KACCEL_PARAM_DPDK, OSSL_PARAM_UTF8_STRING, NULL, 0),
        OSSL_PARAM_DEFN(KACCEL_PARAM_THRESHOLDS, OSSL_PARAM_UTF8_STRING, NULL, 0),
        OSSL_PARAM_DEFN(KACCEL_PARAM_MIN_OFFLOAD_ASYNC, OSSL_PARAM_UNSIGNED_INTEGER, NULL, 0),
        OSSL_PARAM_DEFN(KACCEL_PARAM_THRESHOLDS_ASYNC, OSSL_PARAM_UTF8_STRING, NULL, 0),
        OSSL_PARAM_END,
    };
    return params;
}

/*
 * Set once any instance in this process lists dpdk in kaccel-backends: the
 * counters then carry the DPDK backend's line.
 */
static int dpdk_listed;

/* "dpdk ops=N bursts_enq=N ..." with a newline; snprintf semantics. */
static size_t dpdk_counters(char *buf, size_t len)
{
    struct kac_dpdk_stats d;
    int r;

    kac_dpdk_stats(&d);
    r = snprintf(buf, len,
                 "dpdk ops=%llu bursts_enq=%llu bursts_deq=%llu burst_max=%llu pauses=%llu "
                 "full=%llu op_errors=%llu qp_shared=%llu timeouts=%llu\n",
                 d.ops, d.bursts_enq, d.bursts_deq, d.burst_max, d.pauses, d.full, d.op_errors,
                 d.qp_shared, d.timeouts);
    return r > 0 ? (size_t)r : 0;
}

/*
 * The algorithm counters, then the io_uring queue's ("io_uring requests=N
 * submits=N ..."), then the DPDK backend's when it is configured.
 */
static size_t stats_text(void *arg, char *buf, size_t len)
{
    struct kac_uq_stats q;
    size_t n = kac_stats_format(buf, len);
    int r;

    kac_uq_stats(&q);
    r = snprintf(n < len ? buf + n : NULL, n < len ? len - n : 0,
                 "io_uring requests=%llu submits=%llu reaps=%llu pauses=%llu batch_max=%llu\n",
                 q.requests, q.submits, q.reaps, q.pauses, q.batch_max);
    n += r > 0 ? (size_t)r : 0;
    if (__atomic_load_n(&dpdk_listed, __ATOMIC_RELAXED))
        n += dpdk_counters(n < len ? buf + n : NULL, n < len ? len - n : 0);
    return n;
}

static int dpdk_in_backends(const struct kac_config *cfg)
{
    unsigned i;

    for (i = 0; i < cfg->nbackends; i++)
        if (cfg->backends[i] == KAC_BACKEND_DPDK)
            return 1;
    return 0;
}

/*
 * The kaccel-dpdk parameter: the backend's description (EAL state, devices,
 * PMDs, queue pairs, algorithms per device; asking brings the EAL up in this
 * process when DPDK is configured), then its counters.
 */
static size_t dpdk_text(void *arg, char *buf, size_t len)
{
    const struct kac_prov *prov = arg;
    size_t n;

    if (dpdk_in_backends(&prov->cfg) || !kac_backend_built(KAC_BACKEND_DPDK)) {
        /* kac_dpdk_describe() needs a real buffer even to measure. */
        char one[1];

        n = kac_dpdk_describe(len > 0 ? buf : one, len > 0 ? len : sizeof(one), 1);
    } else {
        int r = snprintf(buf, len, "dpdk: off (not in %s)\n", KACCEL_CNF_BACKENDS);

        n = r > 0 ? (size_t)r : 0;
    }
    return n + dpdk_counters(n < len ? buf + n : NULL, n < len ? len - n : 0);
}

/*
 * Sets a utf8 parameter from a formatter with snprintf semantics.  The text
 * may grow between measuring and writing (counters move): measure again.
 */
static int set_text(OSSL_PARAM *p, size_t (*fmt)(void *arg, char *buf, size_t len), void *arg)
{
    size_t need = fmt(arg, NULL, 0) + 256, got;
    char *buf = NULL;
    int ok, tries;

    for (tries = 0; tries < 4; tries++) {
        char *nb = realloc(buf, need);

        if (nb == NULL)
            break;
        buf = nb;
        got = fmt(arg, buf, need);
        if (got < need) {
            ok = OSSL_PARAM_set_utf8_string(p, buf);
            free(buf);
            return ok;
        }
        need = got + 256;
    }
    free(buf);
    return 0;
}

/*
 * One line per algorithm: "<name> <backend:implementation|-> <min-offload>
 * <registered> <note>".  The routes are the configuration's, with the DPDK
 * backend's devices once its EAL is up in this process.
 */
/*
 * "<name> <bytes> <origin>" per algorithm: synchronous operations
 * (KACCEL_PARAM_THRESHOLDS), or inside ASYNC jobs (KACCEL_PARAM_THRESHOLDS_ASYNC).
 */
static size_t thresholds_lines(const struct kac_prov *prov, int async, char *buf, size_t len)
{
    size_t n = 0;
    int i;

    for (i = 0; i < KAC_ALG_COUNT; i++) {
        char origin[300];
        enum kac_alg_id a = (enum kac_alg_id)i;
        int r = snprintf(n < len ? buf + n : NULL, n < len ? len - n : 0, "%s %zu %s\n",
                         kac_algs[i].name,
                         async ? prov->router.min_offload_async[i] : prov->router.min_offload[i],
                         async ? kac_config_min_offload_async_origin(&prov->cfg, a, origin,
                                                                     sizeof(origin))
                               : kac_config_min_offload_origin(&prov->cfg, a, origin,
                                                               sizeof(origin)));

        n += r > 0 ? (size_t)r : 0;
    }
    return n;
}

static size_t thresholds_text(void *arg, char *buf, size_t len)
{
    return thresholds_lines(arg, 0, buf, len);
}

static size_t thresholds_async_text(void *arg, char *buf, size_t len)
{
    return thresholds_lines(arg, 1, buf, len);
}

static size_t routes_text(void *arg, char *buf, size_t len)
{
    const struct kac_prov *prov = arg;
    struct kac_router *r = malloc(sizeof(*r));
    size_t n = 0, i;

    if (r == NULL)
        return 0;
    kac_router_current(&prov->router, r);
    if (len > 0)
        buf[0] = '\0';
    for (i = 0; i < KAC_ALG_COUNT; i++) {
        const char *note = NULL;
        char route[160];
        unsigned b;
        int w;

        kac_route_describe(r, (enum kac_alg_id)i, route, sizeof(route));
        /* The note of the backend routed to, else the first backend's that has one. */
        for (b = 0; b < r->cfg.nbackends; b++) {
            const struct kac_route_info *ri = &r->info[r->cfg.backends[b]][i];

            if (ri->usable) {
                note = ri->note;
                break;
            }
            if (note == NULL && ri->note[0])
                note = ri->note;
        }
        w = snprintf(n < len ? buf + n : NULL, n < len ? len - n : 0, "%s %s %zu %d %s\n",
                     kac_algs[i].name, route, r->min_offload[i], r->registered[i],
                     note != NULL && note[0] ? note : "-");
        n += w > 0 ? (size_t)w : 0;
    }
    free(r);
    return n;
}

static int kac_get_params(void *provctx, OSSL_PARAM params[])
{
    struct kac_prov *prov = provctx;
    OSSL_PARAM *p;

    p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_NAME);
    if (p != NULL && !OSSL_PARAM_set_utf8_ptr(p, KACCEL_PROVIDER_NAME))
        return 0;
    p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_VERSION);
    if (p != NULL && !OSSL_PARAM_set_utf8_ptr(p, KACCEL_VERSION_STR))
        return 0;
    p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_BUILDINFO);
    if (p != NULL && !OSSL_PARAM_set_utf8_ptr(p, KAC_BUILDINFO))
        return 0;
    p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_STATUS);
    if (p != NULL && !OSSL_PARAM_set_int(p, prov->swctx != NULL))
        return 0;
    p = OSSL_PARAM_locate(params, KACCEL_PARAM_BACKENDS);
    if (p != NULL) {
        char buf[64];

        kac_config_backends_str(&prov->cfg, buf, sizeof(buf));
        if (!OSSL_PARAM_set_utf8_string(p, buf))
            return 0;
    }
    p = OSSL_PARAM_locate(params, KACCEL_PARAM_MIN_OFFLOAD);
    if (p != NULL && !OSSL_PARAM_set_size_t(p, prov->cfg.min_offload))
        return 0;
    /* Before the routes: describing DPDK brings its EAL up, which names its devices. */
    p = OSSL_PARAM_locate(params, KACCEL_PARAM_DPDK);
    if (p != NULL && !set_text(p, dpdk_text, prov))
        return 0;
    p = OSSL_PARAM_locate(params, KACCEL_PARAM_STATS);
    if (p != NULL && !set_text(p, stats_text, NULL))
        return 0;
    p = OSSL_PARAM_locate(params, KACCEL_PARAM_ROUTES);
    if (p != NULL && !set_text(p, routes_text, prov))
        return 0;
    p = OSSL_PARAM_locate(params, KACCEL_PARAM_THRESHOLDS);
    if (p != NULL && !set_text(p, thresholds_text, prov))
        return 0;
    p = OSSL_PARAM_locate(params, KACCEL_PARAM_MIN_OFFLOAD_ASYNC);
    if (p != NULL
        && !OSSL_PARAM_set_size_t(p, prov->cfg.min_offload_async_set ? prov->cfg.min_offload_async
                                                                      : prov->cfg.min_offload))
        return 0;
    p = OSSL_PARAM_locate(params, KACCEL_PARAM_THRESHOLDS_ASYNC);
    if (p != NULL && !set_text(p, thresholds_async_text, prov))
        return 0;
    return 1;
}

static const OSSL_ALGORITHM *kac_query_operation(void *provctx, int operation_id,
                                                 int *no_cache)
{
    struct kac_prov *prov = provctx;

    *no_cache = 0;
    switch (operation_id) {
    case OSSL_OP_CIPHER:
        return prov->ops_cipher;
    case OSSL_OP_DIGEST:
        return prov->ops_digest;
    case OSSL_OP_MAC:
        return prov->ops_mac;
    default:
        return NULL;
    }
}

#define KAC_PROPS "provider=kaccel"

/*
 * Builds the OSSL_ALGORITHM table of one operation from the registered
 * algorithms that have an implementation here; fetches their software
 * counterparts from the private library context.
 */
static int build_ops(struct kac_prov *prov)
{
    size_t i, nc = 0, nd = 0, nm = 0;
    int hmac = 0, cmac = 0;
    const OSSL_DISPATCH *d;

    prov->ops_cipher = calloc(KAC_ALG_COUNT + 1, sizeof(OSSL_ALGORITHM));
    prov->ops_digest = calloc(KAC_ALG_COUNT + 1, sizeof(OSSL_ALGORITHM));
    prov->ops_mac = calloc(3, sizeof(OSSL_ALGORITHM));
    if (prov->ops_cipher == NULL || prov->ops_digest == NULL || prov->ops_mac == NULL)
        return 0;
    for (i = 0; i < KAC_ALG_COUNT; i++) {
        const struct kac_alg *a = &kac_algs[i];

        if (!prov->router.registered[i])
            continue;
        switch (a->kind) {
        case KAC_KIND_CIPHER:
        case KAC_KIND_AEAD:
            d = a->kind == KAC_KIND_CIPHER ? kac_cipher_dispatch(a->id) : kac_aead_dispatch(a->id);
            if (d == NULL)
                break;
            prov->swcipher[i] = EVP_CIPHER_fetch(prov->swctx, a->name, NULL);
            if (prov->swcipher[i] == NULL)
                goto nosw;
            prov->ops_cipher[nc++] = (OSSL_ALGORITHM){ a->names, KAC_PROPS, d, NULL };
            break;
        case KAC_KIND_DIGEST:
            if ((d = kac_digest_dispatch(a->id)) == NULL)
                break;
            prov->swmd[i] = EVP_MD_fetch(prov->swctx, a->name, NULL);
            if (prov->swmd[i] == NULL)
                goto nosw;
            prov->ops_digest[nd++] = (OSSL_ALGORITHM){ a->names, KAC_PROPS, d, NULL };
            break;
        case KAC_KIND_MAC:
            hmac |= a->mode == KAC_MODE_HMAC;
            cmac |= a->mode == KAC_MODE_CMAC;
            break;
        }
        continue;
    nosw:
        KAC_ERR(KAC_R_INIT_FAILED, "the default provider has no %s", a->name);
        return 0;
    }
    if (hmac && (d = kac_mac_dispatch(KAC_MODE_HMAC)) != NULL) {
        if ((prov->swhmac = EVP_MAC_fetch(prov->swctx, "HMAC", NULL)) == NULL)
            return 0;
        prov->ops_mac[nm++] = (OSSL_ALGORITHM){ "HMAC", KAC_PROPS, d, NULL };
    }
    if (cmac && (d = kac_mac_dispatch(KAC_MODE_CMAC)) != NULL) {
        if ((prov->swcmac = EVP_MAC_fetch(prov->swctx, "CMAC", NULL)) == NULL)
            return 0;
        prov->ops_mac[nm++] = (OSSL_ALGORITHM){ "CMAC", KAC_PROPS, d, NULL };
    }
    KAC_DBG("registered %zu ciphers, %zu digests, %zu MACs", nc, nd, nm);
    return 1;
}

static void prov_free(struct kac_prov *prov)
{
    size_t i;

    if (prov == NULL)
        return;
    for (i = 0; i < KAC_ALG_COUNT; i++) {
        EVP_CIPHER_free(prov->swcipher[i]);
        EVP_MD_free(prov->swmd[i]);
    }
    EVP_MAC_free(prov->swhmac);
    EVP_MAC_free(prov->swcmac);
    free(prov->ops_cipher);
    free(prov->ops_digest);
    free(prov->ops_mac);
    if (prov->swprov != NULL)
        OSSL_PROVIDER_unload(prov->swprov);
    OSSL_LIB_CTX_free(prov->swctx);
    free(prov);
}

/* Live provider instances in this process (one per library context loading kaccel). */
static int instances;

/*
 * With KACCEL_STATS=FILE, the last instance to go appends the process's
 * counters to FILE ("kaccel stats" reads it): servers report at worker exit.
 */
static void dump_stats(void)
{
    const char *path = secure_getenv(KACCEL_ENV_STATS);
    size_t need;
    char *buf;
    FILE *f;
    int fd;

    if (path == NULL || *path == '\0')
        return;
    need = stats_text(NULL, NULL, 0) + 256;
    buf = malloc(need);
    fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (buf == NULL || fd < 0 || (f = fdopen(fd, "a")) == NULL) {
        if (fd >= 0)
            close(fd);
        free(buf);
        return;
    }
    stats_text(NULL, buf, need);
    fprintf(f, "# kaccel %s pid %d\n%s", KACCEL_VERSION_STR, (int)getpid(), buf);
    fclose(f);
    free(buf);
}

static void kac_teardown(void *provctx)
{
    KAC_DBG("teardown");
    if (__atomic_sub_fetch(&instances, 1, __ATOMIC_ACQ_REL) == 0) {
        dump_stats();
        kac_dpdk_release();
    }
    prov_free(provctx);
}

/* Reads every known kaccel-* key from the provider's openssl.cnf section. */
static int read_config(struct kac_prov *prov, OSSL_FUNC_core_get_params_fn *core_get_params)
{
    enum { MAXKEYS = 16 };
    const char *vals[MAXKEYS] = { NULL };
    OSSL_PARAM params[MAXKEYS + 1];
    size_t i, n = 0;

    kac_config_defaults(&prov->cfg);
    if (core_get_params == NULL)
        return 1;
    for (i = 0; kac_config_keys[i] != NULL && n < MAXKEYS; i++, n++)
        params[n] = OSSL_PARAM_construct_utf8_ptr(kac_config_keys[i], (char **)&vals[n], 0);
    params[n] = OSSL_PARAM_construct_end();
    if (!core_get_params(prov->handle, params)) {
        KAC_ERR(KAC_R_INIT_FAILED, "cannot read kaccel's configuration from the core");
        return 0;
    }
    for (i = 0; i < n; i++) {
        char err[256];

        if (vals[i] == NULL)
            continue;
        KAC_DBG("config %s = \"%s\"", params[i].key, vals[i]);
        if (!kac_config_set(&prov->cfg, params[i].key, vals[i], err, sizeof(err))) {
            /*
             * A provider's own reason strings are registered only after its
             * init succeeds, so a failing init reports under libcrypto's
             * provider library to stay readable.
             */
            KAC_DBG("%s", err);
            ERR_raise_data(ERR_LIB_PROV, PROV_R_INVALID_CONFIG_DATA, "kaccel: %s", err);
            return 0;
        }
    }
    {
        char err[256];

        if (!kac_config_check(&prov->cfg, err, sizeof(err))) {
            KAC_DBG("%s", err);
            ERR_raise_data(ERR_LIB_PROV, PROV_R_INVALID_CONFIG_DATA, "kaccel: %s", err);
            return 0;
        }
    }
    return 1;
}

static const OSSL_DISPATCH kac_dispatch[] = {
    { OSSL_FUNC_PROVIDER_TEARDOWN, (void (*)(void))kac_teardown },
    { OSSL_FUNC_PROVIDER_GETTABLE_PARAMS, (void (*)(void))kac_gettable_params },
    { OSSL_FUNC_PROVIDER_GET_PARAMS, (void (*)(void))kac_get_params },
    { OSSL_FUNC_PROVIDER_QUERY_OPERATION, (void (*)(void))kac_query_operation },
    { OSSL_FUNC_PROVIDER_GET_REASON_STRINGS, (void (*)(void))kac_get_reason_strings },
    { 0, NULL },
};

__attribute__((visibility("default")))
int OSSL_provider_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
                       const OSSL_DISPATCH **out, void **provctx)
{
    OSSL_FUNC_core_get_params_fn *core_get_params = NULL;
    struct kac_err_upcalls up = { .handle = handle };
    struct kac_prov *prov;

    kac_log_init();
    for (; in->function_id != 0; in++) {
        switch (in->function_id) {
        case OSSL_FUNC_CORE_GET_PARAMS:
            core_get_params = OSSL_FUNC_core_get_params(in);
            break;
        case OSSL_FUNC_CORE_NEW_ERROR:
            up.new_error = (void (*)(const void *))OSSL_FUNC_core_new_error(in);
            break;
        case OSSL_FUNC_CORE_SET_ERROR_DEBUG:
            up.set_debug = (void (*)(const void *, const char *, int, const char *))
                OSSL_FUNC_core_set_error_debug(in);
            break;
        case OSSL_FUNC_CORE_VSET_ERROR:
            up.vset_error = (void (*)(const void *, unsigned int, const char *, va_list))
                OSSL_FUNC_core_vset_error(in);
            break;
        default:
            break;
        }
    }
    if (up.new_error != NULL && up.set_debug != NULL && up.vset_error != NULL)
        kac_err_bind(&up);

    prov = calloc(1, sizeof(*prov));
    if (prov == NULL) {
        KAC_ERR0(KAC_R_MALLOC_FAILURE);
        return 0;
    }
    prov->handle = handle;
    if (!read_config(prov, core_get_params))
        goto fail;

    prov->swctx = OSSL_LIB_CTX_new();
    if (prov->swctx == NULL
        || (prov->swprov = OSSL_PROVIDER_load(prov->swctx, "default")) == NULL) {
        KAC_ERR(KAC_R_INIT_FAILED,
                "cannot load the default provider into kaccel's software context");
        goto fail;
    }
    kac_fork_init();
    if (dpdk_in_backends(&prov->cfg))
        __atomic_store_n(&dpdk_listed, 1, __ATOMIC_RELAXED);
    kac_router_init(&prov->router, &prov->cfg);
    if (!build_ops(prov))
        goto fail;
    if (kac_log_enabled) {
        char b[64];

        kac_config_backends_str(&prov->cfg, b, sizeof(b));
        KAC_DBG("kaccel %s loaded: backends=%s min-offload=%zu", KACCEL_VERSION_STR, b,
                prov->cfg.min_offload);
    }
    __atomic_add_fetch(&instances, 1, __ATOMIC_ACQ_REL);
    *out = kac_dispatch;
    *provctx = prov;
    return 1;
fail:
    prov_free(prov);
    return 0;
}
