/*
 * Parameter fuzzing: for every cipher, digest and MAC kaccel provides, a
 * program of random calls - set and get context parameters (the names the
 * algorithm declares settable or gettable, and others) with random types,
 * sizes and values, NULL data, buffers of exactly the stated size; init with
 * random key and IV lengths; updates, finals, copies and ctrls in between.
 *
 * What must hold (besides ASan and UBSan staying silent, which the build
 * enforces):
 *  - no crash, no hang;
 *  - every error kaccel leaves on the queue is a clean OpenSSL error: it has
 *    a library and a reason that OpenSSL can name;
 *  - what a getter reports fits the buffer it was given (return_size).
 * A context of the default provider runs the same program alongside; calls
 * where kaccel fails without an error and the default provider succeeds are
 * counted and reported at exit (not fatal: after sequences the API leaves
 * undefined the two may legitimately be in different states).
 *
 * Left out because OpenSSL 3.0's default provider itself crashes on them
 * (KACCEL_FUZZ_REFERENCE_ONLY=1 runs the default provider on both sides to
 * tell): see build_params() and struct ctxs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include "fuzz_common.h"

#define MAX_OPS 32
#define MAX_DATA 600

static struct fz_env env;
static void quiet_report(void);

enum kind { K_CIPHER, K_MD, K_MAC };
struct alg {
    enum kind kind;
    char name[64];
    void *k[FZ_MAX_CONFIGS]; /* EVP_CIPHER, EVP_MD or EVP_MAC of kaccel, per configuration */
    void *r;                 /* the default provider's */
};
static struct alg algs[96];
static size_t nalgs;

/* Names from OpenSSL's core_names.h that these algorithms could take. */
static const char *const known[] = {
    OSSL_CIPHER_PARAM_PADDING, OSSL_CIPHER_PARAM_USE_BITS, OSSL_CIPHER_PARAM_TLS_VERSION,
    OSSL_CIPHER_PARAM_TLS_MAC, OSSL_CIPHER_PARAM_TLS_MAC_SIZE, OSSL_CIPHER_PARAM_MODE,
    OSSL_CIPHER_PARAM_BLOCK_SIZE, OSSL_CIPHER_PARAM_AEAD, OSSL_CIPHER_PARAM_CUSTOM_IV,
    OSSL_CIPHER_PARAM_CTS, OSSL_CIPHER_PARAM_TLS1_MULTIBLOCK, OSSL_CIPHER_PARAM_HAS_RAND_KEY,
    OSSL_CIPHER_PARAM_KEYLEN, OSSL_CIPHER_PARAM_IVLEN, OSSL_CIPHER_PARAM_IV,
    OSSL_CIPHER_PARAM_UPDATED_IV, OSSL_CIPHER_PARAM_NUM, OSSL_CIPHER_PARAM_ROUNDS,
    OSSL_CIPHER_PARAM_AEAD_TAG, OSSL_CIPHER_PARAM_AEAD_TLS1_AAD,
    OSSL_CIPHER_PARAM_AEAD_TLS1_AAD_PAD, OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED,
    OSSL_CIPHER_PARAM_AEAD_TLS1_GET_IV_GEN, OSSL_CIPHER_PARAM_AEAD_TLS1_SET_IV_INV,
    OSSL_CIPHER_PARAM_AEAD_IVLEN, OSSL_CIPHER_PARAM_AEAD_TAGLEN, OSSL_CIPHER_PARAM_AEAD_MAC_KEY,
    OSSL_CIPHER_PARAM_RANDOM_KEY, OSSL_CIPHER_PARAM_SPEED, OSSL_CIPHER_PARAM_CTS_MODE,
    OSSL_CIPHER_PARAM_TLS1_MULTIBLOCK_MAX_SEND_FRAGMENT, OSSL_CIPHER_PARAM_TLS1_MULTIBLOCK_AAD,
    OSSL_CIPHER_PARAM_TLS1_MULTIBLOCK_INTERLEAVE, OSSL_DIGEST_PARAM_XOFLEN,
    OSSL_DIGEST_PARAM_SSL3_MS, OSSL_DIGEST_PARAM_PAD_TYPE, OSSL_DIGEST_PARAM_MICALG,
    OSSL_DIGEST_PARAM_BLOCK_SIZE, OSSL_DIGEST_PARAM_SIZE, OSSL_MAC_PARAM_KEY, OSSL_MAC_PARAM_IV,
    OSSL_MAC_PARAM_CUSTOM, OSSL_MAC_PARAM_SALT, OSSL_MAC_PARAM_XOF, OSSL_MAC_PARAM_DIGEST_NOINIT,
    OSSL_MAC_PARAM_DIGEST_ONESHOT, OSSL_MAC_PARAM_CIPHER, OSSL_MAC_PARAM_DIGEST,
    OSSL_MAC_PARAM_PROPERTIES, OSSL_MAC_PARAM_SIZE, OSSL_MAC_PARAM_BLOCK_SIZE,
    OSSL_MAC_PARAM_TLS_DATA_SIZE, "kaccel-min-offload", "", "x",
};
#define NKNOWN (sizeof(known) / sizeof(known[0]))

