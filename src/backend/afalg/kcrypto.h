/*
 * The kernel's view of its crypto implementations (/proc/crypto) and the
 * policy deciding which of them are hardware accelerators.
 */
#ifndef KAC_KCRYPTO_H
#define KAC_KCRYPTO_H

#include <stddef.h>
#include <stdio.h>

struct kac_kdriver {
    char name[64];      /* algorithm, e.g. "cbc(aes)" */
    char driver[128];   /* implementation, e.g. "virtio_crypto_aes_cbc" */
    char module[64];    /* "kernel" when built in */
    char type[24];      /* skcipher, aead, shash, ahash, ... */
    int priority;
    int async;
    int internal;
    int selftest_ok;
    int hardware;       /* kac_kdriver_is_hardware(driver) */
};

struct kac_kcrypto {
    struct kac_kdriver *v;
    size_t n;
};

/* Parses /proc/crypto's format.  Returns 1 on success. */
int kac_kcrypto_parse(FILE *f, struct kac_kcrypto *out);
/* Reads /proc/crypto, or the file named by KACCEL_PROC_CRYPTO (tests). */
int kac_kcrypto_load(struct kac_kcrypto *out);
void kac_kcrypto_free(struct kac_kcrypto *kc);

/*
 * 1 when the driver name denotes an off-CPU implementation.  CPU
 * implementations are recognised by their conventional names (-generic,
 * -aesni, -avx*, -ce, -neon, -lib, fixed-time, ...) and kernel templates
 * composing on the CPU (cbc(...), gcm_base(...), hmac(...), ...) are software
 * whatever they wrap.
 */
int kac_kdriver_is_hardware(const char *driver);

/*
 * Highest-priority usable implementation of a kernel algorithm name: selftest
 * passed, not internal, of an AF_ALG-reachable type; hardware only when asked.
 */
const struct kac_kdriver *kac_kcrypto_best(const struct kac_kcrypto *kc, const char *alg,
                                           int hardware_only);

#endif
