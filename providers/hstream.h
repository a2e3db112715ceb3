/*
 * A hash stream: the message handling shared by the digests (digest.c) and
 * the MACs (mac.c), over the backends kac_route_pick() chooses.
 *
 * A message is buffered until its length reaches the offload threshold: a
 * shorter message is computed in software at final.  Once the threshold is
 * reached, the route decides:
 *  - AF_ALG: the buffer goes to an AF_ALG hash socket with MSG_MORE and
 *    further updates stream straight to it; final reads the result.
 *  - DPDK: a cryptodev op hashes a whole message (at most KAC_DPDK_MAX_OP
 *    bytes) and cannot stream, so the whole message is buffered and final
 *    runs one op over it.  A message that outgrows one op continues where it
 *    would go if DPDK were not configured (see route() in hstream.c).
 *
 * While the buffered data is still in hand, a failed offload falls back to
 * software (for DPDK that is always the case, up to final).  Once data has
 * been handed to the kernel there is no software state to continue from: a
 * later kernel failure is an error, never a wrong result.
 *
 * The owner (struct kac_dctx, struct kac_mctx) embeds a struct kac_hstream and
 * supplies its software context through struct kac_hs_ops; the callbacks find
 * the owner with KAC_HS_OWNER.  The owner checks the state (kac_hs_check)
 * before kac_hs_update and kac_hs_final.
 */
#ifndef KAC_PROV_HSTREAM_H
#define KAC_PROV_HSTREAM_H

#include <stddef.h>

#include "../src/backend/afalg/session.h"
#include "../src/backend/dpdk/dpdk.h"
#include "prov.h"

enum kac_hs_state {
    KAC_HS_BUF,    /* buffering below the threshold (or nothing yet) */
    KAC_HS_DPDK,   /* the whole message so far is buffered for one DPDK op at final */
    KAC_HS_KERNEL, /* the message so far is in the AF_ALG socket */
    KAC_HS_SW,     /* the message so far is in the software context */
    KAC_HS_DONE,   /* final done, or never initialised: a new init is needed */
    KAC_HS_FAILED, /* the message failed (e.g. the kernel, mid-stream): init first */
};

struct kac_hstream;

/* The owner's software context.  Each returns 1 on success, 0 on failure. */
struct kac_hs_ops {
    const char *what; /* "hash", "MAC": in error messages */
    /* Starts software with the buffered part (hs->buf, hs->buflen), then in. */
    int (*sw_start)(struct kac_hstream *hs, const unsigned char *in, size_t inl);
    int (*sw_update)(struct kac_hstream *hs, const unsigned char *in, size_t inl);
    int (*sw_final)(struct kac_hstream *hs, unsigned char *out, size_t *outl, size_t outsz);
};

struct kac_hstream {
    struct kac_prov *prov;
    const struct kac_alg *alg; /* NULL: no kaccel variant (never offloaded) */
    const struct kac_hs_ops *ops;
    enum kac_hs_state state;
    enum kac_why why;          /* why this message runs in software */
    unsigned char *buf;
    size_t buflen, bufcap;     /* bufcap <= max(the threshold, KAC_DPDK_MAX_OP) */
    size_t total;              /* message length so far */
    struct kac_afalg_sess sess;
    struct kac_dpdk_sess *dsess; /* DPDK session for the key, made on first use */
    int dsess_failed;            /* its creation failed for this key: not retried
                                    (keyless sessions back off per algorithm) */
};

#define KAC_HS_OWNER(hs, type, member) ((type *)((char *)(hs) - offsetof(type, member)))

/* A new stream, state KAC_HS_DONE.  Cannot fail. */
void kac_hs_init(struct kac_hstream *hs, struct kac_prov *prov, const struct kac_alg *alg,
                 const struct kac_hs_ops *ops);
/* Closes the socket, frees the DPDK session and the buffer (not hs itself). */
void kac_hs_free(struct kac_hstream *hs);

/*
 * The key (or the variant) changed: drops the AF_ALG socket and the DPDK
 * session made for the old one, and forgets a session failure.  Between
 * messages only (the state is restarted by the owner).
 */
void kac_hs_rekey(struct kac_hstream *hs);

/*
 * Duplication, after the owner's struct copy (*dst = *src): kac_hs_dup_reset
 * first (before anything can fail), then kac_hs_dup copies the buffer and
 * clones a running kernel hash (0 on failure, error raised when the clone
 * failed; kac_hs_free then releases dst).  The copy makes its own DPDK
 * session when it needs one.
 */
void kac_hs_dup_reset(struct kac_hstream *dst);
int kac_hs_dup(struct kac_hstream *dst, const struct kac_hstream *src);

/* Starts a new message (a socket holding part of an unfinished one is closed). */
void kac_hs_restart(struct kac_hstream *hs);

/* 0 with an error (name, then done as the message) after final or a failure. */
int kac_hs_check(const struct kac_hstream *hs, const char *name, const char *done);

/* Moves the message to software: the buffered part, then in. */
int kac_hs_to_software(struct kac_hstream *hs, enum kac_why why, const unsigned char *in,
                       size_t inl);

/* key: the AF_ALG socket's / DPDK session's key (NULL, 0 for a plain hash). */
int kac_hs_update(struct kac_hstream *hs, const unsigned char *in, size_t inl,
                  const unsigned char *key, size_t keylen);
int kac_hs_final(struct kac_hstream *hs, unsigned char *out, size_t *outl, size_t outsz,
                 const unsigned char *key, size_t keylen);

#endif
