#ifndef KAC_SELFTEST_H
#define KAC_SELFTEST_H

#include <stddef.h>
#include <stdio.h>

/*
 * Encrypts and decrypts len random bytes with every AF_ALG skcipher kaccel
 * uses, on the driver it would bind (hardware only unless any_driver), and
 * compares with OpenSSL's default provider.  Returns 0 when all match, 1 on a
 * mismatch or error, 77 when the kernel has no AF_ALG.
 */
int kac_selftest(int any_driver, size_t len, FILE *out);

#endif
