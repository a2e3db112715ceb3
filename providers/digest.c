/* SHA-1, SHA-2 and SHA-3 digests: not implemented yet. */
#include "prov.h"

const OSSL_DISPATCH *kac_digest_dispatch(enum kac_alg_id id)
{
    (void)id;
    return NULL;
}
