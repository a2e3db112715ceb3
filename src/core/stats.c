#include "stats.h"

#include <string.h>

#include "config.h"

static struct kac_alg_stats stats[KAC_ALG_COUNT];

const char *kac_why_name(enum kac_why why)
{
    static const char *const names[KAC_WHY_COUNT] = {
        [KAC_WHY_SMALL] = "small",       [KAC_WHY_NO_ROUTE] = "no_route",
        [KAC_WHY_PARAMS] = "params",     [KAC_WHY_SESSION] = "session",
        [KAC_WHY_OP_ERROR] = "op_error", [KAC_WHY_QUEUE_FULL] = "queue_full",
    };
    return (unsigned)why < KAC_WHY_COUNT ? names[why] : "?";
}

#define ADD(field, v) __atomic_fetch_add(&(field), (uint64_t)(v), __ATOMIC_RELAXED)
#define LOAD(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

void kac_stats_offload(enum kac_alg_id alg, size_t bytes)
{
    ADD(stats[alg].off_ops, 1);
    ADD(stats[alg].off_bytes, bytes);
}

void kac_stats_offload_to(enum kac_alg_id alg, int backend, size_t bytes)
{
    kac_stats_offload(alg, bytes);
    if (backend == KAC_BACKEND_DPDK) {
        ADD(stats[alg].dpdk_ops, 1);
        ADD(stats[alg].dpdk_bytes, bytes);
    }
}

void kac_stats_software(enum kac_alg_id alg, enum kac_why why, size_t bytes)
{
    ADD(stats[alg].sw_ops[why], 1);
    ADD(stats[alg].sw_bytes, bytes);
}

void kac_stats_error(enum kac_alg_id alg)
{
    ADD(stats[alg].errors, 1);
}

void kac_stats_get(enum kac_alg_id alg, struct kac_alg_stats *out)
{
    int w;

    out->off_ops = LOAD(stats[alg].off_ops);
    out->off_bytes = LOAD(stats[alg].off_bytes);
    out->dpdk_ops = LOAD(stats[alg].dpdk_ops);
    out->dpdk_bytes = LOAD(stats[alg].dpdk_bytes);
    out->sw_bytes = LOAD(stats[alg].sw_bytes);
    out->errors = LOAD(stats[alg].errors);
    for (w = 0; w < KAC_WHY_COUNT; w++)
        out->sw_ops[w] = LOAD(stats[alg].sw_ops[w]);
}

void kac_stats_reset(void)
{
    memset(stats, 0, sizeof(stats));
}

size_t kac_stats_format(char *buf, size_t len)
{
    size_t n = 0;
    int a, w;

#define PUT(...)                                                                  \
    do {                                                                          \
        int r_ = snprintf(n < len ? buf + n : NULL, n < len ? len - n : 0, __VA_ARGS__); \
        n += r_ > 0 ? (size_t)r_ : 0;                                             \
    } while (0)
    if (len > 0)
        buf[0] = '\0';
    for (a = 0; a < KAC_ALG_COUNT; a++) {
        struct kac_alg_stats s;
        uint64_t sw = 0;

        kac_stats_get((enum kac_alg_id)a, &s);
        for (w = 0; w < KAC_WHY_COUNT; w++)
            sw += s.sw_ops[w];
        if (s.off_ops == 0 && sw == 0 && s.errors == 0)
            continue;
        PUT("%s offload_ops=%llu offload_bytes=%llu dpdk_ops=%llu dpdk_bytes=%llu sw_ops=%llu "
            "sw_bytes=%llu",
            kac_algs[a].name, (unsigned long long)s.off_ops, (unsigned long long)s.off_bytes,
            (unsigned long long)s.dpdk_ops, (unsigned long long)s.dpdk_bytes,
            (unsigned long long)sw, (unsigned long long)s.sw_bytes);
        for (w = 0; w < KAC_WHY_COUNT; w++)
            PUT(" sw_%s=%llu", kac_why_name((enum kac_why)w), (unsigned long long)s.sw_ops[w]);
        PUT(" errors=%llu\n", (unsigned long long)s.errors);
    }
#undef PUT
    return n;
}
