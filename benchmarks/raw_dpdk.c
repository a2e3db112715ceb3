/*
 * raw_dpdk: the limit for one cipher or digest on one DPDK cryptodev queue pair - no
 * OpenSSL provider, no kaccel: sessions and bursts straight on the device,
 * zero-copy mbufs over DPDK-allocated (rte_malloc) buffers, so that the buffers have
 * a real IO address and a PCI device (e.g. crypto_virtio with IOVA as PA) can
 * DMA to them.
 *
 *   raw_dpdk [-a ALG] [-b BYTES] [-s SECONDS] [-n BURST] [-e "EAL ARGS"]
 *       ALG: aes-128-cbc (default), aes-256-cbc, aes-128-ctr, aes-128-ecb,
 *            sha1, sha256, sha512 (one digest per op, like kaccel's)
 *       BURST ops of BYTES each are enqueued together and dequeued together,
 *       over and over, for SECONDS (wall clock).
 *
 * Prints one line: "raw dpdk-DEVICE bytes=B inflight=N ops=K seconds=S mbps=M
 * cpu_us_per_op=C syscalls=0" (same fields as raw_afalg; user+sys CPU of the
 * process).  The first burst's output (ciphertext or digest) is checked
 * against OpenSSL.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include <rte_cryptodev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_memory.h>

#include "clock.h"

#define MAX_BURST 256
#define IV_OFFSET (sizeof(struct rte_crypto_op) + sizeof(struct rte_crypto_sym_op))

static void noop_free(void *addr, void *opaque)
{
}

/*
 * BYTES of DPDK memory, cache-line aligned, contiguous in IO addresses (rte_malloc
 * memory is contiguous within a page; one that crosses into a page that is not
 * IO-adjacent is kept allocated and another one is tried).
 */
static unsigned char *dma_buffer(size_t bytes)
{
    int tries;

    for (tries = 0; tries < 8; tries++) {
        unsigned char *p = rte_malloc(NULL, bytes, 64);

        if (p == NULL)
            return NULL;
        if (rte_mem_virt2iova(p + bytes - 1) == rte_mem_virt2iova(p) + bytes - 1)
            return p;
    }
    return NULL;
}

static int split(char *s, char **argv, int max)
{
    int n = 1;

    argv[0] = "raw_dpdk";
    for (s = strtok(s, " \t"); s != NULL && n < max - 1; s = strtok(NULL, " \t"))
        argv[n++] = s;
    argv[n] = NULL;
    return n;
}

