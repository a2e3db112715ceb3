/*
 * AES-ECB/CBC/CTR/XTS through kaccel's DPDK cryptodev backend, on the
 * software PMD named by KACTEST_DPDK_DEVICE (crypto_aesni_mb0 or
 * crypto_openssl0).  Which ciphers the device serves is read from kaccel's
 * routes once the EAL is up ("dpdk:<device>"); every cipher is still run, the
 * others through software, and the counters must say which path ran.
 *
 *  - published vectors: NIST SP 800-38A (ECB, CBC, CTR), IEEE 1619 (XTS);
 *  - differential against the default provider: random keys and IVs, sizes
 *    up to a little over 1 MiB (many ops in one burst, CBC encryption chained
 *    op to op, more ops than a burst), random update chunking with partial
 *    blocks, padding on and off, in place, dupctx mid-stream, and contexts
 *    whose calls alternate between DPDK and software (a size threshold);
 *  - CTR counters carried across ops at the 32-, 64- and 128-bit boundaries;
 *  - random call sequences mirrored on a default-provider context: re-init
 *    with a new IV or none, same or new key, encrypt <-> decrypt on one
 *    context, dupctx, EVP_Cipher;
 *  - overlapping buffers (output below input, the overlap OpenSSL defines);
 *  - 64 ASYNC jobs resumed only when their wait fd is readable, and the
 *    ASYNC_WAIT_CTX callback mode; 12 threads sharing 8 queue pairs;
 *  - 256 short-lived threads: the ops and mbufs they cached return to the pools;
 *  - kaccel-queue-depth 1 and 2 under 64 jobs: queue-full fallbacks, right bytes;
 *  - KACCEL_FAULT at dpdk_session, dpdk_op_alloc, dpdk_enqueue, dpdk_status:
 *    right bytes from software, and the right sw_* counter;
 *  - a device that stops completing: given up after kaccel-dpdk-timeout.
 *
 * The EAL exists once per process, and kaccel-queue-depth and KACCEL_FAULT
 * are read once per process, so every case runs in a fresh process: this
 * program re-executes itself ("--case NAME") with the case's environment,
 * and the parent never loads kaccel.  Each case logs through KACCEL_DEBUG
 * into a file that is kept when the case fails.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "kactest.h"

#define MiB (1024 * 1024)
#define CASE_TIMEOUT 120 /* seconds: a hung case is killed (SIGALRM) and fails */
#define NJOBS 64
#define NTHREADS 12

static const char *const ciphers[] = {
    "AES-128-ECB", "AES-192-ECB", "AES-256-ECB", "AES-128-CBC", "AES-192-CBC", "AES-256-CBC",
    "AES-128-CTR", "AES-192-CTR", "AES-256-CTR", "AES-128-XTS", "AES-256-XTS",
};
#define NC (sizeof(ciphers) / sizeof(ciphers[0]))

static uint64_t seed;
static int offered[NC]; /* served by the DPDK device (from kaccel's routes) */

static int is_xts(const char *n) { return strstr(n, "XTS") != NULL; }
static int is_ctr(const char *n) { return strstr(n, "CTR") != NULL; }
static int is_block(const char *n) { return strstr(n, "ECB") || strstr(n, "CBC"); }

static size_t cipher_index(const char *name)
{
    size_t i;

    for (i = 0; i < NC; i++)
        if (strcmp(ciphers[i], name) == 0)
            return i;
    fail_msg("unknown cipher %s", name);
    return 0;
}

static size_t key_length(const char *name)
{
    static const size_t len[NC] = { 16, 24, 32, 16, 24, 32, 16, 24, 32, 32, 64 };

    return len[cipher_index(name)];
}

static void random_key(uint64_t *rng, const char *name, unsigned char key[64])
{
    size_t kl = key_length(name);

    kactest_rand(rng, key, kl);
    if (is_xts(name))
        key[kl / 2] = (unsigned char)~key[0]; /* the halves differ */
}

/* ---- loading kaccel on the DPDK device ----------------------------------- */

/*
 * openssl.cnf lines: every algorithm registered, min_offload as given, then
 * the case's own lines from KACTEST_EXTRA ("line;line"), then more.
 */
static const char *const *dpdk_cnf(const char *min_offload, const char *const *more)
{
    static char mo[64], extra_buf[1024];
    static const char *extra[32];
    const char *e = getenv("KACTEST_EXTRA");
    size_t n = 0;

    snprintf(mo, sizeof(mo), "kaccel-min-offload = %s", min_offload);
    extra[n++] = "kaccel-algorithms = all";
    extra[n++] = mo;
    if (e != NULL && *e != '\0') {
        char *p, *save = NULL;

        snprintf(extra_buf, sizeof(extra_buf), "%s", e);
        for (p = strtok_r(extra_buf, ";", &save); p != NULL && n < 24;
             p = strtok_r(NULL, ";", &save))
            extra[n++] = p;
    }
    for (; more != NULL && *more != NULL && n < 31; more++)
        extra[n++] = *more;
    extra[n] = NULL;
    return kactest_dpdk_lines(extra);
}

/* One-shot encrypt/decrypt; returns the output length, or -1 when a call failed. */
static long crypt_once(OSSL_LIB_CTX *ctx, const char *props, const char *name, int enc,
                       const unsigned char *key, const unsigned char *iv,
                       const unsigned char *in, size_t len, unsigned char *out, int pad)
{
    EVP_CIPHER *c = EVP_CIPHER_fetch(ctx, name, props);
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    int n1 = 0, n2 = 0;
    long r = -1;

    if (c != NULL && x != NULL && EVP_CipherInit_ex2(x, c, key, iv, enc, NULL)
        && EVP_CIPHER_CTX_set_padding(x, pad)
        && EVP_CipherUpdate(x, out, &n1, in, (int)len)
        && EVP_CipherFinal_ex(x, out + n1, &n2))
        r = (long)n1 + n2;
    EVP_CIPHER_CTX_free(x);
    EVP_CIPHER_free(c);
    return r;
}

/*
 * One-shot encryption (enc 1) or decryption of len bytes of in through kaccel
 * into out, in place when inplace (in copied to out first); 1 when the output
 * is want.  A failing call fails the test.
 */
static int kaccel_gives(struct kactest *t, const char *name, int enc, const unsigned char *key,
                        const unsigned char *iv, const unsigned char *in, size_t len,
                        unsigned char *out, int inplace, const unsigned char *want)
{
    if (inplace)
        memcpy(out, in, len);
    assert_int_equal(crypt_once(t->ctx, "provider=kaccel", name, enc, key, iv, inplace ? out : in,
                                len, out, 0),
                     len);
    return memcmp(out, want, len) == 0;
}

/*
 * Loads kaccel on the device, brings the EAL up with one small operation and
 * reads which ciphers the device serves.
 */
static void open_dpdk(struct kactest *t, const char *min_offload, const char *const *more)
{
    const char *const *lines = dpdk_cnf(min_offload, more);
    static unsigned char in[65536], out[65536 + 16], ref[65536 + 16];
    unsigned char key[16] = { 1 }, iv[16] = { 2 };
    char want[80];
    size_t i;
    int any = 0;

    assert_non_null(lines);
    kactest_open(t, lines);
    /* above any threshold a case sets: the first offload brings the EAL up */
    assert_int_equal(crypt_once(t->ctx, "provider=kaccel", "AES-128-CBC", 1, key, iv, in,
                                sizeof(in), out, 0),
                     sizeof(in));
    assert_int_equal(crypt_once(t->ref, NULL, "AES-128-CBC", 1, key, iv, in, sizeof(in), ref, 0),
                     sizeof(in));
    assert_memory_equal(out, ref, sizeof(in));
    snprintf(want, sizeof(want), "dpdk:%s", kactest_dpdk_device());
    for (i = 0; i < NC; i++) {
        const char *r = kactest_route(t, ciphers[i]);

        offered[i] = r != NULL && strcmp(r, want) == 0;
        any |= offered[i];
    }
    if (!any)
        fail_msg("no cipher is routed to %s once the EAL is up (see the KACCEL_DEBUG log)",
                 want);
    /* Both software PMDs offer AES-CBC: without it the backend is not working. */
    if (!offered[cipher_index("AES-128-CBC")])
        fail_msg("AES-128-CBC is not routed to %s", want);
}

static void print_routes(void)
{
    size_t i;

    printf("# %s serves:", kactest_dpdk_device());
    for (i = 0; i < NC; i++)
        if (offered[i])
            printf(" %s", ciphers[i]);
    printf("; software:");
    for (i = 0; i < NC; i++)
        if (!offered[i])
            printf(" %s", ciphers[i]);
    printf("\n");
}

/* ---- counters ------------------------------------------------------------- */

struct snap {
    uint64_t dpdk_ops[NC], dpdk_bytes[NC], sw_ops[NC], errors[NC];
    uint64_t small[NC], no_route[NC], session[NC], op_error[NC], queue_full[NC];
};

static void take(struct kactest *t, struct snap *s)
{
    size_t i;

    for (i = 0; i < NC; i++) {
        s->dpdk_ops[i] = kactest_stat(t, ciphers[i], "dpdk_ops");
        s->dpdk_bytes[i] = kactest_stat(t, ciphers[i], "dpdk_bytes");
        s->sw_ops[i] = kactest_stat(t, ciphers[i], "sw_ops");
        s->errors[i] = kactest_stat(t, ciphers[i], "errors");
        s->small[i] = kactest_stat(t, ciphers[i], "sw_small");
        s->no_route[i] = kactest_stat(t, ciphers[i], "sw_no_route");
        s->session[i] = kactest_stat(t, ciphers[i], "sw_session");
        s->op_error[i] = kactest_stat(t, ciphers[i], "sw_op_error");
        s->queue_full[i] = kactest_stat(t, ciphers[i], "sw_queue_full");
    }
}

