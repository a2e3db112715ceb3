/*
 * Shared by the libFuzzer harnesses: a structured reader over the fuzzer's
 * input (in the spirit of LLVM's FuzzedDataProvider), kaccel loaded into
 * library contexts of its own with several routing configurations for the
 * path under test, the default provider as the reference, and failure
 * reports that abort() so libFuzzer keeps the input.
 *
 * The path is chosen by KACCEL_FUZZ_PATH:
 *   sw     software only (kaccel-backends = none, and afalg where the kernel
 *          has no AF_ALG, as on the build host)
 *   dpdk   the DPDK backend on the software PMD KACTEST_DPDK_DEVICE
 *          (crypto_aesni_mb0 or crypto_openssl0; PMDs in KACTEST_DPDK_PMD_DIR)
 *   afalg  AF_ALG with kaccel-afalg-drivers = any (the kernel's CPU drivers
 *          too, so every algorithm has a kernel route); needs AF_ALG
 * A path that cannot run here exits 77 (skipped).
 */
#ifndef KAC_FUZZ_COMMON_H
#define KAC_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/provider.h>

/* ---- the input reader ---------------------------------------------------- */

struct fz {
    const uint8_t *p;
    size_t n;
};

/* Each returns 0 bits once the input is used up, so every input is a program. */
uint8_t fz_u8(struct fz *f);
uint32_t fz_u32(struct fz *f);
/* lo..hi inclusive. */
size_t fz_range(struct fz *f, size_t lo, size_t hi);
int fz_bool(struct fz *f);
/* 1 with probability about 1/n. */
int fz_one_in(struct fz *f, unsigned n);
/* n bytes of the input (zeros past its end). */
void fz_bytes(struct fz *f, unsigned char *out, size_t n);
int fz_empty(const struct fz *f);

/*
 * A length up to max, biased towards what matters to kaccel: small sizes,
 * block boundaries, the thresholds of fz_configs(), and rarely the backends'
 * operation limits (32 KiB DPDK op, 64 KiB AF_ALG chunk).
 */
size_t fz_len(struct fz *f, size_t max);

/* Deterministic filler for long buffers (seeded from the input). */
void fz_fill(uint64_t seed, unsigned char *buf, size_t len);

/* ---- kaccel and the reference ------------------------------------------- */

#define FZ_MAX_CONFIGS 8

struct fz_kaccel {
    OSSL_LIB_CTX *ctx;
    OSSL_PROVIDER *prov;
    char what[160];  /* the configuration, for reports */
};

struct fz_env {
    const char *path;          /* "sw", "dpdk", "afalg" */
    const char *device;        /* the DPDK device, or NULL */
    struct fz_kaccel k[FZ_MAX_CONFIGS];
    int nk;
    OSSL_LIB_CTX *ref;         /* the default provider alone */
    OSSL_PROVIDER *refprov;
    OSSL_PROVIDER *defprov;    /* the default provider in the default library context */
};

/*
 * Loads kaccel once per routing configuration of the path (thresholds from 0
 * to the default, per-algorithm thresholds, a queue depth of 1), each in its
 * own library context next to the default provider, plus the reference
 * context.  Exits 77 when the path cannot run here, 1 on a setup failure.
 * At exit, prints kaccel's counters and fails (exit 1) when an offload path
 * offloaded nothing.
 */
void fz_env_init(struct fz_env *e, const char *prog);

/* The current input, its op trace, for reports. */
void fz_trace_reset(const uint8_t *data, size_t size);
void fz_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints what failed, the op trace and OpenSSL's errors, then abort(). */
void fz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Hex dump of both buffers where they differ (first difference +-32 bytes). */
void fz_dump_diff(const char *what, const unsigned char *a, const unsigned char *b, size_t n);

#endif
