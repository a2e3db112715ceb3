/*
 * The DPDK cryptodev backend: direct user-space access to accelerator queue
 * pairs (QAT, CCP, CAAM, cnxk, mlx5, virtio...) and to DPDK's software
 * multi-buffer PMDs.  Every DPDK call kaccel makes lives in src/backend/dpdk/;
 * this header names no DPDK type, so the provider and the core build the same
 * with or without libdpdk (without it every function reports "unavailable").
 *
 * Life cycle
 *  - Nothing DPDK happens at provider load: the EAL is brought up lazily by the
 *    first operation that would be offloaded (kac_dpdk_usable()), in that
 *    process.  A process that inherited a parent's EAL through fork never
 *    touches it: its operations go to the next backend or to software.
 *  - Bring-up leaves the calling thread's CPU affinity, the signal dispositions
 *    and stdout/stderr as they were, failed or not; EAL logs, and what the EAL
 *    prints itself when it fails, go to kaccel's debug log.
 *  - Devices (kaccel-dpdk-devices) are configured with queue pairs
 *    (kaccel-dpdk-queue-pairs); which algorithms each device serves is read
 *    from its capabilities, never hard-coded.
 *
 * Operations
 *  - A session per context (key, direction, tag length), created on the device
 *    chosen for the algorithm; digests share one session per algorithm for
 *    the process (kac_dpdk_sess_free leaves it alone).
 *  - Each thread takes a queue pair of that device on first use; when threads
 *    outnumber queue pairs, queue pairs are shared under a lock.  Gets and
 *    puts on the op, mbuf and session pools are serialized too: DPDK's rings
 *    make other threads spin while one is preempted inside them, and
 *    application threads are neither pinned nor as few as the CPUs.
 *  - An operation is split into ops of at most KAC_DPDK_MAX_OP bytes,
 *    enqueued in bursts and dequeued in bursts.  Inside an OpenSSL ASYNC job
 *    the job stages its ops on the queue pair and pauses (its wait fd or
 *    callback tells the application to resume it at once); the first job
 *    resumed enqueues every staged op in one burst and dequeues a burst for
 *    every job of its queue pair: jobs that pause together are enqueued and
 *    complete together.  Outside a job the caller enqueues what is staged with
 *    its own ops and dequeues until its ops are done.  No thread polls when
 *    nothing is in flight.
 *  - In-flight ops per thread are bounded by kaccel-queue-depth: a full queue
 *    pair returns KAC_DPDK_FULL and the caller uses software (no error).
 */
#ifndef KAC_DPDK_H
#define KAC_DPDK_H

#include <stddef.h>

#include <openssl/async.h>

#include "../../core/alg.h"
#include "../../core/backend.h"
#include "../../core/config.h"

/* Largest payload of one op (mbuf data lengths are 16-bit). */
#define KAC_DPDK_MAX_OP (32 * 1024)

/* Returned (positive) when the queue pair has no room: use software. */
#define KAC_DPDK_FULL 1

extern const struct kac_backend kac_backend_dpdk;

/* Applies the configuration; no DPDK call.  Called from the router. */
void kac_dpdk_configure(const struct kac_config *cfg);

/*
 * 1 when alg can be offloaded through DPDK in this process: brings the EAL
 * up on first call (once per process).  0 when DPDK is unavailable here (not
 * configured, bring-up failed, inherited across fork, no device offers alg,
 * or the caller is inside a DPDK PMD's own call, e.g. crypto_openssl calling
 * back into OpenSSL).
 */
int kac_dpdk_usable(enum kac_alg_id alg);

/*
 * 1 once this process's DPDK state is final: the EAL is up (here or in a
 * parent before fork) or its bring-up failed.  The routes can then be
 * described as they are, not as they may become.
 */
int kac_dpdk_settled(void);

/* The device name serving alg, or NULL. */
const char *kac_dpdk_device_for(enum kac_alg_id alg);