/* Plausible string values: algorithm names, properties, junk. */
static const char *const strings[] = {
    "SHA2-256", "SHA1", "SHA3-512", "SHA2-512/256", "MD5", "AES-128-CBC", "AES-256-CBC",
    "AES-192-CBC", "AES-128-GCM", "AES-128-ECB", "DES-EDE3-CBC", "provider=kaccel",
    "provider=default", "?provider=kaccel", "fips=yes", "SHAKE-128", "HMAC", "", "\xff\xfe",
    "NULL", "CMAC", "SM3",
};
#define NSTRINGS (sizeof(strings) / sizeof(strings[0]))

static void collect_cipher(EVP_CIPHER *c, void *arg)
{
    const char *pn = OSSL_PROVIDER_get0_name(EVP_CIPHER_get0_provider(c));

    (void)arg;
    if (strcmp(pn, "kaccel") == 0 && nalgs < sizeof(algs) / sizeof(algs[0])) {
        algs[nalgs].kind = K_CIPHER;
        snprintf(algs[nalgs].name, sizeof(algs[0].name), "%s", EVP_CIPHER_get0_name(c));
        nalgs++;
    }
}

static void collect_md(EVP_MD *m, void *arg)
{
    const char *pn = OSSL_PROVIDER_get0_name(EVP_MD_get0_provider(m));

    (void)arg;
    if (strcmp(pn, "kaccel") == 0 && nalgs < sizeof(algs) / sizeof(algs[0])) {
        algs[nalgs].kind = K_MD;
        snprintf(algs[nalgs].name, sizeof(algs[0].name), "%s", EVP_MD_get0_name(m));
        nalgs++;
    }
}

static void collect_mac(EVP_MAC *m, void *arg)
{
    const char *pn = OSSL_PROVIDER_get0_name(EVP_MAC_get0_provider(m));

    (void)arg;
    if (strcmp(pn, "kaccel") == 0 && nalgs < sizeof(algs) / sizeof(algs[0])) {
        algs[nalgs].kind = K_MAC;
        snprintf(algs[nalgs].name, sizeof(algs[0].name), "%s", EVP_MAC_get0_name(m));
        nalgs++;
    }
}

