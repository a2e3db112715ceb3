#include "route.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

static const struct kac_backend *const backends[KAC_BACKEND_COUNT] = {
    [KAC_BACKEND_AFALG] = &kac_backend_afalg,
    [KAC_BACKEND_DPDK] = &kac_backend_dpdk,
};

void kac_router_init(struct kac_router *r, const struct kac_config *cfg)
{
    unsigned i;
    int a, b;

    memset(r, 0, sizeof(*r));
    r->cfg = *cfg;
    for (b = 0; b < KAC_BACKEND_COUNT; b++)
        strcpy(r->msg[b], "not in kaccel-backends");
    for (i = 0; i < cfg->nbackends; i++) {
        b = cfg->backends[i];
        r->present[b] = backends[b]->probe(cfg, r->info[b], r->msg[b], sizeof(r->msg[b]));
        if (!r->present[b]) {
            memset(r->info[b], 0, sizeof(r->info[b]));
            KAC_DBG("%s: %s", kac_backend_name((enum kac_backend_id)b), r->msg[b]);
        }
    }
    for (a = 0; a < KAC_ALG_COUNT; a++) {
        char route[160];

        for (i = 0; i < cfg->nbackends; i++)
            r->any[a] |= (unsigned char)r->info[cfg->backends[i]][a].usable;
        r->min_offload[a] = kac_config_min_offload(cfg, (enum kac_alg_id)a);
        r->min_offload_async[a] = kac_config_min_offload_async(cfg, (enum kac_alg_id)a);
        switch (cfg->algs) {
        case KAC_ALGS_AUTO:
            r->registered[a] = r->any[a];
            break;
        case KAC_ALGS_ALL:
            r->registered[a] = 1;
            break;
        case KAC_ALGS_LIST:
            r->registered[a] = cfg->alg_listed[a];
            break;
        }
        KAC_DBG("route %-18s %s (min-offload %zu, in ASYNC jobs %zu)%s", kac_algs[a].name,
                kac_route_describe(r, (enum kac_alg_id)a, route, sizeof(route)),
                r->min_offload[a], r->min_offload_async[a],
                r->registered[a] ? "" : " [not registered]");
        for (i = 0; i < cfg->nbackends; i++) {
            const struct kac_route_info *ri = &r->info[cfg->backends[i]][a];

            if (ri->note[0] && ri->usable)
                KAC_DBG("  %s note: %s", kac_backend_name(cfg->backends[i]), ri->note);
        }
    }
}

void kac_router_current(const struct kac_router *r, struct kac_router *out)
{
    int a;

    *out = *r;
    if (!r->present[KAC_BACKEND_DPDK] || !kac_dpdk_settled())
        return; /* EAL not brought up yet: nothing new is known */
    /*
     * The probe reads the backend's state once bring-up is over (up, failed,
     * or inherited through fork: then DPDK serves nothing); it starts nothing.
     */
    out->present[KAC_BACKEND_DPDK] =
        backends[KAC_BACKEND_DPDK]->probe(&r->cfg, out->info[KAC_BACKEND_DPDK],
                                          out->msg[KAC_BACKEND_DPDK],
                                          sizeof(out->msg[KAC_BACKEND_DPDK]));
    if (!out->present[KAC_BACKEND_DPDK])
        for (a = 0; a < KAC_ALG_COUNT; a++) {
            struct kac_route_info *ri = &out->info[KAC_BACKEND_DPDK][a];

            memset(ri, 0, sizeof(*ri));
            snprintf(ri->note, sizeof(ri->note), "%.*s", (int)sizeof(ri->note) - 1,
                     out->msg[KAC_BACKEND_DPDK]);
        }
}

const char *kac_route_describe(const struct kac_router *r, enum kac_alg_id alg, char *buf,
                               size_t len)
{
    unsigned i;

    for (i = 0; i < r->cfg.nbackends; i++) {
        enum kac_backend_id b = r->cfg.backends[i];
        const struct kac_route_info *ri = &r->info[b][alg];
        const char *impl = ri->impl;

        if (!ri->usable)
            continue;
        if (b == KAC_BACKEND_DPDK && kac_dpdk_device_for(alg) != NULL)
            impl = kac_dpdk_device_for(alg);
        snprintf(buf, len, "%s:%s", kac_backend_name(b), impl);
        return buf;
    }
    snprintf(buf, len, "-");
    return buf;
}
