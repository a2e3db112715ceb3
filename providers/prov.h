/* The provider context shared by every kaccel algorithm implementation. */
#ifndef KAC_PROV_H
#define KAC_PROV_H

#include <openssl/core.h>
#include <openssl/types.h>

#include "../src/core/config.h"
#include "../src/core/route.h"

struct kac_prov {
    const OSSL_CORE_HANDLE *handle;
    OSSL_LIB_CTX *swctx;      /* private library context: "default" provider only */
    OSSL_PROVIDER *swprov;
    struct kac_config cfg;
    struct kac_router router;
    EVP_CIPHER *swcipher[KAC_ALG_COUNT]; /* software implementations, fetched at init */
    EVP_MD *swmd[KAC_ALG_COUNT];
    EVP_MAC *swhmac, *swcmac;
    OSSL_ALGORITHM *ops_cipher, *ops_digest, *ops_mac;
};

/* The software cipher for an algorithm (fetched once at init). */
static inline const EVP_CIPHER *kac_prov_swcipher(const struct kac_prov *p, enum kac_alg_id id)
{
    return p->swcipher[id];
}

/*
 * Per-algorithm dispatch tables, one getter per operation file; NULL when the
 * file has no implementation for that algorithm.
 */
const OSSL_DISPATCH *kac_cipher_dispatch(enum kac_alg_id id); /* cipher.c: ECB CBC CTR XTS */
const OSSL_DISPATCH *kac_aead_dispatch(enum kac_alg_id id);   /* aead.c: GCM CCM ChaChaPoly */
const OSSL_DISPATCH *kac_digest_dispatch(enum kac_alg_id id); /* digest.c: SHA1 SHA2 SHA3 */
const OSSL_DISPATCH *kac_mac_dispatch(enum kac_mode mode);    /* mac.c: HMAC, CMAC */

#endif
