#include "alg.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

const struct kac_alg kac_algs[KAC_ALG_COUNT] = {
#define KAC_ALG_ENUM(id_, name_, names_, kname_, kind_, mode_, keylen_, ivlen_, bs_, out_) \
    [id_] = { id_, name_, names_, kname_, kind_, mode_, keylen_, ivlen_, bs_, out_ },
#include "alg_list.h"
#undef KAC_ALG_ENUM
};

static int names_contain(const char *names, const char *name)
{
    size_t n = strlen(name);
    const char *p = names;

    while (*p != '\0') {
        size_t len = strcspn(p, ":");

        if (len == n && strncasecmp(p, name, n) == 0)
            return 1;
        p += len;
        if (*p == ':')
            p++;
    }
    return 0;
}

const struct kac_alg *kac_alg_by_name(const char *name)
{
    size_t i;

    if (name == NULL)
        return NULL;
    for (i = 0; i < KAC_ALG_COUNT; i++)
        if (strcasecmp(kac_algs[i].name, name) == 0
            || (kac_algs[i].kind != KAC_KIND_MAC && names_contain(kac_algs[i].names, name)))
            return &kac_algs[i];
    return NULL;
}

const struct kac_alg *kac_alg_hmac_for(enum kac_alg_id digest)
{
    static const enum kac_alg_id map[][2] = {
        { KAC_SHA1, KAC_HMAC_SHA1 },         { KAC_SHA2_224, KAC_HMAC_SHA2_224 },
        { KAC_SHA2_256, KAC_HMAC_SHA2_256 }, { KAC_SHA2_384, KAC_HMAC_SHA2_384 },
        { KAC_SHA2_512, KAC_HMAC_SHA2_512 }, { KAC_SHA3_224, KAC_HMAC_SHA3_224 },
        { KAC_SHA3_256, KAC_HMAC_SHA3_256 }, { KAC_SHA3_384, KAC_HMAC_SHA3_384 },
        { KAC_SHA3_512, KAC_HMAC_SHA3_512 },
    };
    size_t i;

    for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (map[i][0] == digest)
            return &kac_algs[map[i][1]];
    return NULL;
}

const struct kac_alg *kac_alg_cmac_for(size_t keylen)
{
    switch (keylen) {
    case 16: return &kac_algs[KAC_CMAC_AES_128];
    case 24: return &kac_algs[KAC_CMAC_AES_192];
    case 32: return &kac_algs[KAC_CMAC_AES_256];
    default: return NULL;
    }
}

const char *kac_alg_mac_sub(const struct kac_alg *a, char *buf, size_t len)
{
    if (a->kind != KAC_KIND_MAC)
        return NULL;
    if (a->mode == KAC_MODE_HMAC)
        snprintf(buf, len, "%s", a->name + 5); /* "HMAC-SHA2-256" */
    else
        snprintf(buf, len, "AES-%u-CBC", a->keylen * 8);
    return buf;
}

const char *kac_alg_ktype(const struct kac_alg *a)
{
    switch (a->kind) {
    case KAC_KIND_CIPHER: return "skcipher";
    case KAC_KIND_AEAD: return "aead";
    default: return "hash";
    }
}