#define DELTA(a, b, f, i) ((b)->f[i] - (a)->f[i])

static uint64_t total(const struct snap *a, const struct snap *b, size_t off)
{
    uint64_t s = 0;
    size_t i;

    for (i = 0; i < NC; i++)
        s += ((const uint64_t *)((const char *)b + off))[i]
             - ((const uint64_t *)((const char *)a + off))[i];
    return s;
}
#define TOTAL(a, b, f) total((a), (b), offsetof(struct snap, f))

/*
 * After a run on the device without faults, by level: 0, some work went
 * through DPDK, none of a cipher the device does not serve, no backend error;
 * 1, and every cipher it serves went through DPDK; 2 (synchronous callers,
 * no threshold), and none of those ever fell back to software.
 */
static void expect_paths(const struct snap *a, const struct snap *b, int level, const char *what)
{
    size_t i;

    for (i = 0; i < NC; i++) {
        uint64_t d = DELTA(a, b, dpdk_ops, i), sw = DELTA(a, b, sw_ops, i);

        printf("# %-10s %-12s %-6s dpdk_ops %-6llu dpdk_bytes %-10llu sw_ops %llu\n", what,
               ciphers[i], offered[i] ? "dpdk" : "sw", (unsigned long long)d,
               (unsigned long long)DELTA(a, b, dpdk_bytes, i), (unsigned long long)sw);
        if (offered[i]) {
            if (level >= 1 && d == 0)
                fail_msg("%s: %s is served by the device but nothing went through DPDK", what,
                         ciphers[i]);
            if (level >= 2 && sw != 0)
                fail_msg("%s: %s: %llu operations fell back to software (errors %llu, "
                         "session %llu, op_error %llu, queue_full %llu)",
                         what, ciphers[i], (unsigned long long)sw,
                         (unsigned long long)DELTA(a, b, errors, i),
                         (unsigned long long)DELTA(a, b, session, i),
                         (unsigned long long)DELTA(a, b, op_error, i),
                         (unsigned long long)DELTA(a, b, queue_full, i));
            if (DELTA(a, b, errors, i) != 0)
                fail_msg("%s: %s: backend errors without any fault", what, ciphers[i]);
        } else if (d != 0) {
            fail_msg("%s: %s went through DPDK although the device does not serve it", what,
                     ciphers[i]);
        }
    }
    if (TOTAL(a, b, dpdk_ops) == 0)
        fail_msg("%s: nothing went through DPDK", what);
}

/* The DPDK backend's own counter ("dpdk ops=N ... qp_shared=N"), when reported. */
static int have_dpdk_line(struct kactest *t)
{
    return kactest_stat(t, "dpdk", "ops") > 0;
}

/* ---- streaming (no cmocka calls: also used by threads) ------------------- */

/* The next update's size: tiny, medium, large or the rest. */
static size_t next_chunk(uint64_t *rng, size_t left)
{
    unsigned char b[4];
    size_t c;

    kactest_rand(rng, b, sizeof(b));
    switch (b[0] & 3) {
    case 0:
        c = (size_t)b[1] % 48 + 1;
        break;
    case 1:
        c = ((size_t)b[1] << 8 | b[2]) % 20000 + 1;
        break;
    case 2:
        c = ((size_t)b[1] << 16 | (size_t)b[2] << 8 | b[3]) % 300000 + 1;
        break;
    default:
        c = left;
        break;
    }
    return c < left ? c : left;
}

#define WHY(...) snprintf(why, wl, __VA_ARGS__)

/*
 * Streams len bytes of in through x (initialised) in random updates (XTS: one
 * data unit, one update), then final.  inplace: out holds a copy of in and is
 * processed in place (block modes in one update, since OpenSSL's output lags
 * its input there).  dup: at a random point x is copied; the copy finishes
 * the rest in one update and must produce the same bytes.  Returns the output
 * length, or -1 with why set (a failing final too: the caller decides).
 */
static long xstream(EVP_CIPHER_CTX *x, const char *name, const unsigned char *in, size_t len,
                    unsigned char *out, int inplace, int dup, uint64_t *rng, char *why, size_t wl)
{
    const unsigned char *src = in;
    size_t off = 0, outl = 0, dup_at = (size_t)-1, copy_outl = 0;
    EVP_CIPHER_CTX *copy = NULL;
    unsigned char *copy_out = NULL, r;
    long ret = -1;
    int n = 0;

    if (inplace) {
        memcpy(out, in, len);
        src = out;
    }
    kactest_rand(rng, &r, 1);
    if (dup && len > 0)
        dup_at = (size_t)r * len / 256;
    while (off < len) {
        size_t chunk = is_xts(name) || (inplace && is_block(name)) ? len - off
                                                                    : next_chunk(rng, len - off);

        if (copy == NULL && off >= dup_at) {
            copy = EVP_CIPHER_CTX_new();
            copy_out = malloc(len + 32);
            if (copy == NULL || copy_out == NULL || !EVP_CIPHER_CTX_copy(copy, x)) {
                WHY("dupctx failed at %zu", off);
                goto end;
            }
            memcpy(copy_out, out, outl);
            copy_outl = outl;
            if (!EVP_CipherUpdate(copy, copy_out + copy_outl, &n, in + off, (int)(len - off))) {
                WHY("the copy's update failed");
                goto end;
            }
            copy_outl += (size_t)n;
            if (!EVP_CipherFinal_ex(copy, copy_out + copy_outl, &n)) {
                WHY("the copy's final failed");
                goto end;
            }
            copy_outl += (size_t)n;
        }
        if (!EVP_CipherUpdate(x, out + outl, &n, src + off, (int)chunk)) {
            WHY("update of %zu bytes at %zu failed", chunk, off);
            goto end;
        }
        outl += (size_t)n;
        off += chunk;
    }
    if (!EVP_CipherFinal_ex(x, out + outl, &n)) {
        WHY("final failed");
        goto end;
    }
    outl += (size_t)n;
    if (copy != NULL && (copy_outl != outl || memcmp(copy_out, out, outl) != 0)) {
        WHY("dupctx: the copy's output differs from the original's");
        goto end;
    }
    ret = (long)outl;
end:
    EVP_CIPHER_CTX_free(copy);
    free(copy_out);
    return ret;
}

/*
 * One operation through kaccel against the default provider: random key, IV
 * and data; decryption of the default provider's ciphertext.  len is rounded
 * for block modes without padding and XTS.  Returns 0, or -1 with why set.
 */
static int op_compare(OSSL_LIB_CTX *kctx, OSSL_LIB_CTX *rctx, const char *name, int enc,
                      size_t len, int pad, int inplace, int dup, uint64_t *rng, char *why,
                      size_t wl)
{
    EVP_CIPHER *kc = EVP_CIPHER_fetch(kctx, name, "provider=kaccel");
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    unsigned char key[64], iv[16], *pt, *ct, *out;
    long ctlen, outl;
    int ret = -1;

    if (is_block(name) && !pad)
        len &= ~(size_t)15;
    if (is_xts(name) && len < 16)
        len = 16;
    pt = malloc(len + 32);
    ct = malloc(len + 32);
    out = malloc(len + 32);
    if (kc == NULL || x == NULL || pt == NULL || ct == NULL || out == NULL) {
        snprintf(why, wl, "%s: fetch or allocation failed", name);
        goto end;
    }
    random_key(rng, name, key);
    kactest_rand(rng, iv, sizeof(iv));
    kactest_rand(rng, pt, len);
    ctlen = crypt_once(rctx, NULL, name, 1, key, iv, pt, len, ct, pad);
    if (ctlen < 0) {
        snprintf(why, wl, "%s: the default provider failed", name);
        goto end;
    }
    if (!EVP_CipherInit_ex2(x, kc, key, iv, enc, NULL) || !EVP_CIPHER_CTX_set_padding(x, pad)) {
        snprintf(why, wl, "%s: init failed", name);
        goto end;
    }
    outl = xstream(x, name, enc ? pt : ct, enc ? len : (size_t)ctlen, out, inplace, dup, rng,
                   why, wl);
    if (outl < 0)
        goto end;
    if (enc ? outl != ctlen || memcmp(out, ct, (size_t)ctlen) != 0
            : (size_t)outl != len || memcmp(out, pt, len) != 0) {
        snprintf(why, wl, "differs from the default provider");
        goto end;
    }
    ret = 0;
end:
    if (ret != 0) {
        char msg[200];

        snprintf(msg, sizeof(msg), "%s", why);
        snprintf(why, wl, "%s %s %zu bytes (pad %d, in place %d, dup %d): %s", name,
                 enc ? "encrypt" : "decrypt", len, pad, inplace, dup, msg);
    }
    EVP_CIPHER_CTX_free(x);
    EVP_CIPHER_free(kc);
    free(pt);
    free(ct);
    free(out);
    return ret;
}

#define CHECK_OP(call)                            \
    do {                                          \
        char why_[400] = "";                      \
        if ((call) != 0)                          \
            fail_msg("%s", why_);                 \
    } while (0)
