#ifndef KAC_CNFCHECK_H
#define KAC_CNFCHECK_H

#include <stdio.h>

#include <openssl/conf.h>

/*
 * Validates kaccel's section of an OpenSSL configuration file exactly as the
 * provider would parse it, and also reports keys the provider cannot see
 * (OpenSSL 3.0 passes only the keys a provider asks for).  file NULL: the file
 * OpenSSL loads by default (OPENSSL_CONF or the built-in path).  Messages go to
 * out.  Returns 0 when valid, 1 on errors, 2 when the file or section is absent.
 */
int kac_cnfcheck(const char *file, FILE *out);

/*
 * The name of kaccel's provider section in a loaded configuration (by
 * provider name, identity or module kaccel.so), or NULL.
 */
const char *kac_cnf_kaccel_section(const CONF *conf);

#endif