int main(int argc, char **argv)
{
    const char *alg = "aes-128-cbc";
    char eal[1024] = "--no-huge --no-pci --no-shconf -m 256 --no-telemetry -l 0 "
                     "-d " KACCEL_DPDK_PMD_DIR "/librte_crypto_ipsec_mb.so "
                     "--vdev=crypto_aesni_mb0";
    size_t bytes = 4096;
    double seconds = 2, t0, c0, el;
    unsigned burst = 32, i;
    int opt, eargc;
    char *eargv[64];
    enum rte_crypto_cipher_algorithm calgo = RTE_CRYPTO_CIPHER_AES_CBC;
    const EVP_CIPHER *ref = NULL;
    const EVP_MD *mdref = NULL;
    enum rte_crypto_auth_algorithm aalgo = RTE_CRYPTO_AUTH_NULL;
    unsigned char *digest[MAX_BURST];
    unsigned keylen = 16;
    static unsigned char key[32], iv[16], *in[MAX_BURST], *out[MAX_BURST];
    unsigned spins;
    struct rte_mempool *opool, *spool, *mpool;
    struct rte_crypto_op *ops[MAX_BURST], *deq[MAX_BURST];
    struct rte_mbuf_ext_shared_info sh[MAX_BURST][2];
    struct rte_crypto_sym_xform x;
    struct rte_cryptodev_config conf = { .socket_id = 0, .nb_queue_pairs = 1 };
    struct rte_cryptodev_qp_conf qconf = { .nb_descriptors = 512 };
    void *sess;
    unsigned long long nops = 0;
    uint8_t dev = 0;

    while ((opt = getopt(argc, argv, "a:b:s:n:e:")) != -1) {
        switch (opt) {
        case 'a': alg = optarg; break;
        case 'b': bytes = strtoul(optarg, NULL, 10); break;
        case 's': seconds = atof(optarg); break;
        case 'n': burst = (unsigned)atoi(optarg); break;
        case 'e': snprintf(eal, sizeof(eal), "%s", optarg); break;
        default:
            fprintf(stderr, "usage: raw_dpdk [-a ALG] [-b BYTES] [-s SECONDS] [-n BURST] "
                            "[-e \"EAL ARGS\"]\n");
            return 2;
        }
    }
    if (burst < 1 || burst > MAX_BURST || bytes < 16 || bytes % 16 || bytes > 32768) {
        fprintf(stderr, "raw_dpdk: burst 1..%d, bytes a multiple of 16 up to 32768\n", MAX_BURST);
        return 2;
    }
    if (strcasecmp(alg, "aes-128-cbc") == 0) {
        ref = EVP_aes_128_cbc();
    } else if (strcasecmp(alg, "aes-256-cbc") == 0) {
        ref = EVP_aes_256_cbc(), keylen = 32;
    } else if (strcasecmp(alg, "aes-128-ctr") == 0) {
        ref = EVP_aes_128_ctr(), calgo = RTE_CRYPTO_CIPHER_AES_CTR;
    } else if (strcasecmp(alg, "aes-128-ecb") == 0) {
        ref = EVP_aes_128_ecb(), calgo = RTE_CRYPTO_CIPHER_AES_ECB;
    } else if (strcasecmp(alg, "sha1") == 0) {
        mdref = EVP_sha1(), aalgo = RTE_CRYPTO_AUTH_SHA1;
    } else if (strcasecmp(alg, "sha256") == 0) {
        mdref = EVP_sha256(), aalgo = RTE_CRYPTO_AUTH_SHA256;
    } else if (strcasecmp(alg, "sha512") == 0) {
        mdref = EVP_sha512(), aalgo = RTE_CRYPTO_AUTH_SHA512;
    } else {
        fprintf(stderr, "raw_dpdk: unknown algorithm %s\n", alg);
        return 2;
    }
    eargc = split(eal, eargv, 64);
    if (rte_eal_init(eargc, eargv) < 0 || rte_cryptodev_count() == 0) {
        fprintf(stderr, "raw_dpdk: EAL/cryptodev unavailable: %s\n", rte_strerror(rte_errno));
        return 1;
    }
    opool = rte_crypto_op_pool_create("ops", RTE_CRYPTO_OP_TYPE_SYMMETRIC, 2048, 0, 16, 0);
    spool = rte_cryptodev_sym_session_pool_create("sess", 16,
                                                   rte_cryptodev_sym_get_private_session_size(dev),
                                                   0, 0, 0);
    mpool = rte_pktmbuf_pool_create("mbufs", 2048, 0, 0, 0, 0);
    qconf.mp_session = spool;
    if (opool == NULL || spool == NULL || mpool == NULL || rte_cryptodev_configure(dev, &conf) < 0
        || rte_cryptodev_queue_pair_setup(dev, 0, &qconf, 0) < 0 || rte_cryptodev_start(dev) < 0) {
        fprintf(stderr, "raw_dpdk: device setup failed\n");
        return 1;
    }
    for (i = 0; i < sizeof(key); i++)
        key[i] = (unsigned char)(i * 7 + 1);
    memset(&x, 0, sizeof(x));
    if (mdref != NULL) {
        x.type = RTE_CRYPTO_SYM_XFORM_AUTH;
        x.auth.op = RTE_CRYPTO_AUTH_OP_GENERATE;
        x.auth.algo = aalgo;
        x.auth.digest_length = (uint16_t)EVP_MD_get_size(mdref);
    } else {
        x.type = RTE_CRYPTO_SYM_XFORM_CIPHER;
        x.cipher.op = RTE_CRYPTO_CIPHER_OP_ENCRYPT;
        x.cipher.algo = calgo;
        x.cipher.key.data = key;
        x.cipher.key.length = (uint16_t)keylen;
        x.cipher.iv.offset = IV_OFFSET;
        x.cipher.iv.length = calgo == RTE_CRYPTO_CIPHER_AES_ECB ? 0 : 16;
    }
    sess = rte_cryptodev_sym_session_create(dev, &x, spool);
    if (sess == NULL) {
        fprintf(stderr, "raw_dpdk: session: %s\n", rte_strerror(rte_errno));
        return 1;
    }
    /*
     * Cache-line aligned, each buffer at its own offset in the page: buffers all
     * aligned to the page (or to BYTES) map to the same L1 sets, and the
     * multi-buffer PMD, which reads and writes 8 to 16 of them in step, then
     * evicts its own lines (measured: 2,770 against 4,200 MB/s at 4 KiB). A
     * buffer must be contiguous in IO addresses for a PCI device.
     */
    for (i = 0; i < burst; i++) {
        in[i] = dma_buffer(bytes);
        out[i] = dma_buffer(bytes);
        digest[i] = rte_malloc(NULL, 64, 64);
        if (in[i] == NULL || out[i] == NULL || digest[i] == NULL) {
            fprintf(stderr, "raw_dpdk: out of DPDK memory\n");
            return 1;
        }
        memset(in[i], (int)i, bytes);
    }
    t0 = now();
    c0 = cpu();
    do {
        unsigned n = 0, got = 0, k;

        if (rte_crypto_op_bulk_alloc(opool, RTE_CRYPTO_OP_TYPE_SYMMETRIC, ops, burst) != burst)
            return 1;
        for (i = 0; i < burst; i++) {
            struct rte_mbuf *ms = rte_pktmbuf_alloc(mpool), *md = rte_pktmbuf_alloc(mpool);

            for (k = 0; k < 2; k++) {
                sh[i][k].free_cb = noop_free;
                sh[i][k].fcb_opaque = NULL;
                rte_mbuf_ext_refcnt_set(&sh[i][k], 1);
            }
            rte_pktmbuf_attach_extbuf(ms, in[i], rte_malloc_virt2iova(in[i]), (uint16_t)bytes,
                                      &sh[i][0]);
            rte_pktmbuf_attach_extbuf(md, out[i], rte_malloc_virt2iova(out[i]),
                                      (uint16_t)bytes, &sh[i][1]);
            ms->data_off = md->data_off = 0;
            ms->data_len = md->data_len = (uint16_t)bytes;
            ms->pkt_len = md->pkt_len = (uint32_t)bytes;
            ops[i]->sym->m_src = ms;
            if (mdref != NULL) {
                rte_pktmbuf_free(md);
                ops[i]->sym->auth.data.offset = 0;
                ops[i]->sym->auth.data.length = (uint32_t)bytes;
                ops[i]->sym->auth.digest.data = digest[i];
                ops[i]->sym->auth.digest.phys_addr = rte_malloc_virt2iova(digest[i]);
            } else {
                ops[i]->sym->m_dst = md;
                ops[i]->sym->cipher.data.offset = 0;
                ops[i]->sym->cipher.data.length = (uint32_t)bytes;
                memcpy(rte_crypto_op_ctod_offset(ops[i], uint8_t *, IV_OFFSET), iv, 16);
            }
            rte_crypto_op_attach_sym_session(ops[i], sess);
        }
        for (spins = 0; n < burst; spins++) {
            unsigned e = rte_cryptodev_enqueue_burst(dev, 0, ops + n, (uint16_t)(burst - n));

            if (e == 0 && spins > 100) {
                fprintf(stderr, "raw_dpdk: the device takes no operation\n");
                return 1;
            }
            n += e;
        }
        for (spins = 0; got < burst; spins++) {
            unsigned d = rte_cryptodev_dequeue_burst(dev, 0, deq, (uint16_t)(burst - got));

            if (d == 0 && spins > 100000000) {
                fprintf(stderr, "raw_dpdk: the device completes no operation\n");
                return 1;
            }

            for (k = 0; k < d; k++) {
                if (deq[k]->status != RTE_CRYPTO_OP_STATUS_SUCCESS) {
                    fprintf(stderr, "raw_dpdk: op failed\n");
                    return 1;
                }
                rte_pktmbuf_free(deq[k]->sym->m_src);
                if (deq[k]->sym->m_dst != NULL)
                    rte_pktmbuf_free(deq[k]->sym->m_dst);
                rte_crypto_op_free(deq[k]);
            }
            got += d;
        }
        if (nops == 0 && mdref != NULL) {
            unsigned char chk[64];

            EVP_Digest(in[burst - 1], bytes, chk, NULL, mdref, NULL);
            if (memcmp(chk, digest[burst - 1], (size_t)EVP_MD_get_size(mdref)) != 0) {
                fprintf(stderr, "raw_dpdk: digest differs from OpenSSL\n");
                return 1;
            }
        } else if (nops == 0) {
            unsigned char *chk = malloc(bytes);
            int l1 = 0, l2 = 0;
            EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();

            EVP_EncryptInit_ex(c, ref, NULL, key, iv);
            EVP_CIPHER_CTX_set_padding(c, 0);
            EVP_EncryptUpdate(c, chk, &l1, in[burst - 1], (int)bytes);
            EVP_EncryptFinal_ex(c, chk + l1, &l2);
            EVP_CIPHER_CTX_free(c);
            if (memcmp(chk, out[burst - 1], bytes) != 0) {
                fprintf(stderr, "raw_dpdk: output differs from OpenSSL\n");
                return 1;
            }
            free(chk);
        }
        nops += burst;
    } while ((el = now() - t0) < seconds);
    printf("raw dpdk-%s bytes=%zu inflight=%u ops=%llu seconds=%.3f mbps=%.1f "
           "cpu_us_per_op=%.2f syscalls=0\n",
           rte_cryptodev_name_get(dev), bytes, burst, nops, el,
           (double)nops * (double)bytes / el / 1e6, (cpu() - c0) * 1e6 / (double)nops);
    return 0;
}
