#include "route.h"

#include <string.h>

#include "log.h"

void kac_router_init(struct kac_router *r, const struct kac_config *cfg)
{
    unsigned i;
    int a, use_afalg = 0;

    memset(r, 0, sizeof(*r));
    r->cfg = *cfg;
    for (i = 0; i < cfg->nbackends; i++)
        use_afalg |= cfg->backends[i] == KAC_BACKEND_AFALG;
    if (use_afalg) {
        r->afalg_present = kac_backend_afalg.probe(cfg, r->afalg, r->afalg_msg,
                                                   sizeof(r->afalg_msg));
        if (!r->afalg_present)
            KAC_DBG("afalg: %s", r->afalg_msg);
    } else {
        strcpy(r->afalg_msg, "not in kaccel-backends");
    }
    for (a = 0; a < KAC_ALG_COUNT; a++) {
        r->min_offload[a] = kac_config_min_offload(cfg, (enum kac_alg_id)a);
        switch (cfg->algs) {
        case KAC_ALGS_AUTO:
            r->registered[a] = (unsigned char)r->afalg[a].usable;
            break;
        case KAC_ALGS_ALL:
            r->registered[a] = 1;
            break;
        case KAC_ALGS_LIST:
            r->registered[a] = cfg->alg_listed[a];
            break;
        }
        KAC_DBG("route %-18s %s%s%s (min-offload %zu)%s", kac_algs[a].name,
                r->afalg[a].usable ? "afalg:" : "software",
                r->afalg[a].usable ? r->afalg[a].impl : "",
                r->afalg[a].note[0] ? " -- " : "", r->min_offload[a],
                r->registered[a] ? "" : " [not registered]");
        if (r->afalg[a].note[0] && r->afalg[a].usable)
            KAC_DBG("  note: %s", r->afalg[a].note);
    }
}
