/*
 * Routing: offload or software, decided per operation from what the backends
 * offer (probed once), the configuration and the operation's size.
 */
#ifndef KAC_ROUTE_H
#define KAC_ROUTE_H

#include <stddef.h>

#include "alg.h"
#include "backend.h"
#include "config.h"
#include "stats.h"

struct kac_router {
    struct kac_config cfg;
    int afalg_present;
    char afalg_msg[160];
    struct kac_route_info afalg[KAC_ALG_COUNT];
    size_t min_offload[KAC_ALG_COUNT];
    unsigned char registered[KAC_ALG_COUNT]; /* offered to OpenSSL */
};

/* Probes the configured backends and decides which algorithms to register. */
void kac_router_init(struct kac_router *r, const struct kac_config *cfg);

/* 1 when an operation of len bytes should be offloaded; else 0 and *why. */
static inline int kac_route(const struct kac_router *r, enum kac_alg_id alg, size_t len,
                            enum kac_why *why)
{
    if (!r->afalg[alg].usable) {
        *why = KAC_WHY_NO_ROUTE;
        return 0;
    }
    if (len < r->min_offload[alg]) {
        *why = KAC_WHY_SMALL;
        return 0;
    }
    return 1;
}

/* The kernel driver to bind for an algorithm, or NULL. */
static inline const char *kac_route_driver(const struct kac_router *r, enum kac_alg_id alg)
{
    return r->afalg[alg].usable ? r->afalg[alg].impl : NULL;
}

#endif
