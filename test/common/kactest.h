/*
 * Test helpers: kaccel loaded into a private library context with a chosen
 * configuration (written to a temporary openssl.cnf), next to the default
 * provider as the reference, and kaccel's counters read back.
 */
#ifndef KAC_TEST_KACTEST_H
#define KAC_TEST_KACTEST_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

struct kactest {
    OSSL_LIB_CTX *ctx;       /* kaccel + default */
    OSSL_PROVIDER *kaccel;
    OSSL_LIB_CTX *ref;       /* default only: the reference */
    OSSL_PROVIDER *refprov;
    char cnf[64];
};

/*
 * Loads kaccel with the given "key = value" lines (NULL-terminated list, e.g.
 * "kaccel-min-offload = 0").  Fails the test on error.
 */
void kactest_open(struct kactest *t, const char *const *kaccel_lines);
void kactest_close(struct kactest *t);

/* Counter from kaccel's "kaccel-stats" for an algorithm (0 when absent). */
uint64_t kactest_stat(struct kactest *t, const char *alg, const char *counter);
/*
 * Where kaccel routes alg: the AF_ALG driver name, "dpdk:<device>", or NULL
 * for software.
 */
const char *kactest_route(struct kactest *t, const char *alg);

/*
 * openssl.cnf lines routing everything to the DPDK backend on the software
 * PMD named by KACTEST_DPDK_DEVICE (default crypto_aesni_mb0), its driver
 * loaded from KACTEST_DPDK_PMD_DIR; extra lines (NULL-terminated, may be
 * NULL) are appended.  Returns a static NULL-terminated list, or NULL when
 * the PMD is not installed (the test then skips).  The EAL comes up once per
 * process: every kactest_open() of one process must use the same device.
 */
const char *const *kactest_dpdk_lines(const char *const *extra);
/* The device kactest_dpdk_lines() uses ("crypto_aesni_mb0"...). */
const char *kactest_dpdk_device(void);

/* Hex string to bytes; returns the byte count (strlen / 2). */
size_t kactest_unhex(const char *hex, unsigned char *out);

/* Deterministic pseudo-random bytes (xorshift), for reproducible failures. */
void kactest_rand(uint64_t *state, unsigned char *buf, size_t len);
uint64_t kactest_seed(void); /* KACCEL_TEST_SEED or time; printed */

#endif
