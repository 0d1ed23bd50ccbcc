#!/usr/bin/env python3
"""A fake userspace WireGuard UAPI socket for benchmarks: answers every `get=1` with a table
of N peers (distinct keys, endpoints in 10.0.0.0/8, one allowed IP each, a handshake and byte
counts), as wireguard-go would. Runs until killed.

    fake_uapi_server.py SOCKET_PATH PEERS
"""
import os
import socket
import sys


def reply(peers):
    lines = ["private_key=" + "11" * 32, "listen_port=51820"]
    for i in range(peers):
        key = (i + 1).to_bytes(4, "big").hex() + "ab" * 28
        a, b = divmod(i, 250)
        lines += [
            "public_key=" + key,
            "preshared_key=" + "00" * 32,
            "protocol_version=1",
            "endpoint=10.%d.%d.%d:51820" % (a // 250, a % 250, b + 1),
            "last_handshake_time_sec=1764590000",
            "last_handshake_time_nsec=0",
            "tx_bytes=%d" % (i * 1000 + 7),
            "rx_bytes=%d" % (i * 2000 + 9),
            "persistent_keepalive_interval=25",
            "allowed_ip=10.200.%d.%d/32" % (a, b + 1),
        ]
    return ("\n".join(lines) + "\nerrno=0\n\n").encode()


def main():
    path, peers = sys.argv[1], int(sys.argv[2])
    body = reply(peers)
    if os.path.exists(path):
        os.unlink(path)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(16)
    while True:
        conn, _ = server.accept()
        with conn:
            request = b""
            while b"\n\n" not in request:
                chunk = conn.recv(64)
                if not chunk:
                    break
                request += chunk
            conn.sendall(body)


if __name__ == "__main__":
    main()
