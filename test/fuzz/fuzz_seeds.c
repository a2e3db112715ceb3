/*
 * Writes the seed corpus of a harness: for every algorithm (the input's
 * second byte) and a few routing configurations (its first byte), a short
 * program and longer ones with deterministic pseudo-random operation bytes.
 *
 *   fuzz_seeds diff|params DIR
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alg.h"

/* The diff harness adds 4 HMAC and 4 CMAC variants after kaccel's algorithms. */
#define NSUBJECTS (KAC_ALG_COUNT + 8)

static uint64_t rng = 0x6b616363656c2121ULL;

static unsigned char next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned char)(rng >> 32);
}

static int put(const char *dir, const char *h, unsigned s, unsigned v,
               const unsigned char *b, size_t n)
{
    char path[4096];
    FILE *f;

    snprintf(path, sizeof(path), "%s/seed-%s-%02u-%u", dir, h, s, v);
    if ((f = fopen(path, "wb")) == NULL || fwrite(b, 1, n, f) != n || fclose(f) != 0) {
        perror(path);
        return 0;
    }
    return 1;
}

int main(int argc, char **argv)
{
    unsigned char b[512];
    unsigned s, v;

    if (argc != 3 || (strcmp(argv[1], "diff") != 0 && strcmp(argv[1], "params") != 0)) {
        fprintf(stderr, "usage: fuzz_seeds diff|params DIR\n");
        return 2;
    }
    for (s = 0; s < NSUBJECTS; s++) {
        for (v = 0; v < 4; v++) {
            size_t n = v == 0 ? 2 : v == 1 ? 48 : v == 2 ? 160 : 400, i;

            for (i = 0; i < n; i++)
                b[i] = next();
            b[0] = (unsigned char)(v * 2 + (s & 1)); /* configuration */
            b[1] = (unsigned char)s;                  /* algorithm */
            if (!put(argv[2], argv[1], s, v, b, n))
                return 1;
        }
    }
    return 0;
}