static void *fetch(enum kind kind, OSSL_LIB_CTX *ctx, const char *name, const char *propq)
{
    switch (kind) {
    case K_CIPHER:
        return EVP_CIPHER_fetch(ctx, name, propq);
    case K_MD:
        return EVP_MD_fetch(ctx, name, propq);
    default:
        return EVP_MAC_fetch(ctx, name, propq);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    size_t i;
    int k, refonly;

    fz_env_init(&env, (*argv)[0]);
    EVP_CIPHER_do_all_provided(env.k[0].ctx, collect_cipher, NULL);
    EVP_MD_do_all_provided(env.k[0].ctx, collect_md, NULL);
    EVP_MAC_do_all_provided(env.k[0].ctx, collect_mac, NULL);
    if (nalgs == 0) {
        fprintf(stderr, "kac-fuzz: kaccel provides nothing\n");
        exit(1);
    }
    /*
     * KACCEL_FUZZ_REFERENCE_ONLY=1 (triage): the default provider on both
     * sides, to tell OpenSSL's own crashes from kaccel's.
     */
    refonly = getenv("KACCEL_FUZZ_REFERENCE_ONLY") != NULL;
    for (i = 0; i < nalgs; i++) {
        for (k = 0; k < env.nk; k++)
            if ((algs[i].k[k] = fetch(algs[i].kind, refonly ? env.ref : env.k[k].ctx,
                                      algs[i].name, refonly ? NULL : "provider=kaccel"))
                == NULL) {
                fprintf(stderr, "kac-fuzz: %s missing in configuration %d\n", algs[i].name, k);
                exit(1);
            }
        algs[i].r = fetch(algs[i].kind, env.ref, algs[i].name, NULL);
    }
    fprintf(stderr, "kac-fuzz: %zu algorithms of kaccel\n", nalgs);
    atexit(quiet_report);
    return 0;
}

/* ---- errors ---------------------------------------------------------------- */

static unsigned long quiet;
static char quiet_first[64];

/*
 * Checks kaccel's error queue after a call: every error nameable; a failure
 * without an error where the default provider succeeded is counted.  Clears
 * the queue.
 */
static void check_errors(const char *what, int kok, int rok)
{
    unsigned long e;
    const char *file, *func, *data;
    int line, flags, n = 0;

    while ((e = ERR_get_error_all(&file, &line, &func, &data, &flags)) != 0) {
        n++;
        if (ERR_GET_LIB(e) == 0 || ERR_GET_REASON(e) == 0
            || ERR_reason_error_string(e) == NULL)
            fz_fail("%s: an unnamed error %lx (lib %d reason %d) from %s:%d %s", what, e,
                    ERR_GET_LIB(e), ERR_GET_REASON(e), file, line, func ? func : "");
    }
    if (!kok && n == 0 && rok) {
        /*
         * Counted, not fatal: after sequences the API leaves undefined (a
         * final on a TLS record context, say) kaccel's software context and
         * the reference may be in different states.
         */
        if (quiet++ == 0)
            snprintf(quiet_first, sizeof(quiet_first), "%s", what);
    }
}

static void quiet_report(void)
{
    fprintf(stderr, "kac-fuzz: kaccel calls that failed without an error where the default "
                    "provider succeeded: %lu%s%s\n", quiet, quiet ? ", first: " : "",
            quiet ? quiet_first : "");
}

/* ---- random parameters ----------------------------------------------------- */

/* One parameter with its own storage (exactly data_size bytes, for ASan). */
struct rparam {
    void *buf;       /* the data, or the pointed-to data for *_PTR */
    void *ptr;       /* *_PTR: the pointer the parameter's data points at */
    size_t alloc;    /* bytes of buf */
};

static const char *pick_key(struct fz *f, const OSSL_PARAM *settable, const OSSL_PARAM *gettable,
                            unsigned *type)
{
    unsigned sel = fz_u8(f) % 8;
    const OSSL_PARAM *t = sel < 4 ? settable : sel < 6 ? gettable : NULL;
    size_t n = 0;

    *type = 0;
    if (t != NULL)
        for (n = 0; t[n].key != NULL; n++)
            ;
    if (n > 0) {
        const OSSL_PARAM *p = &t[fz_u8(f) % n];

        *type = p->data_type;
        return p->key;
    }
    return known[fz_u8(f) % NKNOWN];
}

static size_t pick_size(struct fz *f, unsigned type)
{
    static const size_t ints[] = { 4, 8, 4, 8, 1, 2, 3, 0, 16, 5 };
    unsigned sel = fz_u8(f) % 8;

    if ((type == OSSL_PARAM_INTEGER || type == OSSL_PARAM_UNSIGNED_INTEGER) && sel < 6)
        return ints[fz_u8(f) % (sizeof(ints) / sizeof(ints[0]))];
    if (type == OSSL_PARAM_REAL && sel < 6)
        return sizeof(double);
    if (sel < 5)
        return fz_range(f, 0, 20);
    if (sel < 7)
        return fz_range(f, 0, 300);
    return fz_range(f, 0, MAX_DATA);
}

/*
 * Builds n random parameters into p (terminated).  set: filled with values;
 * get: zeroed buffers of the chosen size, sometimes NULL data (a size query).
 */
static void build_params(struct fz *f, OSSL_PARAM *p, struct rparam *rp, size_t n,
                         const OSSL_PARAM *settable, const OSSL_PARAM *gettable, int set,
                         int ccm)
{
    static const unsigned types[] = { OSSL_PARAM_INTEGER, OSSL_PARAM_UNSIGNED_INTEGER,
                                      OSSL_PARAM_REAL, OSSL_PARAM_UTF8_STRING,
                                      OSSL_PARAM_OCTET_STRING, OSSL_PARAM_UTF8_PTR,
                                      OSSL_PARAM_OCTET_PTR };
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned type;
        int ivget;
        const char *key = pick_key(f, settable, gettable, &type);

        /*
         * OpenSSL 3.0's GCM takes a "tlsivfixed" longer than the IV and
         * overruns its context (the default provider alone crashes the same
         * way): not set here (the diff harness sets it with valid lengths).
         */
        if (set && strcmp(key, OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED) == 0)
            key = OSSL_CIPHER_PARAM_AEAD_TLS1_AAD;
        /*
         * Likewise HMAC's "digest-noinit" / "digest-oneshot": OpenSSL 3.0's
         * HMAC then double-frees after a dup and a new key (the default
         * provider alone does, KACCEL_FUZZ_REFERENCE_ONLY=1 shows it).
         */
        if (set && (strcmp(key, OSSL_MAC_PARAM_DIGEST_NOINIT) == 0
                    || strcmp(key, OSSL_MAC_PARAM_DIGEST_ONESHOT) == 0))
            key = OSSL_MAC_PARAM_SIZE;
        /*
         * And HMAC's "tls-data-size": in that mode OpenSSL reads the record
         * and writes the MAC by libssl's layout, past the lengths it is given
         * (the default provider overruns the harness's exact-size buffers).
         */
        if (set && strcmp(key, OSSL_MAC_PARAM_TLS_DATA_SIZE) == 0)
            key = OSSL_MAC_PARAM_SIZE;
        /*
         * OpenSSL 3.0's CCM copies as many bytes as the caller's buffer holds
         * out of its 16-byte IV for "iv" and "updated-iv": read into 16 bytes
         * at most here (below).
         */
        ivget = !set && (strcmp(key, OSSL_CIPHER_PARAM_IV) == 0
                         || strcmp(key, OSSL_CIPHER_PARAM_UPDATED_IV) == 0);
        size_t size;
        /*
         * NULL data only in a set of an AEAD tag (a tag length): elsewhere
         * OpenSSL 3.0's own code reads or writes through it (GCM's "tag"
         * getter, OSSL_PARAM_set_*() of a REAL), the default provider's as
         * much as kaccel's.
         */
        int nodata = fz_one_in(f, 12) && set && strcmp(key, OSSL_CIPHER_PARAM_AEAD_TAG) == 0;

        if (type == 0 || fz_one_in(f, 5))
            type = types[fz_u8(f) % (sizeof(types) / sizeof(types[0]))];
        /* OpenSSL 3.0's OSSL_PARAM_set_*() write a REAL through NULL data */
        if (type == OSSL_PARAM_REAL)
            nodata = 0;
        size = pick_size(f, type);
        if (ivget && ccm && size > 16)
            size = 16;
        rp[i].buf = rp[i].ptr = NULL;
        rp[i].alloc = 0;
        if (type == OSSL_PARAM_UTF8_STRING && set && fz_bool(f)) {
            const char *s = strings[fz_u8(f) % NSTRINGS];

            size = strlen(s);
            rp[i].alloc = size + 1;
            rp[i].buf = malloc(rp[i].alloc);
            memcpy(rp[i].buf, s, size + 1);
        } else if (!nodata) {
            /* exactly size bytes (a NUL after strings: callers' strings end in one) */
            rp[i].alloc = size + (type == OSSL_PARAM_UTF8_STRING ? 1 : 0) + (size == 0);
            rp[i].buf = malloc(rp[i].alloc);
            if (set)
                fz_bytes(f, rp[i].buf, size);
            else
                memset(rp[i].buf, 0, size);
            if (type == OSSL_PARAM_UTF8_STRING)
                ((char *)rp[i].buf)[size] = '\0';
        }
        if (rp[i].buf == NULL && !nodata)
            abort();
        if (type == OSSL_PARAM_UTF8_PTR || type == OSSL_PARAM_OCTET_PTR) {
            /* data: a pointer to the buffer (or to NULL) */
            rp[i].ptr = malloc(sizeof(void *));
            if (rp[i].ptr == NULL)
                abort();
            *(void **)rp[i].ptr = set ? rp[i].buf : NULL;
            p[i] = (OSSL_PARAM){ key, type, rp[i].ptr, size, OSSL_PARAM_UNMODIFIED };
        } else {
            p[i] = (OSSL_PARAM){ key, type, rp[i].buf, size, OSSL_PARAM_UNMODIFIED };
        }
    }
    p[n] = (OSSL_PARAM)OSSL_PARAM_END;
}