#define OPC(kctx, rctx, name, enc, len, pad, inplace, dup, rng) \
    CHECK_OP(op_compare(kctx, rctx, name, enc, len, pad, inplace, dup, rng, why_, sizeof(why_)))

/* ---- published vectors ---------------------------------------------------- */

struct kat {
    const char *cipher, *key, *iv, *pt, *ct;
};

#define SP800_38A_PT                                                                         \
    "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"                       \
    "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710"
#define K128 "2b7e151628aed2a6abf7158809cf4f3c"
#define K192 "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b"
#define K256 "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4"
#define CBC_IV "000102030405060708090a0b0c0d0e0f"
#define CTR_IV "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"

/* NIST SP 800-38A F.1.1/3/5, F.2.1/3/5, F.5.1/3/5; IEEE 1619-2007 vectors 2, 3, 10. */
static const struct kat kats[] = {
    { "AES-128-ECB", K128, NULL, SP800_38A_PT,
      "3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf"
      "43b1cd7f598ece23881b00e3ed0306887b0c785e27e8ad3f8223207104725dd4" },
    { "AES-192-ECB", K192, NULL, SP800_38A_PT,
      "bd334f1d6e45f25ff712a214571fa5cc974104846d0ad3ad7734ecb3ecee4eef"
      "ef7afd2270e2e60adce0ba2face6444e9a4b41ba738d6c72fb16691603c18e0e" },
    { "AES-256-ECB", K256, NULL, SP800_38A_PT,
      "f3eed1bdb5d2a03c064b5a7e3db181f8591ccb10d410ed26dc5ba74a31362870"
      "b6ed21b99ca6f4f9f153e7b1beafed1d23304b7a39f9f3ff067d8d8f9e24ecc7" },
    { "AES-128-CBC", K128, CBC_IV, SP800_38A_PT,
      "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"
      "73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7" },
    { "AES-192-CBC", K192, CBC_IV, SP800_38A_PT,
      "4f021db243bc633d7178183a9fa071e8b4d9ada9ad7dedf4e5e738763f69145a"
      "571b242012fb7ae07fa9baac3df102e008b0e27988598881d920a9e64f5615cd" },
    { "AES-256-CBC", K256, CBC_IV, SP800_38A_PT,
      "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"
      "39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b" },
    { "AES-128-CTR", K128, CTR_IV, SP800_38A_PT,
      "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff"
      "5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee" },
    { "AES-192-CTR", K192, CTR_IV, SP800_38A_PT,
      "1abc932417521ca24f2b0459fe7e6e0b090339ec0aa6faefd5ccc2c6f4ce8e94"
      "1e36b26bd1ebc670d1bd1d665620abf74f78a7f6d29809585a97daec58c6b050" },
    { "AES-256-CTR", K256, CTR_IV, SP800_38A_PT,
      "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5"
      "2b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6" },
    { "AES-128-XTS", "1111111111111111111111111111111122222222222222222222222222222222",
      "33333333330000000000000000000000",
      "4444444444444444444444444444444444444444444444444444444444444444",
      "c454185e6a16936e39334038acef838bfb186fff7480adc4289382ecd6d394f0" },
    { "AES-128-XTS", "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f022222222222222222222222222222222",
      "33333333330000000000000000000000",
      "4444444444444444444444444444444444444444444444444444444444444444",
      "af85336b597afc1a900b2eb21ec949d292df4c047e0b21532186a5971a227a89" },
    /* vector 10: the first four blocks of its 512-byte data unit */
    { "AES-256-XTS",
      "2718281828459045235360287471352662497757247093699959574966967627"
      "3141592653589793238462643383279502884197169399375105820974944592",
      "ff000000000000000000000000000000",
      "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
      "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f",
      "1c3b3a102f770386e4836c99e370cf9bea00803f5e482357a4ae12d414a3e63b"
      "5d31e276f8fe4a8d66b317f9ac683f44680a86ac35adfc3345befecb4bb188fd" },
};

static void case_vectors(void **state)
{
    struct kactest t;
    struct snap a, b;
    size_t i, k;

    open_dpdk(&t, "0", NULL);
    print_routes();
    take(&t, &a);
    for (i = 0; i < sizeof(kats) / sizeof(kats[0]); i++) {
        unsigned char key[64], iv[16], pt[64], ct[64], out[96];
        const unsigned char *ivp = kats[i].iv ? iv : NULL;
        size_t len;

        kactest_unhex(kats[i].key, key);
        if (kats[i].iv)
            kactest_unhex(kats[i].iv, iv);
        len = kactest_unhex(kats[i].pt, pt);
        kactest_unhex(kats[i].ct, ct);
        /* the vector as transcribed here is the default provider's answer too */
        assert_int_equal(crypt_once(t.ref, NULL, kats[i].cipher, 1, key, ivp, pt, len, out, 0),
                         len);
        if (memcmp(out, ct, len) != 0)
            fail_msg("%s vector %zu: transcription error (the default provider disagrees)",
                     kats[i].cipher, i);
        for (k = 0; k < 2; k++) { /* out of place, then in place */
            if (!kaccel_gives(&t, kats[i].cipher, 1, key, ivp, pt, len, out, k, ct))
                fail_msg("%s vector %zu: encryption differs from the published answer",
                         kats[i].cipher, i);
            if (!kaccel_gives(&t, kats[i].cipher, 0, key, ivp, ct, len, out, k, pt))
                fail_msg("%s vector %zu: decryption differs from the published answer",
                         kats[i].cipher, i);
        }
    }
    take(&t, &b);
    expect_paths(&a, &b, 2, "vectors");
    kactest_close(&t);
}

/* ---- differential ----------------------------------------------------------- */

static const size_t dsizes[] = { 0,     1,     15,    16,    17,     31,          33,
                                 255,   4095,  4096,  4097,  32752,  32768,       32784,
                                 65535, 65536, 98311, 262160, MiB,   MiB + 21 };

static void differential(struct kactest *t, const char *name, uint64_t *rng, int big)
{
    size_t si;
    int variant, pad, enc;

    for (si = 0; si < sizeof(dsizes) / sizeof(dsizes[0]); si++) {
        size_t len = dsizes[si];

        if ((is_xts(name) && len < 16) || (!big && len > 300000))
            continue;
        for (variant = 0; variant < 4; variant++) {
            int inplace = variant & 1, dup = (variant & 2) != 0;

            /* sizes of a MiB: out of place and in place, dup once */
            if (len >= MiB && variant == 3)
                continue;
            for (pad = 0; pad <= 1; pad++) {
                if (!is_block(name) && pad == 0)
                    continue;
                if (is_block(name) && !pad && len % 16 != 0)
                    continue;
                for (enc = 1; enc >= 0; enc--)
                    OPC(t->ctx, t->ref, name, enc, len, pad, inplace, dup, rng);
            }
        }
    }
}

/* kaccel on the device with min_offload; differential() of every cipher between a and b. */
static void differential_all(struct kactest *t, const char *min_offload, uint64_t rng, int big,
                             struct snap *a, struct snap *b)
{
    size_t i;

    open_dpdk(t, min_offload, NULL);
    take(t, a);
    for (i = 0; i < NC; i++)
        differential(t, ciphers[i], &rng, big);
    take(t, b);
}

static void case_differential(void **state)
{
    struct kactest t;
    struct snap a, b;

    differential_all(&t, "0", seed ^ 0x51, 1, &a, &b);
    expect_paths(&a, &b, 2, "diff");
    kactest_close(&t);
}

/* A threshold between the chunk sizes: a context's calls alternate between DPDK and software. */
static void case_mixed_paths(void **state)
{
    struct kactest t;
    struct snap a, b;
    size_t i;

    differential_all(&t, "2000", seed ^ 0x52, 0, &a, &b);
    for (i = 0; i < NC; i++) {
        printf("# mixed      %-12s dpdk_ops %llu sw_small %llu\n", ciphers[i],
               (unsigned long long)DELTA(&a, &b, dpdk_ops, i),
               (unsigned long long)DELTA(&a, &b, small, i));
        if (DELTA(&a, &b, small, i) == 0)
            fail_msg("%s: nothing below the threshold went to software", ciphers[i]);
        if (offered[i] && DELTA(&a, &b, dpdk_ops, i) == 0)
            fail_msg("%s: nothing above the threshold went through DPDK", ciphers[i]);
        if (!offered[i] && DELTA(&a, &b, dpdk_ops, i) != 0)
            fail_msg("%s: went through DPDK although not served", ciphers[i]);
    }
    kactest_close(&t);
}

/* ---- bursts: many ops in one request, more than a burst, CBC chaining ----- */

