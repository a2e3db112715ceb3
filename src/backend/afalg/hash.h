/*
 * AF_ALG hash and keyed-hash (HMAC, CMAC) operation sockets: open, stream with
 * MSG_MORE, read the digest, clone the running state.  Every hash syscall
 * kaccel makes is here.
 */
#ifndef KAC_AFALG_HASH_H
#define KAC_AFALG_HASH_H

#include <stddef.h>

#include "session.h"

/* Largest key handed to ALG_SET_KEY (the kernel copies it into socket memory). */
#define KAC_AFALG_HASH_MAX_KEY 1024

/*
 * Binds "hash" transform name (algorithm or driver name), sets the key when
 * keylen > 0 and returns an operation socket, or -errno.
 */
int kac_afalg_hash_open(const char *name, const unsigned char *key, size_t keylen);

/*
 * Feeds len bytes (any size; sent in chunks) to the running hash.  more = 1
 * keeps the hash open (MSG_MORE); more = 0 finalises it with this data.
 * Returns 0 or -errno.
 */
int kac_afalg_hash_send(int opfd, const unsigned char *data, size_t len, int more);

/* Reads exactly mdlen digest bytes (finalising the hash if open). 0 or -errno. */
int kac_afalg_hash_read(int opfd, unsigned char *md, size_t mdlen);

/* A new operation socket with a copy of opfd's running state (accept()), or -errno. */
int kac_afalg_hash_clone(int opfd);

/*
 * Session helpers.  A hash socket carries state that cannot be rebuilt, so
 * unlike kac_afalg_sess_fd() these never silently reopen a socket.
 */
/* 1 when the session has a socket opened by this process (not before a fork). */
int kac_afalg_hash_sess_owned(const struct kac_afalg_sess *s);
/* Clones src's socket into dst (initialised, closed): 0 or -errno. */
int kac_afalg_hash_sess_clone(struct kac_afalg_sess *dst, const struct kac_afalg_sess *src);

#endif