static void free_params(struct rparam *rp, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free(rp[i].buf);
        free(rp[i].ptr);
    }
}

/* The same parameters for the reference (its own storage, same contents). */
static void clone_params(const OSSL_PARAM *src, OSSL_PARAM *dst, struct rparam *rsrc,
                         struct rparam *rdst, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        int isptr = src[i].data_type == OSSL_PARAM_UTF8_PTR
                    || src[i].data_type == OSSL_PARAM_OCTET_PTR;

        rdst[i].buf = rdst[i].ptr = NULL;
        rdst[i].alloc = rsrc[i].alloc;
        if (rsrc[i].buf != NULL) {
            rdst[i].buf = malloc(rsrc[i].alloc);
            if (rdst[i].buf == NULL)
                abort();
            memcpy(rdst[i].buf, rsrc[i].buf, rsrc[i].alloc);
        }
        dst[i] = src[i];
        if (isptr) {
            rdst[i].ptr = malloc(sizeof(void *));
            if (rdst[i].ptr == NULL)
                abort();
            *(void **)rdst[i].ptr = *(void **)rsrc[i].ptr != NULL ? rdst[i].buf : NULL;
            dst[i].data = rdst[i].ptr;
        } else {
            dst[i].data = rdst[i].buf;
        }
    }
    dst[n] = (OSSL_PARAM)OSSL_PARAM_END;
}

/* ---- the contexts ----------------------------------------------------------- */

struct ctxs {
    const struct alg *a;
    int k;
    EVP_CIPHER_CTX *kc, *rc;
    EVP_MD_CTX *km, *rm;
    EVP_MAC_CTX *kmac, *rmac;
    /*
     * The reference cipher context's last init had a key.  OpenSSL 3.0's
     * own XTS calls a NULL function when given data without a key (or after
     * a keyless re-init for the other direction): otherwise data and ctrls
     * go to kaccel alone.
     */
    int rkeyed;
};

static void ctxs_free(struct ctxs *c)
{
    EVP_CIPHER_CTX_free(c->kc);
    EVP_CIPHER_CTX_free(c->rc);
    EVP_MD_CTX_free(c->km);
    EVP_MD_CTX_free(c->rm);
    EVP_MAC_CTX_free(c->kmac);
    EVP_MAC_CTX_free(c->rmac);
    c->kc = c->rc = NULL;
    c->km = c->rm = NULL;
    c->kmac = c->rmac = NULL;
}

