/*
 * Helpers shared by the known-answer tests (test/kat) and the DPDK tests
 * (test/dpdk): one AEAD message passed in several ways, published AEAD known
 * answers, TLS 1.2 records, the buffers of a differential message, HMAC and
 * CMAC test-vector notation, and the scenario scaffolding of the kat tests
 * (their routings, the per-algorithm offload check, AF_ALG at start-up).
 */
#ifndef KAC_TEST_KATUTIL_H
#define KAC_TEST_KATUTIL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "kactest.h"

/* Uniform in 0..mod-1 from four bytes of kactest_rand(). */
size_t kat_rnd(uint64_t *rng, size_t mod);

/*
 * Four buffers of size bytes for one differential message: the plaintext,
 * kaccel's output, the reference's (the default provider's) and the way back.
 * Fails the test when out of memory.
 */
struct kat_bufs {
    unsigned char *pt, *ct, *ref, *back;
};
void kat_bufs_new(struct kat_bufs *b, size_t size);
void kat_bufs_free(struct kat_bufs *b);

/*
 * name from kaccel (kc) and from the default provider (rc); fails the test
 * when kaccel does not offer it (the tests load kaccel-algorithms = all).
 */
void kat_cipher_pair(struct kactest *t, const char *name, EVP_CIPHER **kc, EVP_CIPHER **rc);

/* ---- AEAD ---------------------------------------------------------------- */

/* The AEADs kaccel offers, as an initializer list. */
#define KAT_AEADS                                                                            \
    "AES-128-GCM", "AES-192-GCM", "AES-256-GCM", "AES-128-CCM", "AES-192-CCM", "AES-256-CCM", \
        "ChaCha20-Poly1305"

int kat_is_ccm(const char *name);
int kat_is_gcm(const char *name);

/* One OSSL_PARAM set on (or, get_tag, read from) a cipher context; 1 on success. */
int kat_set_size(EVP_CIPHER_CTX *x, const char *key, size_t v);
int kat_set_tag(EVP_CIPHER_CTX *x, unsigned char *tag, size_t len);
int kat_get_tag(EVP_CIPHER_CTX *x, unsigned char *tag, size_t len);

/* How kat_aead_msg() passes one message. */
struct kat_how {
    int chunks;    /* data in random chunks, AAD in two pieces (not CCM) */
    int inplace;
    int dup;       /* dupctx after the first chunk; the copy must finish identically */
    int tag_early; /* decrypt: tag set before the data (always for CCM) */
    size_t ivlen;  /* 0: the default */
    size_t taglen;
};

/* kat_aead_msg()'s results: where a message failed. */
enum { KAT_MSG_OK, KAT_MSG_UPDATE_FAILED, KAT_MSG_FINAL_FAILED, KAT_MSG_SETUP_FAILED };

/*
 * Encrypts (tag out) or decrypts (tag in) one message through c the way h
 * says; out needs len + 16 bytes.  Chunk sizes come from chunking (a seed
 * taken by value: the same chunking for kaccel and the reference).  With
 * h->dup the copy's output and tag must equal the original's, or the test
 * fails.  Returns KAT_MSG_*, and sets kat_msg_error to whether a failure
 * queued an error (the error queue is cleared).
 */
int kat_aead_msg(EVP_CIPHER *c, int enc, const struct kat_how *h, const unsigned char *key,
                 const unsigned char *iv, const unsigned char *aad, size_t aadlen,
                 const unsigned char *in, size_t len, unsigned char *out, unsigned char *tag,
                 uint64_t chunking);
extern int kat_msg_error;

/* A published AEAD known answer, in hex. */
struct kat_aead_vector {
    const char *cipher, *key, *iv, *aad, *pt, *ct, *tag;
};
/*
 * McGrew-Viega GCM, RFC 3610 and NIST SP 800-38C CCM, RFC 8439
 * ChaCha20-Poly1305.  The first KAT_AEAD_NBASIC: McGrew-Viega test cases 2,
 * 3, 4 and 14, RFC 3610 packet vector #1 and RFC 8439; the others add
 * AES-192-GCM, more GCM AAD and CCM nonce and tag lengths.
 */
extern const struct kat_aead_vector kat_aead_vectors[];
extern const size_t kat_aead_nvectors;
#define KAT_AEAD_NBASIC 6

/*
 * The first n vectors through kaccel, encrypted and decrypted once per way
 * in ways[] (each with the vector's nonce and tag lengths); any failure or
 * difference fails the test.
 */
void kat_aead_known_answers(struct kactest *t, size_t n, const struct kat_how *ways,
                            size_t nways, uint64_t chunking);