static void case_bursts(void **state)
{
    static const size_t lens[] = { 3 * 32768 - 16, MiB, 33 * 32768 + 16, 2 * MiB + 48 };
    struct kactest t;
    struct snap a, b;
    uint64_t rng = seed ^ 0x53, want_bytes[NC] = { 0 };
    unsigned char *pt = malloc(3 * MiB), *ct = malloc(3 * MiB), *out = malloc(3 * MiB);
    size_t i, l;

    assert_true(pt && ct && out);
    open_dpdk(&t, "0", NULL);
    take(&t, &a);
    for (i = 0; i < NC; i++) {
        if (!offered[i] || is_xts(ciphers[i]))
            continue;
        for (l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
            unsigned char key[64], iv[16];
            size_t len = lens[l];
            int inplace;

            random_key(&rng, ciphers[i], key);
            kactest_rand(&rng, iv, 16);
            kactest_rand(&rng, pt, len);
            assert_int_equal(crypt_once(t.ref, NULL, ciphers[i], 1, key, iv, pt, len, ct, 0),
                             len);
            for (inplace = 0; inplace <= 1; inplace++) {
                /* one update: one request of len / 32 KiB ops */
                if (!kaccel_gives(&t, ciphers[i], 1, key, iv, pt, len, out, inplace, ct))
                    fail_msg("%s: %zu bytes in one update (in place %d): encryption differs",
                             ciphers[i], len, inplace);
                if (!kaccel_gives(&t, ciphers[i], 0, key, iv, ct, len, out, inplace, pt))
                    fail_msg("%s: %zu bytes in one update (in place %d): decryption differs",
                             ciphers[i], len, inplace);
                want_bytes[i] += 2 * len;
            }
        }
    }
    take(&t, &b);
    expect_paths(&a, &b, 2, "bursts");
    for (i = 0; i < NC; i++)
        if (offered[i] && !is_xts(ciphers[i])
            && DELTA(&a, &b, dpdk_bytes, i) != want_bytes[i])
            fail_msg("%s: %llu bytes through DPDK, expected %llu (one request per update)",
                     ciphers[i], (unsigned long long)DELTA(&a, &b, dpdk_bytes, i),
                     (unsigned long long)want_bytes[i]);
    if (have_dpdk_line(&t)) {
        uint64_t bm = kactest_stat(&t, "dpdk", "burst_max");

        printf("# dpdk: ops %llu bursts_enq %llu burst_max %llu\n",
               (unsigned long long)kactest_stat(&t, "dpdk", "ops"),
               (unsigned long long)kactest_stat(&t, "dpdk", "bursts_enq"),
               (unsigned long long)bm);
        if (bm < 2)
            fail_msg("MiB requests never produced a burst of more than one op");
    }
    kactest_close(&t);
    free(pt);
    free(ct);
    free(out);
}

/* ---- CTR: the counter carries across ops at every width --------------------- */

static void case_ctr_carry(void **state)
{
    /* last bytes of the IV: the counter wraps inside the first op or at an op's end */
    static const char *const ivs[] = {
        "000102030405060708090a0bffffff00", /* 32-bit carry after 256 blocks */
        "000102030405060708090a0bfffff800", /* 32-bit carry exactly at the first op's end */
        "0001020304050607fffffffffffffff0", /* 64-bit carry */
        "00010203040506070ffffffffffff800", /* 60 bits set: carry at an op's end */
        "0001020304050607fffffffffffff800", /* 64-bit carry exactly at the first op's end */
        "ffffffffffffffffffffffffffffff00", /* the whole 128-bit counter wraps */
        "fffffffffffffffffffffffffffff800", /* ... exactly at the first op's end */
    };
    static const size_t lens[] = { 70000, MiB + 5 };
    struct kactest t;
    struct snap a, b;
    uint64_t rng = seed ^ 0x54;
    unsigned char *pt = malloc(MiB + 64), *ref = malloc(MiB + 64), *out = malloc(MiB + 64);
    size_t i, v, l, bad = 0;

    assert_true(pt && ref && out);
    open_dpdk(&t, "0", NULL);
    take(&t, &a);
    for (i = 0; i < NC; i++) {
        if (!is_ctr(ciphers[i]))
            continue;
        for (v = 0; v < sizeof(ivs) / sizeof(ivs[0]); v++)
            for (l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
                EVP_CIPHER *kc = EVP_CIPHER_fetch(t.ctx, ciphers[i], "provider=kaccel");
                EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
                unsigned char key[64], iv[16];
                size_t len = lens[l], off = 0, outl = 0;
                int n, chunked;

                random_key(&rng, ciphers[i], key);
                kactest_unhex(ivs[v], iv);
                kactest_rand(&rng, pt, len);
                assert_int_equal(crypt_once(t.ref, NULL, ciphers[i], 1, key, iv, pt, len, ref, 1),
                                 len);
                for (chunked = 0; chunked <= 1; chunked++) {
                    assert_int_equal(EVP_EncryptInit_ex2(x, kc, key, iv, NULL), 1);
                    off = outl = 0;
                    while (off < len) {
                        size_t c = chunked ? next_chunk(&rng, len - off) : len;

                        assert_int_equal(EVP_EncryptUpdate(x, out + outl, &n, pt + off, (int)c), 1);
                        outl += (size_t)n;
                        off += c;
                    }
                    assert_int_equal(EVP_EncryptFinal_ex(x, out + outl, &n), 1);
                    outl += (size_t)n;
                    assert_int_equal(outl, len);
                    if (memcmp(out, ref, len) != 0) {
                        size_t d = 0;

                        while (out[d] == ref[d])
                            d++;
                        printf("# %s IV %s, %zu bytes (%s): differs from byte %zu (block %zu)\n",
                               ciphers[i], ivs[v], len, chunked ? "chunked" : "one update", d,
                               d / 16);
                        bad++;
                    }
                }
                EVP_CIPHER_CTX_free(x);
                EVP_CIPHER_free(kc);
            }
    }
    if (bad != 0)
        fail_msg("%zu CTR streams differ from the default provider's", bad);
    take(&t, &b);
    for (i = 0; i < NC; i++)
        if (is_ctr(ciphers[i]) && offered[i] && DELTA(&a, &b, dpdk_ops, i) == 0)
            fail_msg("%s: nothing went through DPDK", ciphers[i]);
    kactest_close(&t);
    free(pt);
    free(ref);
    free(out);
}

/* ---- mirrored call sequences: re-init, enc <-> dec, dupctx, EVP_Cipher ------ */

struct mirror {
    const char *name;
    EVP_CIPHER *kc, *rc;
    EVP_CIPHER_CTX *k, *r;
    int inited, enc, pad;
    size_t pending; /* input bytes not yet output since init (block modes) */
    unsigned char *in, *ko, *ro;
    char trace[2048];
    size_t tl;
};

__attribute__((format(printf, 2, 3))) static void mlog(struct mirror *m, const char *fmt, ...)
{
    va_list ap;

    if (m->tl + 64 >= sizeof(m->trace))
        m->tl = 0; /* keep the recent steps */
    va_start(ap, fmt);
    m->tl += (size_t)vsnprintf(m->trace + m->tl, sizeof(m->trace) - m->tl, fmt, ap);
    va_end(ap);
}

#define MFAIL(m, ...)                                                         \
    do {                                                                      \
        char msg_[300];                                                       \
        snprintf(msg_, sizeof(msg_), __VA_ARGS__);                            \
        fail_msg("%s: %s\n  steps: %s", (m)->name, msg_, (m)->trace);         \
    } while (0)

static void m_init(struct mirror *m, int enc, const unsigned char *key, const unsigned char *iv)
{
    int rk, rr;

    mlog(m, "init(%s,%s,%s) ", enc ? "enc" : "dec", key ? "key" : "-", iv ? "iv" : "-");
    rk = EVP_CipherInit_ex2(m->k, m->inited ? NULL : m->kc, key, iv, enc, NULL);
    rr = EVP_CipherInit_ex2(m->r, m->inited ? NULL : m->rc, key, iv, enc, NULL);
    if (rk != rr)
        MFAIL(m, "init returned %d, the default provider %d", rk, rr);
    ERR_clear_error();
    m->inited = 1;
    m->enc = enc;
    m->pending = 0;
    EVP_CIPHER_CTX_set_padding(m->k, m->pad);
    EVP_CIPHER_CTX_set_padding(m->r, m->pad);
}

static void m_update(struct mirror *m, size_t len, int inplace)
{
    int nk = -1, nr = -1, rk, rr;

    mlog(m, "update(%zu%s) ", len, inplace ? ",inplace" : "");
    memcpy(m->ro, m->in, len);
    rr = EVP_CipherUpdate(m->r, m->ro, &nr, inplace ? m->ro : m->in, (int)len);
    if (inplace)
        memcpy(m->ko, m->in, len);
    rk = EVP_CipherUpdate(m->k, m->ko, &nk, inplace ? m->ko : m->in, (int)len);
    if (rk != rr || (rk && nk != nr))
        MFAIL(m, "update returned %d (%d bytes), the default provider %d (%d bytes)", rk, nk, rr,
              nr);
    ERR_clear_error();
    if (rk && memcmp(m->ko, m->ro, (size_t)nk) != 0)
        MFAIL(m, "update output differs from the default provider's");
    if (rk)
        m->pending = m->pending + len - (size_t)nk;
}

static void m_final(struct mirror *m)
{
    int nk = -1, nr = -1, rk, rr;

    mlog(m, "final ");
    rr = EVP_CipherFinal_ex(m->r, m->ro, &nr);
    rk = EVP_CipherFinal_ex(m->k, m->ko, &nk);
    if (rk != rr || (rk && nk != nr))
        MFAIL(m, "final returned %d (%d bytes), the default provider %d (%d bytes)", rk, nk, rr,
              nr);
    ERR_clear_error();
    if (rk && memcmp(m->ko, m->ro, (size_t)nk) != 0)
        MFAIL(m, "final output differs from the default provider's");
    m->inited = 2; /* finished: the next step initialises again */
}