static void ctxs_new(struct ctxs *c)
{
    ctxs_free(c);
    c->rkeyed = 0;
    switch (c->a->kind) {
    case K_CIPHER:
        c->kc = EVP_CIPHER_CTX_new();
        c->rc = EVP_CIPHER_CTX_new();
        break;
    case K_MD:
        c->km = EVP_MD_CTX_new();
        c->rm = EVP_MD_CTX_new();
        break;
    case K_MAC:
        c->kmac = EVP_MAC_CTX_new(c->a->k[c->k]);
        c->rmac = EVP_MAC_CTX_new(c->a->r);
        break;
    }
}

static const OSSL_PARAM *settable(const struct ctxs *c)
{
    switch (c->a->kind) {
    case K_CIPHER:
        /* (EVP_CIPHER_CTX_settable_params() needs a cipher set) */
        return EVP_CIPHER_CTX_get0_cipher(c->kc) != NULL
                   ? EVP_CIPHER_CTX_settable_params(c->kc)
                   : EVP_CIPHER_settable_ctx_params(c->a->k[c->k]);
    case K_MD:
        return EVP_MD_settable_ctx_params(c->a->k[c->k]);
    default:
        return EVP_MAC_settable_ctx_params(c->a->k[c->k]);
    }
}

static const OSSL_PARAM *gettable(const struct ctxs *c)
{
    switch (c->a->kind) {
    case K_CIPHER:
        return EVP_CIPHER_gettable_ctx_params(c->a->k[c->k]);
    case K_MD:
        return EVP_MD_gettable_ctx_params(c->a->k[c->k]);
    default:
        return EVP_MAC_gettable_ctx_params(c->a->k[c->k]);
    }
}

static int is_ccm(const struct ctxs *c)
{
    return c->a->kind == K_CIPHER && strstr(c->a->name, "CCM") != NULL;
}

static void op_params(struct fz *f, struct ctxs *c, int set)
{
    OSSL_PARAM kp[5], rp[5];
    struct rparam kr[4], rr[4];
    size_t n = 1 + fz_u8(f) % 4;
    int kok = 0, rok = 0;
    const char *what = set ? "set_ctx_params" : "get_ctx_params";

    build_params(f, kp, kr, n, settable(c), gettable(c), set, is_ccm(c));
    clone_params(kp, rp, kr, rr, n);
    {
        char desc[140];
        size_t i, l = 0;

        desc[0] = '\0';
        for (i = 0; i < n && l < sizeof(desc); i++)
            l += (size_t)snprintf(desc + l, sizeof(desc) - l, " %s(type %u, %zu%s)", kp[i].key,
                                  kp[i].data_type, kp[i].data_size,
                                  kp[i].data == NULL ? ", NULL" : "");
        fz_trace("%s%s", what, desc);
    }
    switch (c->a->kind) {
    case K_CIPHER:
        kok = set ? EVP_CIPHER_CTX_set_params(c->kc, kp) : EVP_CIPHER_CTX_get_params(c->kc, kp);
        ERR_set_mark();
        rok = set ? EVP_CIPHER_CTX_set_params(c->rc, rp) : EVP_CIPHER_CTX_get_params(c->rc, rp);
        ERR_pop_to_mark();
        break;
    case K_MD:
        kok = set ? EVP_MD_CTX_set_params(c->km, kp) : EVP_MD_CTX_get_params(c->km, kp);
        ERR_set_mark();
        rok = set ? EVP_MD_CTX_set_params(c->rm, rp) : EVP_MD_CTX_get_params(c->rm, rp);
        ERR_pop_to_mark();
        break;
    case K_MAC:
        kok = set ? EVP_MAC_CTX_set_params(c->kmac, kp) : EVP_MAC_CTX_get_params(c->kmac, kp);
        ERR_set_mark();
        rok = set ? EVP_MAC_CTX_set_params(c->rmac, rp) : EVP_MAC_CTX_get_params(c->rmac, rp);
        ERR_pop_to_mark();
        break;
    }
    if (!set) {
        size_t i;

        /* what a provider reports must fit what it was given */
        for (i = 0; i < n; i++)
            if (kp[i].return_size != OSSL_PARAM_UNMODIFIED && kp[i].data != NULL
                && kp[i].data_type != OSSL_PARAM_UTF8_PTR
                && kp[i].data_type != OSSL_PARAM_OCTET_PTR && kok
                && kp[i].return_size > kp[i].data_size
                + (kp[i].data_type == OSSL_PARAM_UTF8_STRING))
                fz_fail("get %s: return_size %zu exceeds data_size %zu", kp[i].key,
                        kp[i].return_size, kp[i].data_size);
    }
    check_errors(what, kok > 0, rok > 0);
    free_params(kr, n);
    free_params(rr, n);
}

