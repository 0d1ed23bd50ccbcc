#!/usr/bin/env python3
"""Packets the lab's scenarios send (run inside the UML kernel, in whichever namespace).

  udp DEST COUNT [SOURCE]          COUNT datagrams to DEST port 9, bound to SOURCE when given
  message TYPE PORT COUNT [PUBKEY] [RECEIVER]
                                   COUNT WireGuard messages of TYPE (initiation, response,
                                   cookie, data) with random contents to 127.0.0.1:PORT; with
                                   PUBKEY (base64) the mac1 field is right for that receiver, so
                                   the message passes the MAC check and fails later; RECEIVER
                                   (8 hex digits) sets the receiver index of response/cookie/data
  sniff PORT TYPE OUT              waits (10 s at most) for one UDP datagram to PORT on the
                                   loopback whose WireGuard type is TYPE, writes its payload to
                                   OUT as hex and exits
  resend PORT HEXFILE COUNT        sends the payload in HEXFILE COUNT times to 127.0.0.1:PORT
  link IFNAME ETHERTYPE HEX        hands HEX to IFNAME as one packet of ETHERTYPE (AF_PACKET),
                                   which WireGuard's transmit path then judges
"""
import base64
import hashlib
import os
import select
import socket
import struct
import sys
import time

TYPES = {"initiation": (1, 148), "response": (2, 92), "cookie": (3, 64), "data": (4, 32)}


def mac1(payload: bytes, pubkey_b64: str) -> bytes:
    # WireGuard's mac1: keyed BLAKE2s-128 over the message up to mac1, keyed with
    # BLAKE2s-256("mac1----" || receiver's static public key).
    key = hashlib.blake2s(b"mac1----" + base64.b64decode(pubkey_b64)).digest()
    return hashlib.blake2s(payload, key=key, digest_size=16).digest()


def message(kind: str, pubkey: str, receiver: str) -> bytes:
    type_, size = TYPES[kind]
    body = bytearray(os.urandom(size))
    body[0:4] = struct.pack("<I", type_)
    if receiver and kind in ("response", "cookie", "data"):
        offset = 8 if kind == "response" else 4
        body[offset:offset + 4] = bytes.fromhex(receiver)
    if pubkey and kind in ("initiation", "response"):
        end = size - 32
        body[end:end + 16] = mac1(bytes(body[:end]), pubkey)
    return bytes(body)


def send_udp(dest: str, count: int, source: str) -> None:
    family = socket.AF_INET6 if ":" in dest else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        if source:
            s.bind((source, 0))
        for i in range(count):
            try:
                s.sendto(b"lab %d" % i, (dest, 9))
            except OSError as e:
                # The kernel refused it (no endpoint, no route): what some scenarios provoke.
                print(f"udp: send to {dest} refused: {e.strerror}", file=sys.stderr)


def send_messages(kind: str, port: int, count: int, pubkey: str, receiver: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for _ in range(count):
            s.sendto(message(kind, pubkey, receiver), ("127.0.0.1", port))


def sniff(port: int, kind: str, out: str) -> None:
    type_ = TYPES[kind][0]
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003)) as s:
        s.bind(("lo", 0))
        # Tell the caller the socket is listening.
        with open(out + ".listening", "w"):
            pass
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            ready, _, _ = select.select([s], [], [], 0.5)
            if not ready:
                continue
            frame, address = s.recvfrom(65535)
            if address[2] == socket.PACKET_OUTGOING:
                continue  # loopback shows each packet twice
            ip = frame[14:]
            if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
                continue
            udp = ip[(ip[0] & 15) * 4:]
            dport = struct.unpack("!H", udp[2:4])[0]
            payload = udp[8:]
            if dport == port and len(payload) >= 4 and payload[0] == type_:
                with open(out, "w") as f:
                    f.write(payload.hex())
                return
    sys.exit(f"sniff: no {kind} message to port {port} within 10 s")


def resend(port: int, hexfile: str, count: int) -> None:
    payload = bytes.fromhex(open(hexfile).read().strip())
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for _ in range(count):
            s.sendto(payload, ("127.0.0.1", port))


def link(ifname: str, ethertype: int, data: str) -> None:
    with socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ethertype)) as s:
        try:
            s.sendto(bytes.fromhex(data), (ifname, ethertype))
        except OSError as e:
            # wg_xmit's own verdict on the packet (EPROTONOSUPPORT: not IP).
            print(f"link: {ifname} refused the packet: {e.strerror}", file=sys.stderr)


def main() -> None:
    args = sys.argv[1:]
    command = args[0]
    if command == "udp":
        send_udp(args[1], int(args[2]), args[3] if len(args) > 3 else "")
    elif command == "message":
        send_messages(args[1], int(args[2]), int(args[3]), args[4] if len(args) > 4 else "",
                      args[5] if len(args) > 5 else "")
    elif command == "sniff":
        sniff(int(args[1]), args[2], args[3])
    elif command == "resend":
        resend(int(args[1]), args[2], int(args[3]))
    elif command == "link":
        link(args[1], int(args[2], 0), args[3])
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main()
