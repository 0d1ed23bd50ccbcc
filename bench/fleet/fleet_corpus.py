#!/usr/bin/env python3
"""Writes the kernel log of a fleet: HOSTS WireGuard gateways, each with PEERS peers on wg0.

Every gateway's peer ids run from 1 to PEERS, as a freshly loaded module numbers them, so peer 7
exists on every host: fleet mode keeps them apart by the host label. Each peer goes through one
handshake cycle in each of ROUNDS rounds (the lines a peer with traffic logs about every two
minutes), and is created in the first:

    Peer N created                                   (first round only)
    Sending handshake initiation to peer N (ep)      Receiving handshake response from peer N (ep)
    Keypair K created for peer N                     Sending keepalive packet to peer N (ep)
    Receiving keepalive packet from peer N (ep)      Receiving handshake initiation from peer N (ep)
    Sending handshake response to peer N (ep)        Keypair K destroyed for peer N

That is 9 event series per peer, and with its gauges (last handshake time and age, last seen,
handshake attempts, endpoint, endpoint changes) 15 series per peer. Lines are ordered step by
step, then peer by peer, then host by host, so the hosts interleave as they would at a collector.
Even-numbered hosts send RFC 5424, odd-numbered ones RFC 3164 (rsyslog's two forward formats),
with HOSTNAME gw0001.example.net and so on.

usage: fleet_corpus.py --hosts 100 --peers 1000 [--rounds 1] --out FILE
Deterministic: the same arguments give the same bytes.
"""
import argparse
import sys


def endpoint(host, peer):
    # Documentation addresses (RFC 5737), distinct per host and peer.
    block = ("192.0.2", "198.51.100", "203.0.113")[host % 3]
    return "%s.%d:%d" % (block, 1 + peer % 250, 51820 + (host * 1000 + peer) % 10000)


STEPS = (
    "Sending handshake initiation to peer {p} ({ep})",
    "Receiving handshake response from peer {p} ({ep})",
    "Keypair {k} created for peer {p}",
    "Sending keepalive packet to peer {p} ({ep})",
    "Receiving keepalive packet from peer {p} ({ep})",
    "Receiving handshake initiation from peer {p} ({ep})",
    "Sending handshake response to peer {p} ({ep})",
    "Keypair {k} destroyed for peer {p}",
)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hosts", type=int, required=True)
    parser.add_argument("--peers", type=int, required=True)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    if not (1 <= args.hosts <= 100000 and 1 <= args.peers <= 1000000 and args.rounds >= 1):
        sys.exit("fleet_corpus.py: --hosts 1..100000, --peers 1..1000000, --rounds >= 1")

    headers = []
    for h in range(args.hosts):
        name = "gw%04d.example.net" % (h + 1)
        if h % 2 == 0:
            headers.append("<7>1 2026-11-24T10:00:00.000000+00:00 %s kernel - - -  wireguard: wg0: " % name)
        else:
            headers.append("<7>Nov 24 10:00:00 %s kernel: wireguard: wg0: " % name)
    endpoints = [[endpoint(h, p) for p in range(args.peers + 1)] for h in range(args.hosts)]

    lines = 0
    with open(args.out, "w", encoding="ascii", newline="\n") as out:
        for r in range(args.rounds):
            steps = (("Peer {p} created",) if r == 0 else ()) + STEPS
            for step in steps:
                chunk = []
                for p in range(1, args.peers + 1):
                    k = r * args.peers + p
                    for h in range(args.hosts):
                        chunk.append(headers[h] + step.format(p=p, k=k, ep=endpoints[h][p]))
                out.write("\n".join(chunk))
                out.write("\n")
                lines += len(chunk)
    print("fleet_corpus.py: %d lines, %d hosts x %d peers, %d round(s)" % (lines, args.hosts, args.peers, args.rounds),
          file=sys.stderr)


if __name__ == "__main__":
    main()
