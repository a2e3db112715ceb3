/*
 * Every algorithm kaccel knows: its OpenSSL names (so openssl, libssl and kTLS
 * find it), the kernel crypto API name AF_ALG binds, and its shape.  Adding an
 * algorithm is one line in alg.c.
 */
#ifndef KAC_ALG_H
#define KAC_ALG_H

#include <stddef.h>

enum kac_kind {
    KAC_KIND_CIPHER, /* ECB, CBC, CTR, XTS */
    KAC_KIND_AEAD,   /* GCM, CCM, ChaCha20-Poly1305 */
    KAC_KIND_DIGEST,
    KAC_KIND_MAC,    /* HMAC over a digest, CMAC over AES: counted per variant */
};

enum kac_mode {
    KAC_MODE_NONE,
    KAC_MODE_ECB,
    KAC_MODE_CBC,
    KAC_MODE_CTR,
    KAC_MODE_XTS,
    KAC_MODE_GCM,
    KAC_MODE_CCM,
    KAC_MODE_CHACHAPOLY,
    KAC_MODE_HMAC,
    KAC_MODE_CMAC,
};

enum kac_alg_id {
#define KAC_ALG_ENUM(id, ...) id,
#include "alg_list.h"
#undef KAC_ALG_ENUM
    KAC_ALG_COUNT
};

struct kac_alg {
    enum kac_alg_id id;
    const char *name;     /* canonical OpenSSL name, used for the software fetch */
    const char *names;    /* OSSL_ALGORITHM names: name, aliases, OID */
    const char *kname;    /* kernel crypto API algorithm name */
    enum kac_kind kind;
    enum kac_mode mode;
    unsigned keylen;      /* bytes; MACs: 0 (variable) */
    unsigned ivlen;       /* default IV length */
    unsigned blocksize;   /* EVP block size: 1 for stream modes; digest block size */
    unsigned outlen;      /* digest / MAC output size; AEAD default tag size */
};

extern const struct kac_alg kac_algs[KAC_ALG_COUNT];

/*
 * A 128-bit big-endian counter block += n blocks, as OpenSSL's CTR and the
 * kernel's ctr() count (callers split ops where a device counts fewer bits).
 */
static inline void kac_ctr128_add(unsigned char ctr[16], size_t n)
{
    int i;

    for (i = 15; i >= 0 && n != 0; i--) {
        n += ctr[i];
        ctr[i] = (unsigned char)n;
        n >>= 8;
    }
}

/* By canonical name or alias (case-insensitive); NULL when unknown. */
const struct kac_alg *kac_alg_by_name(const char *name);
/* The HMAC variant over a digest (by kaccel digest id), or NULL. */
const struct kac_alg *kac_alg_hmac_for(enum kac_alg_id digest);
/* The CMAC variant for an AES key length in bytes, or NULL. */
const struct kac_alg *kac_alg_cmac_for(size_t keylen);
/*
 * What a MAC variant computes with, by OpenSSL name, into buf: the digest of
 * an HMAC ("SHA2-256"), the cipher of a CMAC ("AES-128-CBC"); NULL for other
 * algorithms.
 */
const char *kac_alg_mac_sub(const struct kac_alg *a, char *buf, size_t len);
/* AF_ALG socket type for a kind: "skcipher", "aead" or "hash". */
const char *kac_alg_ktype(const struct kac_alg *a);

#endif