/* EVP_Cipher (OpenSSH's way): raw blocks, no buffering. */
static void m_cipher(struct mirror *m, size_t len)
{
    int rk, rr;

    mlog(m, "EVP_Cipher(%zu) ", len);
    rr = EVP_Cipher(m->r, m->ro, m->in, (unsigned int)len);
    rk = EVP_Cipher(m->k, m->ko, m->in, (unsigned int)len);
    if ((rk > 0) != (rr > 0))
        MFAIL(m, "EVP_Cipher returned %d, the default provider %d", rk, rr);
    ERR_clear_error();
    if (rk > 0 && memcmp(m->ko, m->ro, len) != 0)
        MFAIL(m, "EVP_Cipher output differs from the default provider's");
}

/* dupctx mid-stream: the copies finish the same way; the originals go on untouched. */
static void m_dup(struct mirror *m, size_t len)
{
    struct mirror c = *m;

    mlog(m, "dup+update(%zu)+final ", len);
    c.k = EVP_CIPHER_CTX_new();
    c.r = EVP_CIPHER_CTX_new();
    assert_true(c.k != NULL && c.r != NULL);
    assert_int_equal(EVP_CIPHER_CTX_copy(c.k, m->k), 1);
    assert_int_equal(EVP_CIPHER_CTX_copy(c.r, m->r), 1);
    m_update(&c, len, 0);
    m_final(&c);
    EVP_CIPHER_CTX_free(c.k);
    EVP_CIPHER_CTX_free(c.r);
}

static size_t m_len(struct mirror *m, uint64_t *rng, size_t max)
{
    size_t n = next_chunk(rng, max);

    if (is_xts(m->name) && n < 16)
        n = 16 + n % 16;
    return n;
}

static void mirror_run(struct kactest *t, const char *name, uint64_t *rng, int steps)
{
    const size_t maxlen = 300000;
    unsigned char key[64], iv[16], r[4];
    struct mirror m;
    int s;

    memset(&m, 0, sizeof(m));
    m.name = name;
    m.kc = EVP_CIPHER_fetch(t->ctx, name, "provider=kaccel");
    m.rc = EVP_CIPHER_fetch(t->ref, name, NULL);
    m.k = EVP_CIPHER_CTX_new();
    m.r = EVP_CIPHER_CTX_new();
    m.in = malloc(maxlen + 64);
    m.ko = malloc(maxlen + 64);
    m.ro = malloc(maxlen + 64);
    assert_true(m.kc && m.rc && m.k && m.r && m.in && m.ko && m.ro);
    m.pad = 1;
    random_key(rng, name, key);
    kactest_rand(rng, iv, sizeof(iv));
    m_init(&m, 1, key, iv);
    for (s = 0; s < steps; s++) {
        size_t len;

        kactest_rand(rng, r, sizeof(r));
        if (m.inited == 2 || r[0] % 16 < 3) {
            /* re-init, either direction: a new key, the same key again or none; new IV or none */
            int enc = r[1] & 1, keymode = (r[1] >> 1) % 4, newiv = (r[1] >> 3) % 3 != 0;

            if (keymode == 0)
                random_key(rng, name, key);
            if (newiv)
                kactest_rand(rng, iv, sizeof(iv));
            if (is_block(name) && (r[2] & 3) == 0) {
                m.pad = !m.pad;
                mlog(&m, "pad=%d ", m.pad);
            }
            /* XTS: the IV (tweak) is per data unit: always given */
            m_init(&m, enc, keymode <= 1 ? key : NULL, newiv || is_xts(name) ? iv : NULL);
            continue;
        }
        len = m_len(&m, rng, maxlen);
        kactest_rand(rng, m.in, len);
        switch (r[0] % 16) {
        case 3:
            m_dup(&m, len);
            break;
        case 4:
            m_final(&m);
            break;
        case 5:
            /* raw blocks, only where no partial block is buffered */
            if (m.pending == 0 && (!is_block(name) || len % 16 == 0) && !m.pad) {
                m_cipher(&m, len);
                break;
            }
            /* fall through */
        default:
            /* in place only where OpenSSL's output would not lag its input */
            m_update(&m, len, (r[3] & 1) && (!is_block(name) || m.pending == 0));
            if (is_xts(name))
                m_final(&m);
            break;
        }
    }
    EVP_CIPHER_CTX_free(m.k);
    EVP_CIPHER_CTX_free(m.r);
    EVP_CIPHER_free(m.kc);
    EVP_CIPHER_free(m.rc);
    free(m.in);
    free(m.ko);
    free(m.ro);
}

static void case_sequences(void **state)
{
    struct kactest t;
    struct snap a, b;
    uint64_t rng = seed ^ 0x55;
    size_t i;
    int rep;

    open_dpdk(&t, "0", NULL);
    take(&t, &a);
    for (i = 0; i < NC; i++)
        for (rep = 0; rep < 4; rep++)
            mirror_run(&t, ciphers[i], &rng, 60);
    take(&t, &b);
    expect_paths(&a, &b, 1, "sequences"); /* a direction switch without the key: software */
    kactest_close(&t);
}

/* ---- overlapping buffers ------------------------------------------------------ */

/*
 * Output below the input by k bytes: OpenSSL reads each block before writing
 * over it, so the result is that of separate buffers; kaccel (its DPDK path
 * bounces overlapping input) must give the same.  Output above the input is
 * undefined in OpenSSL too and not tested.
 */
static void case_overlap(void **state)
{
    static const size_t shifts[] = { 1, 15, 16, 17, 4096, 65552 };
    static const size_t lens[] = { 100000, MiB + 32 };
    struct kactest t;
    struct snap a, b;
    uint64_t rng = seed ^ 0x56;
    unsigned char *pt = malloc(MiB + 64), *ref = malloc(MiB + 64),
                  *buf = malloc(MiB + 70000 + 64);
    size_t i, s, l;
    int enc, chunked;

    assert_true(pt && ref && buf);
    open_dpdk(&t, "0", NULL);
    take(&t, &a);
    for (i = 0; i < NC; i++)
        for (l = 0; l < sizeof(lens) / sizeof(lens[0]); l++)
            for (s = 0; s < sizeof(shifts) / sizeof(shifts[0]); s++)
                for (enc = 0; enc <= 1; enc++)
                    for (chunked = 0; chunked <= !is_xts(ciphers[i]); chunked++) {
                        EVP_CIPHER *kc = EVP_CIPHER_fetch(t.ctx, ciphers[i], "provider=kaccel");
                        EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
                        unsigned char key[64], iv[16], *src, *dst;
                        size_t len = lens[l] & ~(size_t)15, off = 0, outl = 0;
                        int n;

                        if (!is_block(ciphers[i]))
                            len += 7; /* a partial block too */
                        random_key(&rng, ciphers[i], key);
                        kactest_rand(&rng, iv, 16);
                        kactest_rand(&rng, pt, len);
                        assert_int_equal(crypt_once(t.ref, NULL, ciphers[i], enc, key, iv, pt,
                                                    len, ref, 0),
                                         len);
                        src = buf + shifts[s];
                        dst = buf;
                        memcpy(src, pt, len);
                        assert_int_equal(EVP_CipherInit_ex2(x, kc, key, iv, enc, NULL), 1);
                        EVP_CIPHER_CTX_set_padding(x, 0);
                        while (off < len) {
                            size_t c = chunked ? next_chunk(&rng, len - off) : len;

                            assert_int_equal(EVP_CipherUpdate(x, dst + outl, &n, src + off, (int)c),
                                             1);
                            outl += (size_t)n;
                            off += c;
                        }
                        assert_int_equal(EVP_CipherFinal_ex(x, dst + outl, &n), 1);
                        outl += (size_t)n;
                        assert_int_equal(outl, len);
                        if (memcmp(dst, ref, len) != 0)
                            fail_msg("%s %s %zu bytes, output %zu bytes below the input (%s): "
                                     "differs from separate buffers",
                                     ciphers[i], enc ? "encrypt" : "decrypt", len, shifts[s],
                                     chunked ? "chunked" : "one update");
                        EVP_CIPHER_CTX_free(x);
                        EVP_CIPHER_free(kc);
                    }
    take(&t, &b);
    expect_paths(&a, &b, 2, "overlap");
    kactest_close(&t);
    free(pt);
    free(ref);
    free(buf);
}

/* ---- ASYNC jobs --------------------------------------------------------------- */

struct work {
    OSSL_LIB_CTX *ctx;
    const char *props, *alg;
    int enc;
    unsigned char key[64], iv[16];
    unsigned char *in, *out, *ref;
    size_t len, split, outlen, reflen;
    int ok;
};

/* One message in a job: init, two updates split at a random point (XTS: one), final. */
static int run_work(void *arg)
{
    struct work *w = arg;
    EVP_CIPHER *c = EVP_CIPHER_fetch(w->ctx, w->alg, w->props);
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    int n = 0, ok = 0;
    size_t tot = 0;

    if (c == NULL || x == NULL || !EVP_CipherInit_ex2(x, c, w->key, w->iv, w->enc, NULL))
        goto end;
    EVP_CIPHER_CTX_set_padding(x, 0);
    if (!EVP_CipherUpdate(x, w->out, &n, w->in, (int)w->split))
        goto end;
    tot = (size_t)n;
    if (w->split < w->len) {
        if (!EVP_CipherUpdate(x, w->out + tot, &n, w->in + w->split, (int)(w->len - w->split)))
            goto end;
        tot += (size_t)n;
    }
    if (!EVP_CipherFinal_ex(x, w->out + tot, &n))
        goto end;
    w->outlen = tot + (size_t)n;
    ok = 1;
end:
    EVP_CIPHER_CTX_free(x);
    EVP_CIPHER_free(c);
    w->ok = ok;
    return ok;
}