/*
 * The most data bytes one op of alg's device carries: KAC_DPDK_MAX_OP, or
 * less for a device whose PMD refuses more (crypto_virtio: 2 KiB).  Messages
 * that must go as one op (digests, MACs, AEAD, an XTS data unit) and are
 * longer go elsewhere.
 */
size_t kac_dpdk_max_op(enum kac_alg_id alg);

struct kac_dpdk_sess;

/*
 * A session for one context.  For ciphers enc selects the direction; for AEAD
 * taglen and aadlen fix the tag and associated-data lengths (aadlen may be
 * changed per operation by creating a new session); for HMAC key is the MAC
 * key; for digests key is NULL.  Returns NULL with *err set to an errno value
 * (ENOTSUP: parameters the device cannot take).
 */
struct kac_dpdk_sess *kac_dpdk_sess_new(const struct kac_alg *alg, int enc,
                                        const unsigned char *key, size_t keylen,
                                        unsigned ivlen, unsigned taglen, unsigned aadlen,
                                        int *err);
void kac_dpdk_sess_free(struct kac_dpdk_sess *s);
/*
 * Frees what the process keeps across contexts (the shared digest sessions);
 * called when the last kaccel instance is torn down.  A later offload makes
 * them again.
 */
void kac_dpdk_release(void);
/* The parameters a session was made with, to decide whether it can be reused. */
int kac_dpdk_sess_matches(const struct kac_dpdk_sess *s, int enc, unsigned ivlen,
                          unsigned taglen, unsigned aadlen);

/*
 * ECB/CBC/CTR/XTS over len bytes (whole blocks; XTS: one data unit of at most
 * KAC_DPDK_MAX_OP).  iv is the IV for the first byte (ignored for ECB); the
 * caller tracks the next IV.  in and out must not overlap (the input stays
 * intact, so a failure can be redone in software).  *done receives the bytes
 * completed: a prefix of len, correct even when the call fails.  Returns 0,
 * KAC_DPDK_FULL (no room: the rest goes to software) or -errno.
 */
int kac_dpdk_cipher(struct kac_dpdk_sess *s, const unsigned char *iv,
                    const unsigned char *in, unsigned char *out, size_t len, size_t *done);

/*
 * One AEAD message of len <= KAC_DPDK_MAX_OP bytes; in and out must not
 * overlap (a failed op leaves the input for a software retry).  Encrypt writes the tag to
 * tag; decrypt checks tag and returns -EBADMSG on mismatch (out then holds
 * no plaintext: it is wiped).  Returns 0, KAC_DPDK_FULL or -errno.
 */
int kac_dpdk_aead(struct kac_dpdk_sess *s, const unsigned char *iv,
                  const unsigned char *aad, size_t aadlen,
                  const unsigned char *in, unsigned char *out, size_t len,
                  unsigned char *tag);

/*
 * One whole message (digest or HMAC) of len <= KAC_DPDK_MAX_OP bytes; writes
 * the alg's output size to md.  Returns 0, KAC_DPDK_FULL or -errno.
 */
int kac_dpdk_hash(struct kac_dpdk_sess *s, const unsigned char *in, size_t len,
                  unsigned char *md);

/*
 * Process-wide counters and a description for `kaccel info` / stats (every
 * field is an unsigned long long: kac_dpdk_stats() copies them as an array).
 */
struct kac_dpdk_stats {
    unsigned long long ops, bursts_enq, bursts_deq, burst_max, pauses, full,
        op_errors, qp_shared, timeouts;
};
void kac_dpdk_stats(struct kac_dpdk_stats *out);

/*
 * Resets the DPDK wait fd of w (left readable between DPDK waits) before
 * another backend pauses a job on a wait of its own.
 */
void kac_dpdk_wait_quiet(ASYNC_WAIT_CTX *w);

/*
 * Writes a human-readable description: EAL state, devices, PMDs, queue pairs,
 * capabilities matched to kaccel's algorithms.  Brings the EAL up when
 * bring_up is set.  Returns the length (snprintf semantics).
 */
size_t kac_dpdk_describe(char *buf, size_t len, int bring_up);

#endif
