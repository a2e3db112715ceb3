/*
 * One AF_ALG AEAD operation (gcm(aes), ccm(aes), rfc7539(chacha20,poly1305)).
 * The kernel is one-shot per message: encrypt sends AAD||PT and returns
 * AAD||CT||TAG, decrypt sends AAD||CT||TAG and returns AAD||PT (or EBADMSG).
 * The tag size is fixed on the transform (kac_afalg_open(..., authsize)).
 */
#ifndef KAC_AFALG_AEAD_H
#define KAC_AFALG_AEAD_H

#include <stddef.h>

#include "afalg.h"
#include "uring.h"

/* Largest AAD + data + tag one operation sends (well below the socket buffer). */
#define KAC_AFALG_AEAD_MAX KAC_AFALG_MAX_CHUNK

/*
 * Encrypt (enc = 1): in[len] -> out[len], tag[taglen] written.
 * Decrypt (enc = 0): in[len] and the expected tag[taglen] -> out[len].
 * iv is the kernel's IV (12 bytes for GCM and ChaCha20-Poly1305, 16 for CCM).
 * aad/in/out/tag may overlap only as in == out.  A decrypt must produce
 * output (aadlen + len > 0).  Returns 0, -EBADMSG (tag mismatch; out may hold
 * garbage and must be cleansed by the caller) or -errno (EMSGSIZE when over
 * KAC_AFALG_AEAD_MAX).  On any error other than EBADMSG the socket is in an
 * unknown state and should be closed.
 */
int kac_afalg_aead(int opfd, int enc, const unsigned char *iv, size_t ivlen,
                   const unsigned char *aad, size_t aadlen, const unsigned char *in, size_t len,
                   unsigned char *tag, size_t taglen, unsigned char *out);

/*
 * The same operation through this thread's io_uring queue (see uring.h): an
 * ASYNC job pauses until it completes.  Returns as kac_afalg_aead(), or
 * KAC_UQ_FULL when the queue is full (nothing was sent).
 */
int kac_afalg_aead_queued(struct kac_uq *q, struct kac_ureq *r, int opfd, int enc,
                          const unsigned char *iv, size_t ivlen, const unsigned char *aad,
                          size_t aadlen, const unsigned char *in, size_t len, unsigned char *tag,
                          size_t taglen, unsigned char *out);

#endif