/*
 * Fills n jobs: algorithms from the device's ciphers plus one it does not
 * serve, random sizes up to maxlen, encryption or decryption of the default
 * provider's ciphertext; the expected output computed by the default provider.
 */
static void make_work(struct kactest *t, struct work *w, int n, size_t maxlen, uint64_t *rng)
{
    const char *algs[NC + 1];
    size_t na = 0, i;
    int j;

    for (i = 0; i < NC; i++)
        if (offered[i])
            algs[na++] = ciphers[i];
    for (i = 0; i < NC; i++)
        if (!offered[i]) {
            algs[na++] = ciphers[i];
            break;
        }
    for (j = 0; j < n; j++) {
        unsigned char r[8], *ct;
        long l;

        kactest_rand(rng, r, sizeof(r));
        memset(&w[j], 0, sizeof(w[j]));
        w[j].ctx = t->ctx;
        w[j].props = "provider=kaccel";
        w[j].alg = algs[r[0] % na];
        w[j].len = ((size_t)r[1] << 16 | (size_t)r[2] << 8 | r[3]) % maxlen + 1;
        if (is_block(w[j].alg))
            w[j].len = (w[j].len + 15) & ~(size_t)15;
        if (is_xts(w[j].alg) && w[j].len < 16)
            w[j].len = 16;
        w[j].split = is_xts(w[j].alg) ? w[j].len
                                      : ((size_t)r[4] << 16 | (size_t)r[5] << 8 | r[6]) % (w[j].len + 1);
        w[j].enc = r[7] & 1;
        random_key(rng, w[j].alg, w[j].key);
        kactest_rand(rng, w[j].iv, sizeof(w[j].iv));
        w[j].in = malloc(w[j].len);
        w[j].out = malloc(w[j].len + 32);
        w[j].ref = malloc(w[j].len + 32);
        ct = malloc(w[j].len + 32);
        assert_true(w[j].in && w[j].out && w[j].ref && ct);
        kactest_rand(rng, w[j].in, w[j].len);
        l = crypt_once(t->ref, NULL, w[j].alg, 1, w[j].key, w[j].iv, w[j].in, w[j].len, ct, 0);
        assert_int_equal(l, w[j].len);
        if (w[j].enc) {
            memcpy(w[j].ref, ct, w[j].len);
        } else {
            memcpy(w[j].ref, w[j].in, w[j].len);
            memcpy(w[j].in, ct, w[j].len);
        }
        w[j].reflen = w[j].len;
        free(ct);
    }
}

/* Returns the number of failed jobs; the message of the first in why. */
static int check_work(struct work *w, int n, char *why, size_t wl)
{
    int j, bad = 0;

    for (j = 0; j < n; j++) {
        if (!bad && (!w[j].ok || w[j].outlen != w[j].reflen
                     || memcmp(w[j].out, w[j].ref, w[j].reflen) != 0))
            snprintf(why, wl, "job %d (%s %s %zu bytes): %s", j, w[j].alg,
                     w[j].enc ? "encrypt" : "decrypt", w[j].len,
                     w[j].ok ? "differs from the default provider" : "failed");
        if (!w[j].ok || w[j].outlen != w[j].reflen || memcmp(w[j].out, w[j].ref, w[j].reflen))
            bad++;
        free(w[j].in);
        free(w[j].out);
        free(w[j].ref);
    }
    return bad;
}

static void check_work_cm(struct work *w, int n)
{
    char why[300] = "";

    if (check_work(w, n, why, sizeof(why)) != 0)
        fail_msg("%s", why);
}

/*
 * Drives n jobs like `openssl speed -async_jobs`, more strictly: a paused job
 * is resumed only when one of its wait fds is readable, so a lost wakeup
 * shows as a timeout.  Returns 0, or -1 with why set (no cmocka: threads).
 */
static int run_jobs(struct work *w, int n, unsigned long *pauses, char *why, size_t wl)
{
    struct kactest_jobs j = KACTEST_JOBS(w, n, run_work);

    j.wait = KACTEST_WAIT_OWN_FD;
    if (kactest_jobs_run(&j) != 0) {
        if (j.failed_job >= 0)
            snprintf(why, wl, "%s (%s)", j.why, w[j.failed_job].alg);
        else
            snprintf(why, wl, "%s", j.why);
        return -1;
    }
    *pauses += j.pauses;
    return 0;
}

/* Round r: NJOBS jobs of up to maxlen bytes driven by run_jobs(), every output checked. */
static void jobs_round(struct kactest *t, int r, size_t maxlen, uint64_t *rng,
                       unsigned long *pauses)
{
    struct work w[NJOBS];
    char why[300] = "";

    make_work(t, w, NJOBS, maxlen, rng);
    if (run_jobs(w, NJOBS, pauses, why, sizeof(why)) != 0)
        fail_msg("round %d: %s", r, why);
    check_work_cm(w, NJOBS);
}

static void case_async(void **state)
{
    struct kactest t;
    struct snap a, b;
    uint64_t rng = seed ^ 0x57;
    unsigned long pauses = 0;
    int r, fds0 = -1;

    open_dpdk(&t, "0", NULL);
    take(&t, &a);
    for (r = 0; r < 4; r++) {
        jobs_round(&t, r, r == 3 ? MiB : 256 * 1024, &rng, &pauses);
        if (fds0 < 0)
            fds0 = kactest_count_fds(NULL, NULL);
    }
    if (kactest_count_fds(NULL, NULL) != fds0)
        fail_msg("descriptors: %d after the first round, %d after the last", fds0,
                 kactest_count_fds(NULL, NULL));
    take(&t, &b);
    printf("# async: 4 x %d jobs, %lu pauses seen by the driver; dpdk pauses %llu burst_max "
           "%llu; queue-full fallbacks %llu\n",
           NJOBS, pauses, (unsigned long long)kactest_stat(&t, "dpdk", "pauses"),
           (unsigned long long)kactest_stat(&t, "dpdk", "burst_max"),
           (unsigned long long)TOTAL(&a, &b, queue_full));
    expect_paths(&a, &b, 0, "async");
    if (pauses == 0)
        fail_msg("64 jobs on the device and not one paused");
    if (have_dpdk_line(&t) && kactest_stat(&t, "dpdk", "burst_max") < 2)
        fail_msg("64 paused jobs never completed together (burst_max < 2)");
    kactest_close(&t);
}

/* Callback mode: kaccel calls the ASYNC_WAIT_CTX callback instead of signalling a fd. */
static void case_async_callback(void **state)
{
    struct kactest t;
    struct work w[NJOBS];
    struct snap a, b;
    uint64_t rng = seed ^ 0x58;
    unsigned long cb_calls = 0;
    int r;

    open_dpdk(&t, "0", NULL);
    take(&t, &a);
    for (r = 0; r < 3; r++) {
        struct kactest_jobs j = KACTEST_JOBS(w, NJOBS, run_work);

        j.wait = KACTEST_WAIT_CALLBACK;
        j.callback_no_fds = 1;
        make_work(&t, w, NJOBS, 256 * 1024, &rng);
        kactest_jobs_must_run(&j);
        cb_calls += j.callbacks;
        check_work_cm(w, NJOBS);
    }
    take(&t, &b);
    printf("# callback mode: 3 x %d jobs, %lu callbacks\n", NJOBS, cb_calls);
    expect_paths(&a, &b, 0, "callback");
    if (cb_calls == 0)
        fail_msg("callback mode: jobs ran on the device but no callback was called");
    kactest_close(&t);
}

/* ---- threads: more threads than queue pairs ------------------------------------ */

struct thr {
    struct kactest *t;
    pthread_barrier_t *bar;
    int idx, failed;
    char why[400];
};

static void *thread_main(void *arg)
{
    struct thr *th = arg;
    uint64_t rng = seed ^ (0x1000 + (uint64_t)th->idx * 0x9e3779b97f4a7c15ULL);
    unsigned char r[4];
    int i;

    /* everyone attaches to a queue pair before anyone leaves */
    if (op_compare(th->t->ctx, th->t->ref, "AES-128-CBC", 1, 4096, 0, 0, 0, &rng, th->why,
                   sizeof(th->why)) != 0)
        th->failed = 1;
    pthread_barrier_wait(th->bar);
    for (i = 0; i < 12 && !th->failed; i++) {
        kactest_rand(&rng, r, sizeof(r));
        if ((th->idx & 1) && (i % 4) == 0) {
            /* odd threads also run batches of jobs */
            struct work w[8];
            unsigned long p = 0;

            make_work(th->t, w, 8, 200000, &rng);
            if (run_jobs(w, 8, &p, th->why, sizeof(th->why)) != 0
                || check_work(w, 8, th->why, sizeof(th->why)) != 0)
                th->failed = 1;
        } else {
            size_t c = r[0] % NC;
            size_t len = ((size_t)r[1] << 16 | (size_t)r[2] << 8 | r[3]) % (r[0] & 0x80 ? MiB : 70000);

            if (op_compare(th->t->ctx, th->t->ref, ciphers[c], r[1] & 1, len, 1, r[2] & 1 && !is_block(ciphers[c]),
                           (r[3] & 3) == 0, &rng, th->why, sizeof(th->why))
                != 0)
                th->failed = 1;
        }
    }
    return NULL;
}