/*
 * One TLS 1.2 record (type 23) through x with EVP_CTRL_AEAD_TLS1_AAD, in place
 * in buf: plen payload bytes (after GCM's 8-byte explicit nonce); to decrypt,
 * buf holds the whole record.  Returns EVP_CipherUpdate's result (0 when the
 * tlsaad is refused).
 */
int kat_tls_record(EVP_CIPHER_CTX *x, int enc, int gcm, uint64_t seq, unsigned char *buf,
                   size_t plen, int *outl);

/*
 * TLS 1.2 records of one AEAD through kaccel and the default provider: an
 * encrypting and a decrypting context on each side, with one key and fixed IV
 * from kat_tls12_open()'s rng.
 */
struct kat_tls12 {
    const char *name;
    int gcm;
    size_t off; /* where the payload starts in a record: after GCM's explicit nonce */
    EVP_CIPHER *kc, *rc;
    EVP_CIPHER_CTX *ke, *re, *kd, *rd; /* kaccel's and the reference's */
    unsigned char *a, *b;              /* kaccel's record, the reference's */
    unsigned char *pt;                 /* the payload */
};
/* Payloads up to maxlen bytes. */
void kat_tls12_open(struct kat_tls12 *s, struct kactest *t, const char *name, size_t maxlen,
                    uint64_t *rng);
void kat_tls12_close(struct kat_tls12 *s);
/*
 * Record number i (its sequence number) of plen random bytes: kaccel's and
 * the reference's encryption must be equal (and leave the same IV), and
 * kaccel must decrypt it back; else the test fails.
 */
void kat_tls12_record(struct kat_tls12 *s, size_t i, size_t plen, uint64_t *rng);
/*
 * The same payload (s->pt) again as record seq in s->a and s->b, encrypted by
 * both sides (they must agree); returns the record's length.
 */
int kat_tls12_seal(struct kat_tls12 *s, uint64_t seq, size_t plen);

/* ---- HMAC and CMAC vectors ------------------------------------------------ */

/* NIST SP 800-38B's example message (CMAC), RFC 4231's test cases 6 and 7. */
extern const char kat_sp800_38b_msg[], kat_rfc4231_tc6[], kat_rfc4231_tc7[];

/*
 * A test vector's key or data, malloc'ed (the caller frees): hex; "'text";
 * "=XXn", n bytes XX; "#n", the first n bytes of kat_sp800_38b_msg; "%n", n
 * bytes "a"; anything else, plain text.
 */
unsigned char *kat_bytes(const char *s, size_t *len);

/* ---- parameters ------------------------------------------------------------ */

/* 1 when two parameter tables (NULL: empty) hold the same keys. */
int kat_same_keys(const OSSL_PARAM *a, const OSSL_PARAM *b);

/* A random chunk length for streaming (0 to 20000: often tiny), at most left. */
size_t kat_random_chunk(uint64_t *rng, size_t left);

/* ---- scenarios of the kat tests --------------------------------------------- */

/*
 * The routings every kat test runs, each with kaccel-algorithms = all:
 * software only (kaccel-backends = none), offload only (any AF_ALG driver,
 * kaccel-min-offload = 0), and mixed (any driver, messages of
 * KAT_MIXED_MIN_OFFLOAD bytes and more offloaded).
 */
#define KAT_MIXED_MIN_OFFLOAD 2000
extern const char *const kat_software_only[], *const kat_offload_only[], *const kat_mixed[];

/*
 * A scenario's offload check over algorithms (kaccel's names; NULL entries
 * are skipped): kat_offload_begin() takes their counters, kat_offload_end()
 * prints each one's route and what it offloaded since, and fails the test
 * when an algorithm with a route offloaded nothing (expect_offload), or one
 * offloaded although nothing should have (!expect_offload).  With
 * KAT_COUNT_SW, for algorithms counting every operation one way or the other
 * (digests, MACs): the software operations are printed too, every algorithm
 * must have counted some, and one without a route must not offload.
 */
#define KAT_MAX_ALGS 32
enum { KAT_COUNT_SW = 1 };
struct kat_offload {
    const char *const *names;
    size_t n;
    int flags;
    uint64_t off0[KAT_MAX_ALGS], sw0[KAT_MAX_ALGS];
};
void kat_offload_begin(struct kat_offload *o, struct kactest *t, const char *const *names,
                       size_t n, int flags);
void kat_offload_end(struct kat_offload *o, struct kactest *t, const char *what,
                     int expect_offload);

/*
 * 1 when this kernel has AF_ALG sockets.  Where KACCEL_REQUIRE_AFALG=1 (the
 * guest) their absence ends the program with a failure, naming prog.
 */
int kat_afalg(const char *prog);

#endif
