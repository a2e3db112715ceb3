/* AES-GCM, AES-CCM and ChaCha20-Poly1305: not implemented yet. */
#include "prov.h"

const OSSL_DISPATCH *kac_aead_dispatch(enum kac_alg_id id)
{
    (void)id;
    return NULL;
}
