/* kaccel's configuration: parsed strictly from openssl.cnf's provider section. */
#ifndef KAC_CONFIG_H
#define KAC_CONFIG_H

#include <stddef.h>

#include <kaccel/kaccel.h>

#include "alg.h"

enum kac_backend_id {
    KAC_BACKEND_AFALG,
    KAC_BACKEND_DPDK,
    KAC_BACKEND_COUNT
};

/* kaccel-afalg-drivers: which kernel implementations AF_ALG may bind. */
enum kac_drivers_policy {
    KAC_DRIVERS_AUTO, /* hardware drivers only */
    KAC_DRIVERS_ANY,  /* kernel software implementations too */
    KAC_DRIVERS_LIST, /* exactly the listed driver names */
};

/* kaccel-algorithms: which algorithms the provider registers. */
enum kac_algs_policy {
    KAC_ALGS_AUTO, /* those with an offload route on this system */
    KAC_ALGS_ALL,
    KAC_ALGS_LIST,
};

#define KAC_MAX_DRIVERS 16
#define KAC_MAX_DPDK_DEVICES 8

struct kac_config {
    enum kac_backend_id backends[KAC_BACKEND_COUNT]; /* preference order */
    unsigned nbackends;                              /* 0: software only */
    size_t min_offload;                              /* bytes */
    enum kac_drivers_policy drivers;
    char driver_list[KAC_MAX_DRIVERS][128];          /* KAC_DRIVERS_LIST */
    unsigned ndrivers;
    enum kac_algs_policy algs;
    unsigned char alg_listed[KAC_ALG_COUNT];         /* KAC_ALGS_LIST */
    size_t alg_min_offload[KAC_ALG_COUNT];           /* per-algorithm override */
    unsigned char alg_min_set[KAC_ALG_COUNT];
    unsigned queue_depth;                            /* requests in flight per thread */
    char dpdk_eal[1024];                             /* EAL arguments; "" = not set */
    char dpdk_devices[KAC_MAX_DPDK_DEVICES][64];     /* empty list: every cryptodev */
    unsigned ndpdk_devices;
    unsigned dpdk_queue_pairs;                       /* 0: default */
    unsigned dpdk_burst;                             /* 0: default */
    unsigned dpdk_timeout_ms;                        /* 0: default */
    int min_offload_set;                             /* kaccel-min-offload given */
    /* Inside an ASYNC job: kaccel-min-offload-async(-algs), when given. */
    size_t min_offload_async;
    int min_offload_async_set;
    size_t alg_min_offload_async[KAC_ALG_COUNT];
    unsigned char alg_min_async_set[KAC_ALG_COUNT];
    char tuned[256];                                 /* kaccel-tuned: "" = not tuned */
};

/* Keys the provider asks the core for, NULL-terminated. */
extern const char *const kac_config_keys[];

#define KAC_DEFAULT_MIN_OFFLOAD 4096
#define KAC_DEFAULT_QUEUE_DEPTH 64
#define KAC_MAX_QUEUE_DEPTH 4096

void kac_config_defaults(struct kac_config *cfg);

/*
 * Applies one key.  Returns 1 on success; 0 with a message naming the key and
 * the value in err (always NUL-terminated) when the key is unknown or the value
 * malformed; cfg is then unchanged.
 */
int kac_config_set(struct kac_config *cfg, const char *key, const char *value,
                   char *err, size_t errlen);

/*
 * Checks what no single key can: the keys together (kaccel-backends listing
 * dpdk needs kaccel-dpdk-eal).  Called once every key is applied.  Returns 1,
 * or 0 with a message naming the key and the value in err.
 */
int kac_config_check(const struct kac_config *cfg, char *err, size_t errlen);

/* Most EAL arguments kaccel-dpdk-eal may hold (kaccel may add two). */
#define KAC_MAX_DPDK_EAL_ARGS 62

const char *kac_backend_name(enum kac_backend_id id);
/* 1 when the backend was compiled in. */
int kac_backend_built(enum kac_backend_id id);

/* "afalg,dpdk" or "none"; returns the length (snprintf semantics). */
int kac_config_backends_str(const struct kac_config *cfg, char *buf, size_t len);

/* Where an algorithm's threshold comes from (see KACCEL_PARAM_THRESHOLDS). */
const char *kac_config_min_offload_origin(const struct kac_config *cfg, enum kac_alg_id alg,
                                          char *buf, size_t len);

/* The threshold in force for an algorithm (override or global). */
size_t kac_config_min_offload(const struct kac_config *cfg, enum kac_alg_id alg);

/*
 * The threshold of an operation inside an ASYNC job: the algorithm's
 * kaccel-min-offload-async-algs value, else kaccel-min-offload-async, else
 * the synchronous threshold (kac_config_min_offload).
 */
size_t kac_config_min_offload_async(const struct kac_config *cfg, enum kac_alg_id alg);

/* Where that threshold comes from: as kac_config_min_offload_origin, or the async keys. */
const char *kac_config_min_offload_async_origin(const struct kac_config *cfg,
                                                enum kac_alg_id alg, char *buf, size_t len);

/* Strict size parser: decimal digits with an optional k/K/KiB/m/M/MiB suffix. */
int kac_parse_size(const char *s, size_t *out);

#endif
