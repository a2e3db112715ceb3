/* The DPDK backend when kaccel is built without libdpdk: always unavailable. */
#include "dpdk.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int none_probe(const struct kac_config *cfg, struct kac_route_info info[KAC_ALG_COUNT],
                      char *msg, size_t msglen)
{
    snprintf(msg, msglen, "not built (no libdpdk at build time)");
    return 0;
}

const struct kac_backend kac_backend_dpdk = { "dpdk", none_probe };

void kac_dpdk_configure(const struct kac_config *cfg)
{
}

int kac_dpdk_usable(enum kac_alg_id alg)
{
    return 0;
}

void kac_dpdk_release(void)
{
}

int kac_dpdk_settled(void)
{
    return 0;
}

const char *kac_dpdk_device_for(enum kac_alg_id alg)
{
    return NULL;
}

size_t kac_dpdk_max_op(enum kac_alg_id alg)
{
    return KAC_DPDK_MAX_OP;
}

struct kac_dpdk_sess *kac_dpdk_sess_new(const struct kac_alg *alg, int enc,
                                        const unsigned char *key, size_t keylen,
                                        unsigned ivlen, unsigned taglen, unsigned aadlen,
                                        int *err)
{
    *err = ENODEV;
    return NULL;
}

void kac_dpdk_sess_free(struct kac_dpdk_sess *s)
{
}

int kac_dpdk_sess_matches(const struct kac_dpdk_sess *s, int enc, unsigned ivlen,
                          unsigned taglen, unsigned aadlen)
{
    return 0;
}

int kac_dpdk_cipher(struct kac_dpdk_sess *s, const unsigned char *iv,
                    const unsigned char *in, unsigned char *out, size_t len, size_t *done)
{
    *done = 0;
    return -ENODEV;
}

int kac_dpdk_aead(struct kac_dpdk_sess *s, const unsigned char *iv,
                  const unsigned char *aad, size_t aadlen,
                  const unsigned char *in, unsigned char *out, size_t len,
                  unsigned char *tag)
{
    return -ENODEV;
}

int kac_dpdk_hash(struct kac_dpdk_sess *s, const unsigned char *in, size_t len,
                  unsigned char *md)
{
    return -ENODEV;
}

void kac_dpdk_stats(struct kac_dpdk_stats *out)
{
    memset(out, 0, sizeof(*out));
}

void kac_dpdk_wait_quiet(ASYNC_WAIT_CTX *w)
{
    (void)w;
}

size_t kac_dpdk_describe(char *buf, size_t len, int bring_up)
{
    return (size_t)snprintf(buf, len, "dpdk: not built (no libdpdk at build time)\n");
}
