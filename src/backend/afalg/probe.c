/* The AF_ALG backend's probe: which kernel driver serves each algorithm. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "afalg.h"
#include "core/backend.h"
#include "core/log.h"
#include "kcrypto.h"

static const struct kac_kdriver *pick(const struct kac_kcrypto *kc, const struct kac_config *cfg,
                                      const char *kname)
{
    const struct kac_kdriver *best = NULL;
    size_t i;
    unsigned j;

    switch (cfg->drivers) {
    case KAC_DRIVERS_AUTO:
        return kac_kcrypto_best(kc, kname, 1);
    case KAC_DRIVERS_ANY:
        return kac_kcrypto_best(kc, kname, 0);
    case KAC_DRIVERS_LIST:
        for (i = 0; i < kc->n; i++) {
            const struct kac_kdriver *d = &kc->v[i];

            if (strcmp(d->name, kname) != 0 || d->internal || !d->selftest_ok)
                continue;
            for (j = 0; j < cfg->ndrivers; j++)
                if (strcmp(d->driver, cfg->driver_list[j]) == 0
                    && (best == NULL || d->priority > best->priority))
                    best = d;
        }
        return best;
    }
    return NULL;
}

/*
 * Kernel template instances (hmac(sha384), cmac(aes), ...) appear in
 * /proc/crypto only once something has used them.  With kernel software
 * drivers allowed, binding each generic name instantiates it (loading its
 * module if needed) so that /proc/crypto then names its driver.  Hardware
 * drivers register their instances themselves: auto mode needs none of this.
 */
static void instantiate_templates(void)
{
    int a;

    for (a = 0; a < KAC_ALG_COUNT; a++)
        (void)kac_afalg_bind_check(kac_alg_ktype(&kac_algs[a]), kac_algs[a].kname);
}

static int afalg_probe(const struct kac_config *cfg, struct kac_route_info info[KAC_ALG_COUNT],
                       char *msg, size_t msglen)
{
    struct kac_kcrypto kc;
    int a, masked = 0;

    memset(info, 0, sizeof(info[0]) * KAC_ALG_COUNT);
    if (!kac_afalg_available()) {
        snprintf(msg, msglen, "AF_ALG unavailable: this kernel has no AF_ALG sockets");
        for (a = 0; a < KAC_ALG_COUNT; a++)
            snprintf(info[a].note, sizeof(info[a].note), "no AF_ALG");
        return 0;
    }
    if (cfg->drivers == KAC_DRIVERS_ANY)
        instantiate_templates();
    if (!kac_kcrypto_load(&kc)) {
        snprintf(msg, msglen, "AF_ALG unusable: /proc/crypto unreadable");
        return 0;
    }
    for (a = 0; a < KAC_ALG_COUNT; a++) {
        const struct kac_alg *alg = &kac_algs[a];
        const struct kac_kdriver *d = pick(&kc, cfg, alg->kname);
        struct kac_route_info *ri = &info[a];
        int r;

        if (d == NULL) {
            const struct kac_kdriver *sw = kac_kcrypto_best(&kc, alg->kname, 0);

            if (sw != NULL && cfg->drivers == KAC_DRIVERS_AUTO)
                snprintf(ri->note, sizeof(ri->note), "only CPU driver %.60s", sw->driver);
            else
                snprintf(ri->note, sizeof(ri->note), "no %s driver",
                         cfg->drivers == KAC_DRIVERS_LIST ? "listed" : "kernel");
            continue;
        }
        snprintf(ri->impl, sizeof(ri->impl), "%s", d->driver);
        ri->hardware = d->hardware;
        ri->priority = d->priority;
        /* Binding proves AF_ALG may use it: kernels can hide off-CPU drivers. */
        r = kac_afalg_bind_check(kac_alg_ktype(alg), d->driver);
        if (r < 0) {
            snprintf(ri->note, sizeof(ri->note), "listed in /proc/crypto but bind failed: %s",
                     strerror(-r));
            if (d->hardware && (r == -ENOENT || r == -EPERM || r == -EACCES))
                masked = 1;
            continue;
        }
        ri->usable = 1;
    }
    kac_kcrypto_free(&kc);
    if (masked)
        snprintf(msg, msglen,
                 "this kernel hides hardware drivers from AF_ALG: they are listed in "
                 "/proc/crypto but cannot be bound; routing them to software");
    else
        snprintf(msg, msglen, "AF_ALG available");
    if (masked)
        KAC_DBG("afalg: %s", msg);
    return 1;
}

const struct kac_backend kac_backend_afalg = {
    .name = "afalg",
    .probe = afalg_probe,
};
