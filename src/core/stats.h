/* Per-algorithm, per-path counters, process-wide and lock-free. */
#ifndef KAC_STATS_H
#define KAC_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "alg.h"

/* Why an operation ran in software. */
enum kac_why {
    KAC_WHY_SMALL,       /* below the offload threshold */
    KAC_WHY_NO_ROUTE,    /* no usable driver / backend for this algorithm */
    KAC_WHY_PARAMS,      /* parameters the backend cannot take (e.g. GCM IV != 12) */
    KAC_WHY_SESSION,     /* session could not be opened (fd or driver session limit) */
    KAC_WHY_OP_ERROR,    /* the backend failed the operation (EBUSY, EAGAIN, EIO...) */
    KAC_WHY_QUEUE_FULL,  /* bounded in-flight requests reached */
    KAC_WHY_COUNT
};

const char *kac_why_name(enum kac_why why);

struct kac_alg_stats {
    uint64_t off_ops, off_bytes;   /* every backend */
    uint64_t dpdk_ops, dpdk_bytes; /* of which through DPDK */
    uint64_t sw_ops[KAC_WHY_COUNT];
    uint64_t sw_bytes;
    uint64_t errors; /* backend errors, whether or not recovered in software */
};

void kac_stats_offload(enum kac_alg_id alg, size_t bytes);
/* An offload through a given backend (enum kac_backend_id). */
void kac_stats_offload_to(enum kac_alg_id alg, int backend, size_t bytes);
void kac_stats_software(enum kac_alg_id alg, enum kac_why why, size_t bytes);
void kac_stats_error(enum kac_alg_id alg);
/* Snapshot of one algorithm's counters. */
void kac_stats_get(enum kac_alg_id alg, struct kac_alg_stats *out);
void kac_stats_reset(void);
/*
 * One line per algorithm with any activity:
 * "<alg> offload_ops=N offload_bytes=N dpdk_ops=N dpdk_bytes=N sw_ops=N sw_bytes=N
 *  sw_small=N ... errors=N" (offload_* count every backend, dpdk_* DPDK's share)
 * Returns the length written (snprintf semantics).
 */
size_t kac_stats_format(char *buf, size_t len);

#endif
