/*
 * Tests that need AF_ALG skip (exit 77) on a kernel without it, unless
 * KACCEL_REQUIRE_AFALG=1 (set inside the guest), where its absence fails.
 */
#ifndef KAC_TEST_AFALG_GUARD_H
#define KAC_TEST_AFALG_GUARD_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/afalg/afalg.h"

static inline void kac_test_need_afalg(const char *prog)
{
    const char *req = getenv("KACCEL_REQUIRE_AFALG");

    if (kac_afalg_available())
        return;
    if (req != NULL && strcmp(req, "1") == 0) {
        fprintf(stderr, "%s: AF_ALG is required (KACCEL_REQUIRE_AFALG=1) but absent\n", prog);
        exit(1);
    }
    fprintf(stderr, "%s: SKIP: this kernel has no AF_ALG sockets\n", prog);
    exit(77);
}

#endif
