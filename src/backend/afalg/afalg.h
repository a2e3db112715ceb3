/* Every AF_ALG system call kaccel makes lives in src/backend/afalg/. */
#ifndef KAC_AFALG_H
#define KAC_AFALG_H

#include <stddef.h>

/* Largest payload one synchronous operation sends (below the socket buffer). */
#define KAC_AFALG_MAX_CHUNK (64 * 1024)

/* 1 when this kernel offers AF_ALG sockets, 0 otherwise (EAFNOSUPPORT). */
int kac_afalg_available(void);

/* 0 when a transform of this type and name can be bound, else -errno. */
int kac_afalg_bind_check(const char *type, const char *name);

/*
 * Binds a transform (type "skcipher", "aead" or "hash"; name an algorithm or
 * driver name), sets the key (when keylen > 0) and the AEAD tag size (when
 * authsize > 0), accepts an operation socket and closes the transform socket:
 * one descriptor per context.  Returns the operation fd or -errno.
 */
int kac_afalg_open(const char *type, const char *name, const unsigned char *key,
                   size_t keylen, unsigned authsize);

/*
 * One synchronous skcipher operation of len bytes (len <= KAC_AFALG_MAX_CHUNK)
 * with the given IV (ivlen may be 0).  in and out may be equal.  Returns 0 or
 * -errno.  The kernel does not return the next IV: callers track it.
 */
int kac_afalg_cipher(int opfd, int enc, const unsigned char *iv, size_t ivlen,
                     const unsigned char *in, size_t len, unsigned char *out);

#endif