static size_t count_in_log(const char *what)
{
    const char *path = getenv("KACCEL_DEBUG");
    char line[1024];
    size_t n = 0;
    FILE *f;

    if (path == NULL || (f = fopen(path, "r")) == NULL)
        return 0;
    while (fgets(line, sizeof(line), f) != NULL)
        n += strstr(line, what) != NULL;
    fclose(f);
    return n;
}

/* n threads of fn, numbered from first, joined; fails on the first that failed. */
static void run_threads(struct kactest *t, struct thr *th, int n, int first,
                        pthread_barrier_t *bar, void *(*fn)(void *))
{
    pthread_t tid[NTHREADS];
    int i;

    assert_true(n <= NTHREADS);
    for (i = 0; i < n; i++) {
        memset(&th[i], 0, sizeof(th[i]));
        th[i].t = t;
        th[i].bar = bar;
        th[i].idx = first + i;
        assert_int_equal(pthread_create(&tid[i], NULL, fn, &th[i]), 0);
    }
    for (i = 0; i < n; i++)
        assert_int_equal(pthread_join(tid[i], NULL), 0);
    for (i = 0; i < n; i++)
        if (th[i].failed)
            fail_msg("thread %d: %s", th[i].idx, th[i].why);
}

static void case_threads(void **state)
{
    struct kactest t;
    struct snap a, b;
    struct thr th[NTHREADS];
    pthread_barrier_t bar;

    open_dpdk(&t, "0", NULL);
    take(&t, &a);
    assert_int_equal(pthread_barrier_init(&bar, NULL, NTHREADS), 0);
    run_threads(&t, th, NTHREADS, 0, &bar, thread_main);
    pthread_barrier_destroy(&bar);
    take(&t, &b);
    printf("# threads: %d threads (%s); queue pairs shared %zu times (log); dpdk qp_shared "
           "%llu\n",
           NTHREADS, getenv("KACTEST_EXTRA") ? getenv("KACTEST_EXTRA") : "defaults",
           count_in_log("now shared by"),
           (unsigned long long)kactest_stat(&t, "dpdk", "qp_shared"));
    expect_paths(&a, &b, 0, "threads");
    if (count_in_log("now shared by") == 0)
        fail_msg("%d threads on at most 8 queue pairs and none was shared (KACCEL_DEBUG log)",
                 NTHREADS);
    kactest_close(&t);
}

/*
 * ---- thread churn: what exiting threads cached goes back to the pools ----------
 * Each thread keeps a cache of ops and mbufs.  CHURN threads (CHURN_WAVE at a
 * time) each run one MiB of CTR (32 ops in one burst, all cached when they
 * come back): more than the pools hold unless every exiting thread returns
 * its cache.  Nothing may fall back to software for want of ops, and the
 * main thread must still offload afterwards.
 */
#define CHURN 256
#define CHURN_WAVE 8

static void *churn_main(void *arg)
{
    struct thr *th = arg;
    uint64_t rng = seed ^ (0x2000 + (uint64_t)th->idx);

    if (op_compare(th->t->ctx, th->t->ref, "AES-128-CTR", th->idx & 1, MiB, 0, 0, 0, &rng,
                   th->why, sizeof(th->why))
        != 0)
        th->failed = 1;
    return NULL;
}

static void case_churn(void **state)
{
    struct kactest t;
    struct snap a, b;
    struct thr th[CHURN_WAVE];
    uint64_t rng = seed ^ 0x77;
    char why[400];
    size_t c;
    int w;

    open_dpdk(&t, "0", NULL);
    c = cipher_index("AES-128-CTR");
    if (!offered[c])
        skip();
    take(&t, &a);
    for (w = 0; w < CHURN / CHURN_WAVE; w++)
        run_threads(&t, th, CHURN_WAVE, w * CHURN_WAVE, NULL, churn_main);
    if (op_compare(t.ctx, t.ref, "AES-128-CTR", 1, MiB, 0, 0, 0, &rng, why, sizeof(why)) != 0)
        fail_msg("after the threads: %s", why);
    take(&t, &b);
    printf("# churn: %d threads: dpdk_ops %llu sw_ops %llu (queue_full %llu)\n", CHURN,
           (unsigned long long)DELTA(&a, &b, dpdk_ops, c),
           (unsigned long long)DELTA(&a, &b, sw_ops, c),
           (unsigned long long)DELTA(&a, &b, queue_full, c));
    if (DELTA(&a, &b, sw_ops, c) != 0 || DELTA(&a, &b, dpdk_ops, c) < CHURN + 1)
        fail_msg("churn: %llu operations went to software (queue_full %llu), %llu through "
                 "DPDK: the pools ran dry",
                 (unsigned long long)DELTA(&a, &b, sw_ops, c),
                 (unsigned long long)DELTA(&a, &b, queue_full, c),
                 (unsigned long long)DELTA(&a, &b, dpdk_ops, c));
    kactest_close(&t);
}

/* ---- queue depth: 64 jobs on a depth of 1 or 2 ------------------------------------ */

static void case_queue_depth(void **state)
{
    struct kactest t;
    struct snap a, b;
    uint64_t rng = seed ^ 0x59, qf, dp;
    unsigned long pauses = 0;
    int r;

    open_dpdk(&t, "0", NULL);
    take(&t, &a);
    for (r = 0; r < 3; r++) {
        /* up to 48 KiB: one or two ops per request */
        jobs_round(&t, r, 48 * 1024, &rng, &pauses);
    }
    take(&t, &b);
    qf = TOTAL(&a, &b, queue_full);
    dp = TOTAL(&a, &b, dpdk_ops);
    printf("# %s: 3 x %d jobs, dpdk_ops %llu, sw_queue_full %llu, dpdk full %llu\n",
           getenv("KACTEST_EXTRA"), NJOBS, (unsigned long long)dp, (unsigned long long)qf,
           (unsigned long long)kactest_stat(&t, "dpdk", "full"));
    if (qf == 0)
        fail_msg("64 jobs on a queue depth of %s never fell back to software",
                 getenv("KACTEST_EXTRA"));
    if (dp == 0)
        fail_msg("nothing went through DPDK at all");
    if (TOTAL(&a, &b, errors) != 0 || TOTAL(&a, &b, op_error) != 0)
        fail_msg("a full queue was counted as an error");
    kactest_close(&t);
}

/* ---- faults ------------------------------------------------------------------------ */

/*
 * The same work under KACCEL_FAULT (set by the parent before this process
 * loaded kaccel): synchronous operations of every size class, in place and
 * chunked, then 64 jobs.  Every byte must be right; KACTEST_EXPECT names the
 * counter that must have grown (session, queue_full, op_error) and
 * KACTEST_DPDK says whether DPDK must still have served some (1) or none (0).
 */
static void case_faults(void **state)
{
    static const size_t lens[] = { 16, 4096, 100000, MiB + 16 };
    const char *expect = getenv("KACTEST_EXPECT"), *dpdk = getenv("KACTEST_DPDK");
    struct kactest t;
    struct snap a, b;
    uint64_t rng = seed ^ 0x5a, grew = 0, dp;
    unsigned long pauses = 0;
    size_t i, l;
    int enc, r;

    assert_non_null(expect);
    assert_non_null(dpdk);
    open_dpdk(&t, "0", NULL);
    take(&t, &a);
    for (i = 0; i < NC; i++) {
        if (!offered[i])
            continue;
        for (l = 0; l < sizeof(lens) / sizeof(lens[0]); l++)
            for (enc = 0; enc <= 1; enc++) {
                OPC(t.ctx, t.ref, ciphers[i], enc, lens[l], 0, 0, 0, &rng);
                OPC(t.ctx, t.ref, ciphers[i], enc, lens[l] + 5, 1, !is_block(ciphers[i]), 1,
                    &rng);
            }
    }
    for (r = 0; r < 2; r++)
        jobs_round(&t, r, 200000, &rng, &pauses);
    take(&t, &b);
    if (strcmp(expect, "session") == 0)
        grew = TOTAL(&a, &b, session);
    else if (strcmp(expect, "queue_full") == 0)
        grew = TOTAL(&a, &b, queue_full);
    else if (strcmp(expect, "op_error") == 0)
        grew = TOTAL(&a, &b, op_error);
    else
        fail_msg("KACTEST_EXPECT=%s", expect);
    dp = TOTAL(&a, &b, dpdk_ops);
    printf("# KACCEL_FAULT=%s: dpdk_ops %llu sw_%s %llu (session %llu queue_full %llu "
           "op_error %llu) errors %llu; %zu injections logged\n",
           getenv("KACCEL_FAULT"), (unsigned long long)dp, expect, (unsigned long long)grew,
           (unsigned long long)TOTAL(&a, &b, session),
           (unsigned long long)TOTAL(&a, &b, queue_full),
           (unsigned long long)TOTAL(&a, &b, op_error), (unsigned long long)TOTAL(&a, &b, errors),
           count_in_log("fault: inject"));
    if (count_in_log("fault: inject") == 0)
        fail_msg("KACCEL_FAULT=%s: no injection in the KACCEL_DEBUG log", getenv("KACCEL_FAULT"));
    if (grew == 0)
        fail_msg("KACCEL_FAULT=%s: sw_%s did not grow", getenv("KACCEL_FAULT"), expect);
    if (strcmp(expect, "op_error") == 0 && TOTAL(&a, &b, errors) == 0)
        fail_msg("failed ops were not counted as errors");
    if (strcmp(expect, "op_error") != 0 && TOTAL(&a, &b, op_error) != 0)
        fail_msg("KACCEL_FAULT=%s: counted as op_error", getenv("KACCEL_FAULT"));
    if (strcmp(expect, "queue_full") == 0 && TOTAL(&a, &b, errors) != 0)
        fail_msg("a full queue was counted as an error");
    if (strcmp(dpdk, "1") == 0 && dp == 0)
        fail_msg("KACCEL_FAULT=%s: DPDK served nothing between the faults",
                 getenv("KACCEL_FAULT"));
    if (strcmp(dpdk, "0") == 0 && dp != 0)
        fail_msg("KACCEL_FAULT=%s: %llu operations still counted as DPDK",
                 getenv("KACCEL_FAULT"), (unsigned long long)dp);
    kactest_close(&t);
}