/* init with random key and IV lengths, sometimes random parameters too. */
static void op_init(struct fz *f, struct ctxs *c)
{
    /* the EVP layer reads as many key and IV bytes as the context's lengths say */
    unsigned char key[80], iv[256];
    size_t keylen = fz_bool(f) ? 0 : fz_range(f, 0, sizeof(key));
    size_t ivlen = fz_range(f, 0, 40);
    int enc = fz_bool(f), withkey = !fz_one_in(f, 4), withiv = fz_bool(f);
    int params = fz_one_in(f, 3), kok = 0, rok = 0;
    OSSL_PARAM kp[3], rp[3];
    struct rparam kr[2], rr[2];
    size_t n = params ? 1 + fz_u8(f) % 2 : 0;

    if (c->a->kind == K_CIPHER && keylen == 0)
        keylen = (size_t)EVP_CIPHER_get_key_length(c->a->r);
    if (c->a->kind == K_CIPHER && ivlen > 16 && fz_bool(f))
        ivlen = (size_t)EVP_CIPHER_get_iv_length(c->a->r);
    if (c->a->kind == K_MAC && keylen == 0)
        keylen = 16;
    fz_bytes(f, key, keylen);
    fz_bytes(f, iv, ivlen);
    build_params(f, kp, kr, n, settable(c), gettable(c), 1, is_ccm(c));
    clone_params(kp, rp, kr, rr, n);
    fz_trace("init key %zu iv %zu enc %d params %zu", withkey ? keylen : 0,
             withiv ? ivlen : 0, enc, n);
    switch (c->a->kind) {
    case K_CIPHER:
        /* the key and IV lengths go through the parameters: the EVP layer takes them */
        kok = EVP_CipherInit_ex2(c->kc, c->a->k[c->k], withkey ? key : NULL,
                                 withiv ? iv : NULL, enc, n ? kp : NULL);
        ERR_set_mark();
        rok = EVP_CipherInit_ex2(c->rc, c->a->r, withkey ? key : NULL, withiv ? iv : NULL, enc,
                                 n ? rp : NULL);
        ERR_pop_to_mark();
        /* a re-init without a key (XTS: for the other direction) counts as keyless too */
        c->rkeyed = rok > 0 && withkey;
        break;
    case K_MD:
        kok = EVP_DigestInit_ex2(c->km, c->a->k[c->k], n ? kp : NULL);
        ERR_set_mark();
        rok = EVP_DigestInit_ex2(c->rm, c->a->r, n ? rp : NULL);
        ERR_pop_to_mark();
        break;
    case K_MAC:
        kok = EVP_MAC_init(c->kmac, withkey ? key : NULL, keylen, n ? kp : NULL);
        ERR_set_mark();
        rok = EVP_MAC_init(c->rmac, withkey ? key : NULL, keylen, n ? rp : NULL);
        ERR_pop_to_mark();
        break;
    }
    check_errors("init", kok > 0, rok > 0);
    free_params(kr, n);
    free_params(rr, n);
}

/* Data through both (exact-size output buffers, so ASan sees any overrun). */
static void op_update(struct fz *f, struct ctxs *c, int final, int raw)
{
    size_t len = final ? 0 : fz_range(f, 0, fz_bool(f) ? 64 : 2048);
    unsigned char *in;
    int kok = 0, rok = 0;

    /* OpenSSL's own EVP layer needs a cipher or digest before data */
    if ((c->a->kind == K_CIPHER
         && (EVP_CIPHER_CTX_get0_cipher(c->kc) == NULL
             || EVP_CIPHER_CTX_get0_cipher(c->rc) == NULL))
        || (c->a->kind == K_MD
            && (EVP_MD_CTX_get0_md(c->km) == NULL || EVP_MD_CTX_get0_md(c->rm) == NULL)))
        return;
    if ((in = malloc(len + 1)) == NULL)
        abort();
    fz_fill(fz_u32(f), in, len);
    fz_trace("%s %zu", final ? "final" : raw ? "EVP_Cipher" : "update", len);
    switch (c->a->kind) {
    case K_CIPHER: {
        int bs = EVP_CIPHER_CTX_get_block_size(c->kc), ol = 0;
        size_t osz = len + (bs > 0 ? (size_t)bs : 16);
        int inplace = !final && fz_one_in(f, 3);
        unsigned char *ko = malloc(osz), *ro = malloc(osz);

        if (ko == NULL || ro == NULL)
            abort();
        if (inplace) {
            memcpy(ko, in, len);
            memcpy(ro, in, len);
        }
        rok = 0; /* without a key, kaccel alone, its quietness not judged (struct ctxs) */
        if (final) {
            kok = EVP_CipherFinal_ex(c->kc, ko, &ol);
            ERR_set_mark();
            if (c->rkeyed)
                rok = EVP_CipherFinal_ex(c->rc, ro, &ol);
            ERR_pop_to_mark();
        } else if (raw) {
            kok = EVP_Cipher(c->kc, ko, inplace ? ko : in, (unsigned)len) >= 0;
            ERR_set_mark();
            if (c->rkeyed)
                rok = EVP_Cipher(c->rc, ro, inplace ? ro : in, (unsigned)len) >= 0;
            ERR_pop_to_mark();
        } else {
            kok = EVP_CipherUpdate(c->kc, ko, &ol, inplace ? ko : in, (int)len);
            ERR_set_mark();
            if (c->rkeyed)
                rok = EVP_CipherUpdate(c->rc, ro, &ol, inplace ? ro : in, (int)len);
            ERR_pop_to_mark();
        }
        free(ko);
        free(ro);
        break;
    }
    case K_MD:
        if (final) {
            int ks = EVP_MD_CTX_get_size(c->km);
            unsigned char *ko = malloc(ks > 0 ? (size_t)ks : 1), *ro = malloc(EVP_MAX_MD_SIZE);
            unsigned ol = 0;

            if (ko == NULL || ro == NULL)
                abort();
            kok = EVP_DigestFinal_ex(c->km, ko, &ol);
            ERR_set_mark();
            rok = EVP_DigestFinal_ex(c->rm, ro, &ol);
            ERR_pop_to_mark();
            free(ko);
            free(ro);
        } else {
            kok = EVP_DigestUpdate(c->km, in, len);
            ERR_set_mark();
            rok = EVP_DigestUpdate(c->rm, in, len);
            ERR_pop_to_mark();
        }
        break;
    case K_MAC:
        if (final) {
            size_t osz = fz_bool(f) ? EVP_MAC_CTX_get_mac_size(c->kmac) : fz_range(f, 0, 80);
            unsigned char *ko = malloc(osz + 1), *ro = malloc(osz + 1);
            size_t ol = 0;

            if (ko == NULL || ro == NULL)
                abort();
            kok = EVP_MAC_final(c->kmac, ko, &ol, osz);
            ERR_set_mark();
            rok = EVP_MAC_final(c->rmac, ro, &ol, osz);
            ERR_pop_to_mark();
            free(ko);
            free(ro);
        } else {
            kok = EVP_MAC_update(c->kmac, in, len);
            ERR_set_mark();
            rok = EVP_MAC_update(c->rmac, in, len);
            ERR_pop_to_mark();
        }
        break;
    }
    free(in);
    check_errors(final ? "final" : raw ? "EVP_Cipher" : "update", kok > 0, rok > 0);
}

