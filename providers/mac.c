/* HMAC and CMAC: not implemented yet. */
#include "prov.h"

const OSSL_DISPATCH *kac_mac_dispatch(enum kac_mode mode)
{
    (void)mode;
    return NULL;
}
