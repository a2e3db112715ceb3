/* Shared between the DPDK backend's files; the only header naming DPDK types. */
#ifndef KAC_DPDK_INTERNAL_H
#define KAC_DPDK_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include <rte_crypto.h>
#include <rte_cryptodev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "dpdk.h"

#define KAC_DPDK_MAX_DEVS 8
#define KAC_DPDK_MAX_QPS 64
#define KAC_DPDK_MAX_AAD 256
#define KAC_DPDK_DEFAULT_QPS 8
#define KAC_DPDK_DEFAULT_BURST 32
#define KAC_DPDK_MAX_BURST 256
/* Ops each thread caches (mbufs: twice as many), and the threads the pools have room for. */
#define KAC_DPDK_CACHE 32
#define KAC_DPDK_CACHE_THREADS 32
/*
 * A device that completes nothing for this long while kaccel has ops in it is
 * given up for the life of the process (kaccel-dpdk-timeout).
 */
#define KAC_DPDK_DEFAULT_TIMEOUT_MS 5000

/* One queue pair; a lock guards it because threads may share it. */
struct kac_dqp {
    pthread_mutex_t lock;
    uint8_t dev_id;
    uint16_t qp_id;
    unsigned users;       /* threads attached (atomic) */
    unsigned inflight;    /* ops enqueued, not yet dequeued */
    /*
     * Ops of paused ASYNC jobs, not yet handed to the device: the first job
     * resumed (or any caller taking the lock) enqueues them all in one burst.
     */
    unsigned nstaged;
    struct rte_crypto_op *staged[KAC_DPDK_MAX_BURST];
};

struct kac_ddev {
    uint8_t dev_id;
    char name[RTE_CRYPTODEV_NAME_MAX_LEN];
    char driver[64];
    uint64_t features;
    int zero_copy;         /* software PMD: mbufs point at the caller's buffers */
    int oop;               /* out-of-place with linear buffers */
    size_t max_op;         /* most data bytes in one op (KAC_DPDK_MAX_OP or less) */
    unsigned nqps;
    unsigned max_sessions; /* 0: no limit */
    int stuck;             /* gave up on it: an op did not complete in time (atomic) */
    /* algorithms it offers that its PMD could not compute here (crypto_openssl) */
    unsigned char refused[KAC_ALG_COUNT];
    struct kac_dqp qps[KAC_DPDK_MAX_QPS];
};

enum kac_dpdk_state {
    KAC_DPDK_OFF,      /* not configured (or built without DPDK) */
    KAC_DPDK_IDLE,     /* configured, EAL not up yet */
    KAC_DPDK_UP,       /* EAL and devices up in this process */
    KAC_DPDK_FAILED,   /* bring-up failed: never retried in this process */
};

struct kac_dpdk_global {
    enum kac_dpdk_state state;
    int pid;                          /* the process that brought the EAL up */
    unsigned gen;                     /* its fork generation */
    char eal[1024];
    char devices[8][64];
    unsigned ndevices;                /* 0: every cryptodev */
    unsigned want_qps, burst, depth;
    unsigned timeout_ms;              /* kaccel-dpdk-timeout */
    char why[160];                    /* why unavailable */
    struct kac_ddev devs[KAC_DPDK_MAX_DEVS];
    unsigned ndevs;
    int alg_dev[KAC_ALG_COUNT];       /* index in devs[], -1: none */
    struct rte_mempool *op_pool, *sess_pool, *mbuf_pool;
    int any_copy;                     /* a device copies: mbufs carry data rooms, not cached */
    int iova_va;                      /* IOVA is the virtual address (read once at bring-up) */
};

extern struct kac_dpdk_global kac_dpdk;
/* Set while this thread is inside a DPDK call (a PMD may call OpenSSL back). */
extern __thread int kac_dpdk_in_pmd;

/* The private area of every op, after the symmetric op. */
struct kac_dpriv {
    uint8_t iv[32];                   /* KAC_DPDK_IV_OFFSET points here */
    struct kac_dreq *req;
    unsigned idx;                     /* the op's place in its request's run */
    unsigned char *out;               /* copy mode: where the result goes */
    size_t len;
    unsigned char *md;                /* where the digest / tag goes */
    unsigned mdlen;
    struct rte_mbuf_ext_shared_info shinfo[2];
    uint8_t digest[64];
    uint8_t aad[18 + KAC_DPDK_MAX_AAD]; /* CCM reserves 18 bytes before the AAD */
};

#define KAC_DPDK_IV_OFFSET (sizeof(struct rte_crypto_op) + sizeof(struct rte_crypto_sym_op))
#define KAC_DPDK_PRIV(op) \
    ((struct kac_dpriv *)((uint8_t *)(op) + KAC_DPDK_IV_OFFSET))

/* kaccel's algorithm as DPDK names it; 0 when DPDK has no such algorithm. */
int kac_dpdk_cipher_algo(enum kac_mode m, enum rte_crypto_cipher_algorithm *a);
int kac_dpdk_aead_algo(enum kac_mode m, enum rte_crypto_aead_algorithm *a);
int kac_dpdk_auth_algo(const struct kac_alg *a, enum rte_crypto_auth_algorithm *out);
/* 1 when the device advertises an AEAD with these sizes. */
int kac_dpdk_aead_supported(uint8_t dev, enum rte_crypto_aead_algorithm algo, size_t keylen,
                            unsigned taglen, unsigned aadlen, unsigned ivlen);

/* Parses the EAL argument string into argv (argv[0] set); returns argc or -1. */
int kac_dpdk_split_args(const char *s, char **argv, int max, char *store, size_t storelen);

/* Brings the EAL and the devices up (once per process); 1 when up. */
int kac_dpdk_bring_up(void);

#endif