static void op_copy(struct fz *f, struct ctxs *c)
{
    int keep = fz_bool(f);

    fz_trace("copy, continue on the %s", keep ? "copy" : "original");
    switch (c->a->kind) {
    case K_CIPHER: {
        EVP_CIPHER_CTX *k = EVP_CIPHER_CTX_new(), *r = EVP_CIPHER_CTX_new();
        int kok = k != NULL && EVP_CIPHER_CTX_copy(k, c->kc), rok;

        ERR_set_mark();
        rok = r != NULL && EVP_CIPHER_CTX_copy(r, c->rc);
        ERR_pop_to_mark();
        check_errors("copy", kok, rok);
        if (keep && kok && rok) {
            EVP_CIPHER_CTX *t = c->kc;

            c->kc = k, k = t;
            t = c->rc, c->rc = r, r = t;
        }
        EVP_CIPHER_CTX_free(k);
        EVP_CIPHER_CTX_free(r);
        break;
    }
    case K_MD: {
        EVP_MD_CTX *k = EVP_MD_CTX_new(), *r = EVP_MD_CTX_new();
        int kok = k != NULL && EVP_MD_CTX_copy_ex(k, c->km), rok;

        ERR_set_mark();
        rok = r != NULL && EVP_MD_CTX_copy_ex(r, c->rm);
        ERR_pop_to_mark();
        check_errors("copy", kok, rok);
        if (keep && kok && rok) {
            EVP_MD_CTX *t = c->km;

            c->km = k, k = t;
            t = c->rm, c->rm = r, r = t;
        }
        EVP_MD_CTX_free(k);
        EVP_MD_CTX_free(r);
        break;
    }
    case K_MAC: {
        EVP_MAC_CTX *k = EVP_MAC_CTX_dup(c->kmac), *r;

        ERR_set_mark();
        r = EVP_MAC_CTX_dup(c->rmac);
        ERR_pop_to_mark();
        check_errors("dup", k != NULL, r != NULL);
        if (keep && k != NULL && r != NULL) {
            EVP_MAC_CTX *t = c->kmac;

            c->kmac = k, k = t;
            t = c->rmac, c->rmac = r, r = t;
        }
        EVP_MAC_CTX_free(k);
        EVP_MAC_CTX_free(r);
        break;
    }
    }
}

/*
 * Cipher ctrls the EVP layer maps onto parameters (buffers of exactly arg
 * bytes); not EVP_CTRL_AEAD_SET_IV_FIXED (see build_params).
 */
