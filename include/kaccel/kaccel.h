/*
 * kaccel -- OpenSSL 3 provider offloading ciphers, digests and MACs to crypto
 * accelerators through the Linux kernel crypto API (AF_ALG) and DPDK cryptodev.
 *
 * Public header: the provider's name, the openssl.cnf keys it understands and
 * the names of the parameters it answers through OSSL_PROVIDER_get_params().
 * See kaccel(7) for what each key means and its default.
 */
#ifndef KACCEL_KACCEL_H
#define KACCEL_KACCEL_H

#include <kaccel/version.h>

/* Name under which the provider is loaded: OSSL_PROVIDER_load(ctx, KACCEL_PROVIDER_NAME). */
#define KACCEL_PROVIDER_NAME "kaccel"

/* Property query that selects kaccel's implementations. */
#define KACCEL_PROPQUERY "provider=kaccel"

/* Environment variable enabling debug logging: "1" (stderr) or a file path. */
#define KACCEL_ENV_DEBUG "KACCEL_DEBUG"
/* Environment variable naming a file the counters are appended to at exit. */
#define KACCEL_ENV_STATS "KACCEL_STATS"

/*
 * openssl.cnf keys, read from the provider's section.  Every key is prefixed
 * "kaccel-"; a malformed value makes the provider fail to load with an error
 * naming the key and the value.
 */
#define KACCEL_CNF_BACKENDS      "kaccel-backends"      /* list: afalg,dpdk | none */
#define KACCEL_CNF_MIN_OFFLOAD   "kaccel-min-offload"   /* bytes, suffix k/M allowed */
#define KACCEL_CNF_MIN_OFFLOAD_ALGS "kaccel-min-offload-algs" /* ALG:BYTES, ... */
#define KACCEL_CNF_MIN_OFFLOAD_ASYNC "kaccel-min-offload-async" /* bytes inside ASYNC jobs */
#define KACCEL_CNF_MIN_OFFLOAD_ASYNC_ALGS "kaccel-min-offload-async-algs" /* ALG:BYTES, ... */
#define KACCEL_CNF_AFALG_DRIVERS "kaccel-afalg-drivers" /* auto | any | driver list */
#define KACCEL_CNF_ALGORITHMS    "kaccel-algorithms"    /* auto | all | name list */
#define KACCEL_CNF_QUEUE_DEPTH   "kaccel-queue-depth"   /* requests in flight per thread */
#define KACCEL_CNF_TUNED        "kaccel-tuned"         /* informational: what `kaccel tune` measured */
#define KACCEL_CNF_DPDK_EAL      "kaccel-dpdk-eal"      /* EAL arguments (required for dpdk) */
#define KACCEL_CNF_DPDK_DEVICES  "kaccel-dpdk-devices"  /* all | device or PMD names, in preference order */
#define KACCEL_CNF_DPDK_QUEUE_PAIRS "kaccel-dpdk-queue-pairs" /* per device, 1..64 */
#define KACCEL_CNF_DPDK_BURST    "kaccel-dpdk-burst"    /* ops per enqueue/dequeue burst, 1..256 */
#define KACCEL_CNF_DPDK_TIMEOUT  "kaccel-dpdk-timeout"  /* ms without a completion before a device is given up, 1..600000 */

/* Provider parameters (OSSL_PROVIDER_get_params) beyond the standard ones. */
#define KACCEL_PARAM_BACKENDS    "kaccel-backends"      /* utf8 string: backends in force */
#define KACCEL_PARAM_MIN_OFFLOAD "kaccel-min-offload"   /* size_t */
/*
 * utf8 string: one line per algorithm with activity,
 * "<name> offload_ops=N offload_bytes=N sw_ops=N sw_bytes=N sw_<reason>=N... errors=N"
 */
#define KACCEL_PARAM_STATS       "kaccel-stats"
/*
 * utf8 string: one line per algorithm,
 * "<name> <backend:implementation|-> <min-offload> <registered 0|1> <note>"
 */
#define KACCEL_PARAM_ROUTES      "kaccel-routes"
/*
 * utf8 string: one line per algorithm, "<name> <min-offload bytes> <origin>",
 * origin: default | kaccel-min-offload | kaccel-min-offload-algs |
 * "kaccel tune <kaccel-tuned value>" (per-algorithm value next to kaccel-tuned)
 */
#define KACCEL_PARAM_THRESHOLDS  "kaccel-thresholds"
/* size_t: kaccel-min-offload-async (kaccel-min-offload when not set) */
#define KACCEL_PARAM_MIN_OFFLOAD_ASYNC "kaccel-min-offload-async"
/* utf8 string: as KACCEL_PARAM_THRESHOLDS, for operations inside an ASYNC job */
#define KACCEL_PARAM_THRESHOLDS_ASYNC "kaccel-thresholds-async"
/* utf8 string: the DPDK backend's state, devices, queue pairs and counters */
#define KACCEL_PARAM_DPDK        "kaccel-dpdk"

#endif /* KACCEL_KACCEL_H */
