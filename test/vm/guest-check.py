#!/usr/bin/python3
"""Checks run inside the test VM by test/vm/selftest: AF_ALG on virtio-crypto,
module auto-loading through the modprobe helper, kTLS.  Exit 0 when all pass."""
import hashlib
import os
import socket
import struct
import sys

failures = 0


def check(name, cond, detail=""):
    global failures
    print(("ok   " if cond else "FAIL ") + name + (f" ({detail})" if detail else ""))
    if not cond:
        failures += 1


def loaded(mod):
    with open("/proc/modules") as f:
        return any(line.split()[0] == mod for line in f)


def crypto_drivers():
    with open("/proc/crypto") as f:
        return {l.split(":", 1)[1].strip() for l in f if l.startswith("driver")}


# 1. AES-128-CBC on the virtio-crypto driver (NIST SP 800-38A F.2.1).
key = bytes.fromhex("2b7e151628aed2a6abf7158809cf4f3c")
iv = bytes.fromhex("000102030405060708090a0b0c0d0e0f")
pt = bytes.fromhex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51")
ct = bytes.fromhex("7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2")
check("virtio_crypto_aes_cbc in /proc/crypto", "virtio_crypto_aes_cbc" in crypto_drivers())
with socket.socket(socket.AF_ALG, socket.SOCK_SEQPACKET, 0) as tfm:
    tfm.bind(("skcipher", "virtio_crypto_aes_cbc"))
    tfm.setsockopt(socket.SOL_ALG, socket.ALG_SET_KEY, key)
    op, _ = tfm.accept()
    with op:
        op.sendmsg_afalg([pt], op=socket.ALG_OP_ENCRYPT, iv=iv)
        out = op.recv(len(pt))
    check("AF_ALG skcipher virtio_crypto_aes_cbc encrypt", out == ct, out.hex())

# 2. Module auto-loading: blake2b_generic is not preloaded.
was = loaded("blake2b_generic")
with socket.socket(socket.AF_ALG, socket.SOCK_SEQPACKET, 0) as tfm:
    try:
        tfm.bind(("hash", "blake2b-256"))
        op, _ = tfm.accept()
        with op:
            op.sendall(b"abc")
            d = op.recv(32)
        check("AF_ALG hash blake2b-256 via auto-loaded module",
              d == hashlib.blake2b(b"abc", digest_size=32).digest() and not was
              and loaded("blake2b_generic"), f"preloaded={was}")
    except OSError as e:
        check("AF_ALG hash blake2b-256 via auto-loaded module", False, str(e))

with socket.socket(socket.AF_ALG, socket.SOCK_SEQPACKET, 0) as tfm:
    tfm.bind(("hash", "sha3-256"))
    op, _ = tfm.accept()
    with op:
        op.sendall(b"abc")
        d = op.recv(32)
    check("AF_ALG hash sha3-256", d == hashlib.sha3_256(b"abc").digest())

# 3. kTLS: TLS 1.2 AES-128-GCM software TX over loopback.
SOL_TLS, TLS_TX, TCP_ULP = 282, 1, 31
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
cli = socket.create_connection(srv.getsockname())
peer, _ = srv.accept()
try:
    cli.setsockopt(socket.IPPROTO_TCP, TCP_ULP, b"tls")
    info = struct.pack("<HH8s16s4s8s", 0x0303, 51, os.urandom(8), os.urandom(16),
                       os.urandom(4), bytes(8))
    cli.setsockopt(SOL_TLS, TLS_TX, info)
    cli.sendall(b"hello ktls")
    rec = peer.recv(100)
    # record: 5-byte header (type 23, version 3.3), 8-byte explicit nonce,
    # 10 bytes ciphertext, 16-byte tag
    check("kTLS TX (gcm(aes))", rec[:3] == b"\x17\x03\x03" and len(rec) == 5 + 8 + 10 + 16,
          rec[:5].hex())
except OSError as e:
    check("kTLS TX (gcm(aes))", False, str(e))
finally:
    cli.close(); peer.close(); srv.close()
check("tls module loaded", loaded("tls"))

print(f"{failures} failures")
sys.exit(1 if failures else 0)
