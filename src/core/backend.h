/*
 * The seam between the core and a backend: the core never names a backend's
 * types.  Adding a backend is one folder and one entry in route.c.
 */
#ifndef KAC_BACKEND_H
#define KAC_BACKEND_H

#include <stddef.h>

#include "alg.h"
#include "config.h"

/* What a backend can do for one algorithm on this system. */
struct kac_route_info {
    int usable;          /* offload possible */
    int hardware;        /* the implementation is off-CPU */
    int priority;        /* kernel priority, when meaningful */
    char impl[128];      /* driver / device name used */
    char note[96];       /* why not usable, or other remark */
};

struct kac_backend {
    const char *name;
    /*
     * Fills info[] for every algorithm under cfg's policies.  Returns 1 when
     * the backend is present at all; otherwise 0 with a reason in msg.
     */
    int (*probe)(const struct kac_config *cfg, struct kac_route_info info[KAC_ALG_COUNT],
                 char *msg, size_t msglen);
};

extern const struct kac_backend kac_backend_afalg;

#endif