static void op_ctrl(struct fz *f, struct ctxs *c)
{
    static const int ctrls[] = { EVP_CTRL_AEAD_SET_IVLEN, EVP_CTRL_AEAD_GET_TAG,
                                 EVP_CTRL_AEAD_SET_TAG, EVP_CTRL_AEAD_TLS1_AAD,
                                 EVP_CTRL_GCM_IV_GEN,
                                 EVP_CTRL_GCM_SET_IV_INV, EVP_CTRL_GET_IVLEN,
                                 EVP_CTRL_SET_KEY_LENGTH, EVP_CTRL_CCM_SET_L,
                                 EVP_CTRL_AEAD_SET_MAC_KEY };
    int type = ctrls[fz_u8(f) % (sizeof(ctrls) / sizeof(ctrls[0]))];
    int arg = (int)fz_range(f, 0, 64) - (fz_one_in(f, 8) ? 65 : 0);
    size_t sz = arg > 0 ? (size_t)arg : 1;
    unsigned char *kb = malloc(sz), *rb = malloc(sz);
    int kr, rr;

    if (c->a->kind != K_CIPHER || kb == NULL || rb == NULL
        || EVP_CIPHER_CTX_get0_cipher(c->kc) == NULL || EVP_CIPHER_CTX_get0_cipher(c->rc) == NULL) {
        free(kb);
        free(rb);
        return;
    }
    if (type == EVP_CTRL_GET_IVLEN
        || type == EVP_CTRL_SET_KEY_LENGTH || type == EVP_CTRL_AEAD_SET_IVLEN
        || type == EVP_CTRL_CCM_SET_L) {
        /* these take no buffer (or one the harness cannot size): no pointer */
        free(kb);
        free(rb);
        kb = rb = NULL;
    } else {
        fz_bytes(f, kb, sz);
        memcpy(rb, kb, sz);
        if (arg <= 0) {
            arg = (int)sz; /* the EVP layer trusts arg as the buffer's size */
        }
    }
    fz_trace("ctrl %d arg %d", type, arg);
    kr = EVP_CIPHER_CTX_ctrl(c->kc, type, arg, kb);
    ERR_set_mark();
    rr = c->rkeyed ? EVP_CIPHER_CTX_ctrl(c->rc, type, arg, rb) : 0;
    ERR_pop_to_mark();
    check_errors("ctrl", kr > 0, rr > 0);
    free(kb);
    free(rb);
}

/* Every gettable parameter, with a buffer of the declared type and a random size. */
static void op_get_all(struct fz *f, struct ctxs *c)
{
    const OSSL_PARAM *t = gettable(c);
    size_t i;

    fz_trace("get every gettable parameter");
    for (i = 0; t != NULL && t[i].key != NULL; i++) {
        size_t sz = t[i].data_type == OSSL_PARAM_INTEGER
                            || t[i].data_type == OSSL_PARAM_UNSIGNED_INTEGER
                        ? (fz_bool(f) ? sizeof(size_t) : sizeof(int))
                        : fz_range(f, 0, is_ccm(c) ? 16 : 70); /* see build_params */
        unsigned char *kb = malloc(sz + 1);
        void *kptr = NULL;
        OSSL_PARAM p[2] = { { t[i].key, t[i].data_type, kb, sz, OSSL_PARAM_UNMODIFIED },
                            OSSL_PARAM_END };
        int kok = 0;

        if (kb == NULL)
            abort();
        if (t[i].data_type == OSSL_PARAM_UTF8_PTR || t[i].data_type == OSSL_PARAM_OCTET_PTR)
            p[0].data = &kptr;
        switch (c->a->kind) {
        case K_CIPHER:
            kok = EVP_CIPHER_CTX_get_params(c->kc, p);
            break;
        case K_MD:
            kok = EVP_MD_CTX_get_params(c->km, p);
            break;
        case K_MAC:
            kok = EVP_MAC_CTX_get_params(c->kmac, p);
            break;
        }
        (void)kok;
        /* quietness is not judged here: no reference call */
        check_errors("get every gettable parameter", 1, 1);
        free(kb);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f = { data, size };
    struct ctxs c;
    size_t op;

    memset(&c, 0, sizeof(c));
    c.k = fz_u8(&f) % env.nk;
    c.a = &algs[fz_u8(&f) % nalgs];
    fz_trace_reset(data, size);
    fz_trace("configuration %d (%s), %s", c.k, env.k[c.k].what, c.a->name);
    ERR_clear_error();
    ctxs_new(&c);
    if (c.a->kind != K_MAC || fz_bool(&f))
        op_init(&f, &c);
    for (op = 0; op < MAX_OPS && !fz_empty(&f); op++) {
        switch (fz_u8(&f) % 16) {
        case 0:
            fz_trace("new context");
            ctxs_new(&c);
            break;
        case 1:
        case 2:
            op_init(&f, &c);
            break;
        case 3:
        case 4:
        case 5:
            op_params(&f, &c, 1);
            break;
        case 6:
        case 7:
            op_params(&f, &c, 0);
            break;
        case 8:
        case 9:
        case 10:
            op_update(&f, &c, 0, 0);
            break;
        case 11:
            op_update(&f, &c, 0, 1);
            break;
        case 12:
            op_update(&f, &c, 1, 0);
            break;
        case 13:
            op_copy(&f, &c);
            break;
        case 14:
            op_ctrl(&f, &c);
            break;
        default:
            op_get_all(&f, &c);
            break;
        }
    }
    ctxs_free(&c);
    ERR_clear_error();
    return 0;
}
