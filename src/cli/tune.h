#ifndef KAC_CLI_TUNE_H
#define KAC_CLI_TUNE_H

#include <stdio.h>

/*
 * kaccel tune [--config FILE] [--algs NAME,...] [--ms N] [--repeats N] [--out FILE]:
 * measures, per routed algorithm, the size from which offload beats software
 * and prints (or writes to FILE) the openssl.cnf lines.  Returns 0, 1 on
 * failure, 2 on bad usage or configuration.
 */
int kac_tune(int argc, char **argv, FILE *out);

#endif
