/*
 * Routing: offload or software, decided per operation from what the backends
 * offer (probed once), the configuration and the operation's size.  Backends
 * are tried in kaccel-backends order; the DPDK backend's devices are known
 * only once its EAL is up (at the first operation it would take), so its
 * route is confirmed per operation.
 */
#ifndef KAC_ROUTE_H
#define KAC_ROUTE_H

#include <stddef.h>

#include <openssl/async.h>

#include "alg.h"
#include "backend.h"
#include "config.h"
#include "stats.h"
#include "backend/dpdk/dpdk.h"

#define KAC_ROUTE_SOFTWARE (-1)

struct kac_router {
    struct kac_config cfg;
    int present[KAC_BACKEND_COUNT];
    char msg[KAC_BACKEND_COUNT][160];
    struct kac_route_info info[KAC_BACKEND_COUNT][KAC_ALG_COUNT];
    unsigned char any[KAC_ALG_COUNT];        /* some backend may take it */
    size_t min_offload[KAC_ALG_COUNT];       /* synchronous callers */
    size_t min_offload_async[KAC_ALG_COUNT]; /* callers inside an ASYNC job */
    unsigned char registered[KAC_ALG_COUNT]; /* offered to OpenSSL */
};

/* Probes the configured backends and decides which algorithms to register. */
void kac_router_init(struct kac_router *r, const struct kac_config *cfg);

/*
 * The threshold in force for an operation of alg issued now: inside an ASYNC
 * job kaccel-min-offload-async(-algs), else the synchronous one.  The job is
 * looked up only when the two differ.
 */
static inline size_t kac_route_min_offload(const struct kac_router *r, enum kac_alg_id alg)
{
    size_t min = r->min_offload[alg];

    if (r->min_offload_async[alg] != min && ASYNC_get_current_job() != NULL)
        min = r->min_offload_async[alg];
    return min;
}

/*
 * The backend an operation of len bytes goes to (enum kac_backend_id), or
 * KAC_ROUTE_SOFTWARE with the reason in *why.
 */
static inline int kac_route_pick(const struct kac_router *r, enum kac_alg_id alg, size_t len,
                                 enum kac_why *why)
{
    unsigned i;

    *why = KAC_WHY_NO_ROUTE;
    if (!r->any[alg])
        return KAC_ROUTE_SOFTWARE;
    if (len < kac_route_min_offload(r, alg)) {
        *why = KAC_WHY_SMALL;
        return KAC_ROUTE_SOFTWARE;
    }
    for (i = 0; i < r->cfg.nbackends; i++) {
        enum kac_backend_id b = r->cfg.backends[i];

        if (!r->info[b][alg].usable)
            continue;
        if (b == KAC_BACKEND_DPDK && !kac_dpdk_usable(alg))
            continue;
        return (int)b;
    }
    return KAC_ROUTE_SOFTWARE;
}

/* The kernel driver to bind for an algorithm, or NULL. */
static inline const char *kac_route_driver(const struct kac_router *r, enum kac_alg_id alg)
{
    return r->info[KAC_BACKEND_AFALG][alg].usable ? r->info[KAC_BACKEND_AFALG][alg].impl : NULL;
}

/*
 * Copies r into out with the DPDK backend's routes as they stand now: once its
 * EAL is up in this process, each algorithm names the device serving it, and
 * algorithms no configured device offers leave DPDK's routes (r itself keeps
 * the routes of provider load, when no device is known yet).
 */
void kac_router_current(const struct kac_router *r, struct kac_router *out);

/*
 * "afalg:<driver>" or "dpdk:<device>" for the first backend that may take
 * alg, or "-"; for `kaccel info` and the routes parameter.
 */
const char *kac_route_describe(const struct kac_router *r, enum kac_alg_id alg, char *buf,
                               size_t len);

#endif
