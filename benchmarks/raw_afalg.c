/*
 * raw_afalg: the limit for AF_ALG AES-128-CBC on one driver - no OpenSSL, no
 * provider, just the kernel interface as fast as it can be driven.
 *
 *   raw_afalg [-d DRIVER] [-b BYTES] [-s SECONDS] sync
 *       one socket, sendmsg + read per operation
 *   raw_afalg [-d DRIVER] [-b BYTES] [-s SECONDS] -n N uring
 *       N sockets, N requests kept in flight through one io_uring
 *       (linked SENDMSG -> READ with IOSQE_ASYNC), each resubmitted as it
 *       completes
 *
 * Prints one line: "raw MODE bytes=B inflight=N ops=K seconds=S mbps=M
 * cpu_us_per_op=C syscalls=X" (wall-clock throughput; user+sys CPU of the
 * process including its io_uring workers).  The first operation's output is
 * checked against OpenSSL.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_alg.h>

#include <liburing.h>
#include <openssl/evp.h>

#include "clock.h"

#ifndef SOL_ALG
#define SOL_ALG 279
#endif

static unsigned char key[16] = { 0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
                                  0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c };
static unsigned char iv[16];

static int open_op(const char *driver)
{
    struct sockaddr_alg sa = { .salg_family = AF_ALG };
    int tfm, op;

    strcpy((char *)sa.salg_type, "skcipher");
    snprintf((char *)sa.salg_name, sizeof(sa.salg_name), "%s", driver);
    tfm = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (tfm < 0 || bind(tfm, (struct sockaddr *)&sa, sizeof(sa)) < 0
        || setsockopt(tfm, SOL_ALG, ALG_SET_KEY, key, sizeof(key)) < 0) {
        perror("raw_afalg: socket/bind/setkey");
        exit(1);
    }
    op = accept(tfm, NULL, 0);
    if (op < 0) {
        perror("raw_afalg: accept");
        exit(1);
    }
    close(tfm);
    return op;
}

struct req {
    int fd;
    struct msghdr msg;
    struct iovec iov;
    char cbuf[CMSG_SPACE(sizeof(__u32)) + CMSG_SPACE(sizeof(struct af_alg_iv) + 16)];
    unsigned char *in, *out;
};

static void prep_msg(struct req *r, size_t len)
{
    struct cmsghdr *c;
    struct af_alg_iv *aiv;

    memset(r->cbuf, 0, sizeof(r->cbuf));
    memset(&r->msg, 0, sizeof(r->msg));
    r->msg.msg_control = r->cbuf;
    r->msg.msg_controllen = sizeof(r->cbuf);
    c = CMSG_FIRSTHDR(&r->msg);
    c->cmsg_level = SOL_ALG;
    c->cmsg_type = ALG_SET_OP;
    c->cmsg_len = CMSG_LEN(sizeof(__u32));
    *(__u32 *)CMSG_DATA(c) = ALG_OP_ENCRYPT;
    c = CMSG_NXTHDR(&r->msg, c);
    c->cmsg_level = SOL_ALG;
    c->cmsg_type = ALG_SET_IV;
    c->cmsg_len = CMSG_LEN(sizeof(*aiv) + 16);
    aiv = (struct af_alg_iv *)CMSG_DATA(c);
    aiv->ivlen = 16;
    memcpy(aiv->iv, iv, 16);
    r->iov.iov_base = r->in;
    r->iov.iov_len = len;
    r->msg.msg_iov = &r->iov;
    r->msg.msg_iovlen = 1;
}

static void check(const unsigned char *in, const unsigned char *out, size_t len)
{
    unsigned char *ref = malloc(len + 16);
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    int n = 0;

    EVP_EncryptInit_ex(x, EVP_aes_128_cbc(), NULL, key, iv);
    EVP_CIPHER_CTX_set_padding(x, 0);
    EVP_EncryptUpdate(x, ref, &n, in, (int)len);
    if (memcmp(ref, out, len) != 0) {
        fprintf(stderr, "raw_afalg: output differs from OpenSSL\n");
        exit(1);
    }
    EVP_CIPHER_CTX_free(x);
    free(ref);
}

static void queue_req(struct io_uring *ring, struct req *r, size_t len)
{
    struct io_uring_sqe *s1 = io_uring_get_sqe(ring), *s2 = io_uring_get_sqe(ring);

    io_uring_prep_sendmsg(s1, r->fd, &r->msg, 0);
    io_uring_sqe_set_flags(s1, IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS);
    io_uring_sqe_set_data(s1, NULL);
    io_uring_prep_read(s2, r->fd, r->out, (unsigned)len, 0);
    io_uring_sqe_set_flags(s2, IOSQE_ASYNC);
    io_uring_sqe_set_data(s2, r);
}

int main(int argc, char **argv)
{
    const char *driver = "virtio_crypto_aes_cbc";
    size_t len = 4096;
    double secs = 3, t0, c0, t1;
    unsigned long long ops = 0, syscalls = 0;
    int n = 1, opt, i;
    const char *mode;
    struct req *reqs;

    while ((opt = getopt(argc, argv, "d:b:s:n:")) != -1) {
        switch (opt) {
        case 'd': driver = optarg; break;
        case 'b': len = strtoul(optarg, NULL, 0); break;
        case 's': secs = atof(optarg); break;
        case 'n': n = atoi(optarg); break;
        default: return 2;
        }
    }
    if (optind >= argc || len == 0 || len % 16 || len > 65536 || n < 1 || n > 1024) {
        fprintf(stderr, "usage: raw_afalg [-d DRIVER] [-b BYTES] [-s SECONDS] [-n N] sync|uring\n");
        return 2;
    }
    mode = argv[optind];
    reqs = calloc((size_t)n, sizeof(*reqs));
    for (i = 0; i < n; i++) {
        reqs[i].fd = open_op(driver);
        reqs[i].in = malloc(len);
        reqs[i].out = malloc(len);
        memset(reqs[i].in, i + 1, len);
        prep_msg(&reqs[i], len);
    }
    t0 = now();
    c0 = cpu();
    if (strcmp(mode, "sync") == 0) {
        n = 1;
        do {
            if (sendmsg(reqs[0].fd, &reqs[0].msg, 0) != (ssize_t)len
                || read(reqs[0].fd, reqs[0].out, len) != (ssize_t)len) {
                perror("raw_afalg: sendmsg/read");
                return 1;
            }
            if (ops++ == 0)
                check(reqs[0].in, reqs[0].out, len);
            syscalls += 2;
        } while (now() - t0 < secs);
    } else if (strcmp(mode, "uring") == 0) {
        struct io_uring ring;
        int inflight = 0, checked = 0;

        if (io_uring_queue_init(2 * (unsigned)n, &ring, 0) < 0) {
            fprintf(stderr, "raw_afalg: io_uring unavailable\n");
            return 1;
        }
        for (i = 0; i < n; i++)
            queue_req(&ring, &reqs[i], len);
        inflight = n;
        while (inflight > 0) {
            struct io_uring_cqe *cqe;
            unsigned head, seen = 0;
            int stop = now() - t0 >= secs;

            io_uring_submit_and_wait(&ring, 1);
            syscalls++;
            io_uring_for_each_cqe(&ring, head, cqe) {
                struct req *r = io_uring_cqe_get_data(cqe);

                seen++;
                if (r == NULL)
                    continue;
                if (cqe->res != (int)len) {
                    fprintf(stderr, "raw_afalg: request failed: %d\n", cqe->res);
                    return 1;
                }
                if (!checked++)
                    check(r->in, r->out, len);
                ops++;
                inflight--;
                if (!stop) {
                    queue_req(&ring, r, len);
                    inflight++;
                }
            }
            io_uring_cq_advance(&ring, seen);
        }
        io_uring_queue_exit(&ring);
    } else {
        fprintf(stderr, "raw_afalg: unknown mode %s\n", mode);
        return 2;
    }
    t1 = now() - t0;
    printf("raw %s bytes=%zu inflight=%d ops=%llu seconds=%.3f mbps=%.2f cpu_us_per_op=%.1f "
           "syscalls_per_op=%.3f\n", mode, len, n, ops, t1, (double)ops * (double)len / t1 / 1e6,
           (cpu() - c0) / (double)ops * 1e6, (double)syscalls / (double)ops);
    return 0;
}