/*
 * A device that stops completing: from the 40th dequeue on nothing comes back
 * (KACCEL_FAULT=dpdk_dequeue:40+:EAGAIN, set by the parent), with
 * kaccel-dpdk-timeout = 200.  The request waiting then gives up after 200 ms
 * and is redone in software, the device is given up once, and everything after
 * goes to software at once; every byte right, synchronous and with 64 jobs,
 * and nothing waits for long.
 */
static void case_stuck(void **state)
{
    static const char *const more[] = { "kaccel-dpdk-timeout = 200", NULL };
    static const size_t lens[] = { 4096, 100000 };
    struct kactest t;
    struct snap a, b, c;
    struct timespec t0, t1;
    uint64_t rng = seed ^ 0x77;
    unsigned long pauses = 0;
    double secs;
    size_t i, l;
    int enc, r, k;

    open_dpdk(&t, "0", more);
    take(&t, &a);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (k = 0; k < 4; k++)
        for (i = 0; i < NC; i++) {
            if (!offered[i])
                continue;
            for (l = 0; l < sizeof(lens) / sizeof(lens[0]); l++)
                for (enc = 0; enc <= 1; enc++)
                    OPC(t.ctx, t.ref, ciphers[i], enc, lens[l], 0, 0, 0, &rng);
        }
    for (r = 0; r < 2; r++)
        jobs_round(&t, r, 200000, &rng, &pauses);
    take(&t, &b);
    for (i = 0; i < NC; i++)
        if (offered[i])
            for (enc = 0; enc <= 1; enc++)
                OPC(t.ctx, t.ref, ciphers[i], enc, 100000, 0, 0, 0, &rng);
    jobs_round(&t, 2, 200000, &rng, &pauses);
    take(&t, &c);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("# stuck device: dpdk_ops %llu then %llu; sw_op_error %llu; timeouts %llu; "
           "%zu injections logged; %.1f s\n",
           (unsigned long long)TOTAL(&a, &b, dpdk_ops), (unsigned long long)TOTAL(&b, &c, dpdk_ops),
           (unsigned long long)TOTAL(&a, &c, op_error),
           (unsigned long long)kactest_stat(&t, "dpdk", "timeouts"), count_in_log("fault: inject"),
           secs);
    if (count_in_log("fault: inject") == 0)
        fail_msg("no injection in the KACCEL_DEBUG log");
    if (TOTAL(&a, &b, dpdk_ops) == 0)
        fail_msg("DPDK served nothing before the device stopped completing");
    if (kactest_stat(&t, "dpdk", "timeouts") != 1)
        fail_msg("%llu timeouts: the device was not given up exactly once",
                 (unsigned long long)kactest_stat(&t, "dpdk", "timeouts"));
    if (TOTAL(&a, &c, op_error) == 0)
        fail_msg("the timed-out request was not redone in software (sw_op_error)");
    if (TOTAL(&b, &c, dpdk_ops) != 0)
        fail_msg("%llu operations went to the given-up device",
                 (unsigned long long)TOTAL(&b, &c, dpdk_ops));
    {
        const char *route = kactest_route(&t, "AES-128-CBC");
        char want[80];

        snprintf(want, sizeof(want), "dpdk:%s", kactest_dpdk_device());
        printf("# route of AES-128-CBC after: %s\n", route ? route : "-");
        if (route != NULL && strcmp(route, want) == 0)
            fail_msg("the route still names the given-up device");
    }
    if (count_in_log("device given up") != 1)
        fail_msg("the KACCEL_DEBUG log does not say once that the device was given up");
    /* one 200 ms wait, then software; generous for machines under load */
    if (secs > 30)
        fail_msg("%.1f s: requests waited on the given-up device", secs);
    kactest_close(&t);
}

/* ---- the cases, each in a process of its own ------------------------------------- */

static const struct kactest_case cases[] = {
    { "vectors", case_vectors },     { "differential", case_differential },
    { "mixed", case_mixed_paths },   { "bursts", case_bursts },
    { "ctr_carry", case_ctr_carry }, { "sequences", case_sequences },
    { "overlap", case_overlap },     { "async", case_async },
    { "callback", case_async_callback }, { "threads", case_threads },
    { "queue_depth", case_queue_depth }, { "faults", case_faults },
    { "stuck", case_stuck },         { "churn", case_churn },
};

/* KACCEL_DEBUG of each case to DIR/TAG.log, kept when the case fails. */
static const char *const parent_only[] = { "KACTEST_EXTRA", NULL };
static struct kactest_cases cs = { .name = "dpdk-cipher", .cases = cases,
                                   .n = sizeof(cases) / sizeof(cases[0]),
                                   .timeout = CASE_TIMEOUT, .clear = parent_only };

static void spawn(const char *name, const char *tag, const char *const *env)
{
    kactest_case_spawn(&cs, name, tag, 1, env);
}

static void test_vectors(void **state) { spawn("vectors", "vectors", NULL); }
static void test_differential(void **state) { spawn("differential", "differential", NULL); }
static void test_mixed(void **state) { spawn("mixed", "mixed", NULL); }
static void test_bursts(void **state) { spawn("bursts", "bursts", NULL); }
static void test_ctr_carry(void **state) { spawn("ctr_carry", "ctr_carry", NULL); }
static void test_sequences(void **state) { spawn("sequences", "sequences", NULL); }
static void test_overlap(void **state) { spawn("overlap", "overlap", NULL); }
static void test_async(void **state) { spawn("async", "async", NULL); }
static void test_callback(void **state) { spawn("callback", "callback", NULL); }
static void test_threads(void **state)
{
    /* 12 threads on 8 queue pairs, then on one queue pair with bursts of one op */
    static const char *const one[] = {
        "KACTEST_EXTRA=kaccel-dpdk-queue-pairs = 1;kaccel-dpdk-burst = 1", NULL
    };

    spawn("threads", "threads", NULL);
    spawn("threads", "threads_qp1", one);
}

static void test_churn(void **state) { spawn("churn", "churn", NULL); }

static void test_queue_depth(void **state)
{
    static const char *const d1[] = { "KACTEST_EXTRA=kaccel-queue-depth = 1", NULL };
    static const char *const d2[] = { "KACTEST_EXTRA=kaccel-queue-depth = 2", NULL };

    spawn("queue_depth", "queue_depth_1", d1);
    spawn("queue_depth", "queue_depth_2", d2);
}

static void test_faults(void **state)
{
    static const struct {
        const char *fault, *expect, *dpdk;
    } f[] = {
        { "dpdk_session:1+:ENOMEM", "session", "0" },
        { "dpdk_session:*2:ENOMEM", "session", "1" },
        { "dpdk_op_alloc:*5:ENOMEM", "queue_full", "1" },
        { "dpdk_enqueue:*3:EBUSY", "queue_full", "1" },
        { "dpdk_enqueue:1+:EBUSY", "queue_full", "0" },
        { "dpdk_status:*7:EIO", "op_error", "1" },
        { "dpdk_status:1+:EIO", "op_error", "0" },
    };
    size_t i;

    for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
        char fe[96], ee[64], de[32], tag[64];
        const char *env[] = { fe, ee, de, NULL };

        snprintf(fe, sizeof(fe), "KACCEL_FAULT=%s", f[i].fault);
        snprintf(ee, sizeof(ee), "KACTEST_EXPECT=%s", f[i].expect);
        snprintf(de, sizeof(de), "KACTEST_DPDK=%s", f[i].dpdk);
        snprintf(tag, sizeof(tag), "fault_%zu", i);
        printf("# KACCEL_FAULT=%s\n", f[i].fault);
        spawn("faults", tag, env);
    }
}

static void test_stuck(void **state)
{
    static const char *const env[] = { "KACCEL_FAULT=dpdk_dequeue:40+:EAGAIN", NULL };

    spawn("stuck", "stuck", env);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),     cmocka_unit_test(test_differential),
        cmocka_unit_test(test_mixed),       cmocka_unit_test(test_bursts),
        cmocka_unit_test(test_ctr_carry),   cmocka_unit_test(test_sequences),
        cmocka_unit_test(test_overlap),     cmocka_unit_test(test_async),
        cmocka_unit_test(test_callback),    cmocka_unit_test(test_threads),
        cmocka_unit_test(test_queue_depth), cmocka_unit_test(test_faults),
        cmocka_unit_test(test_stuck),       cmocka_unit_test(test_churn),
    };

    kactest_dpdk_require(argv[0]);
    cs.seed = seed = kactest_seed();
    return kactest_cases_main(&cs, argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
