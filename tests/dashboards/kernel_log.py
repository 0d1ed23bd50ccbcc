"""A small synthetic WireGuard kernel log that gives every dashboard panel data.

The lines follow the kernel's printf formats listed in docs/events.md (the input contract): one
row per format below, filled in for a few peers on two interfaces. Most lines are plain
`dmesg`-style lines, stamped by the exporter at replay time; the handshakes of two peers are
RFC 5424 syslog lines dated 150 s and 200 s ago, so the handshake-age thresholds (120 s, 180 s)
have peers on both sides. One more peer (TIMED_PEER) has only RFC 5424 lines with microsecond
stamps: a handshake with a 42 ms round trip, and one that needed a retry (90 ms, completed after
5.09 s), for the handshake timing panels.
"""

import datetime

# Peer events: (event, body). {peer} is the peer id, {ep} its endpoint as %pISpfsc prints it.
PEER_EVENTS = [
    ("handshake_initiation_received", "Receiving handshake initiation from peer {peer} ({ep})"),
    ("handshake_response_received", "Receiving handshake response from peer {peer} ({ep})"),
    ("keepalive_received", "Receiving keepalive packet from peer {peer} ({ep})"),
    ("unallowed_src_ip", "Packet has unallowed src IP (10.99.0.7) from peer {peer} ({ep})"),
    ("invalid_packet_type", "Packet is neither ipv4 nor ipv6 from peer {peer} ({ep})"),
    ("invalid_packet_size", "Packet has incorrect size from peer {peer} ({ep})"),
    ("handshake_initiation_sent", "Sending handshake initiation to peer {peer} ({ep})"),
    ("handshake_response_sent", "Sending handshake response to peer {peer} ({ep})"),
    ("keepalive_sent", "Sending keepalive packet to peer {peer} ({ep})"),
    ("handshake_retry",
     "Handshake for peer {peer} ({ep}) did not complete after 5 seconds, retrying (try 2)"),
    ("handshake_stale_retry",
     "Retrying handshake with peer {peer} ({ep}) because we stopped hearing back after 15 seconds"),
    ("keys_zeroed",
     "Zeroing out all keys for peer {peer} ({ep}), since we haven't received a new one in 540 seconds"),
    ("no_endpoint", "No valid endpoint has been configured or discovered for peer {peer}"),
    ("keypair_created", "Keypair {keypair} created for peer {peer}"),
    ("keypair_destroyed", "Keypair {keypair} destroyed for peer {peer}"),
    ("packet_delivery_failed", "Failed to give packet to userspace from peer {peer} ({ep})"),
]

# Interface events: bodies with the sender's endpoint where the kernel prints one.
INTERFACE_EVENTS = [
    ("cookie_decrypt_failed", "Could not decrypt invalid cookie response"),
    ("cookie_response_received", "Receiving cookie response from 198.51.100.20:51820"),
    ("invalid_mac", "Invalid MAC of handshake, dropping packet from 203.0.113.66:40000"),
    ("invalid_mac", "Invalid MAC of handshake, dropping packet from [2001:db8:bad::1]:40001/0%0"),
    ("invalid_handshake_initiation", "Invalid handshake initiation from 203.0.113.67:40002"),
    ("invalid_handshake_response", "Invalid handshake response from 203.0.113.68:40003"),
    ("invalid_nonce", "Packet has invalid nonce 1234 (max 1200)"),
    ("handshake_dropped", "Dropping handshake packet from 203.0.113.69:40004"),
    ("cookie_response_sent",
     "Sending cookie response for denied handshake message for 203.0.113.70:40005"),
    ("invalid_ip_packet", "Invalid IP packet"),
    ("no_allowed_ips_match", "No peer has allowed IPs matching 10.200.0.1"),
    ("no_allowed_ips_match",
     "No peer has allowed IPs matching fd00:0000:0000:0000:0000:0000:0000:0001"),
    ("no_route", "No route to 192.0.2.50:51820, error -101"),
    ("no_route", "No route to [2001:db8::50]:51820/0%0, error -113"),
    ("routing_loop_avoided", "Avoiding routing loop to 192.0.2.51:51820"),
    ("invalid_packet", "Invalid packet from 203.0.113.71:40006"),
    ("namespace_exiting", "Creating namespace exiting"),
]

# (interface, peer id, endpoint): peer 1 roams from IPv4 to IPv6 halfway through.
PEERS = [
    ("wg0", 1, "192.0.2.1:51820"),
    ("wg0", 2, "192.0.2.2:51820"),
    ("wg1", 3, "[2001:db8::3]:51820/0%0"),
    ("wg1", 4, "198.51.100.4:51820"),
]
ROAMED_ENDPOINT = "[2001:db8::1]:51820/0%0"
# (interface, peer id, endpoint) of the peer whose handshakes are timed.
TIMED_PEER = ("wg0", 5, "192.0.2.5:51820")
# Its last handshake's round trip: the initiation 55 s ago, the response 54.91 s ago.
TIMED_LAST_RTT = 0.09


def _kernel_line(seconds, interface, body):
    return f"[{seconds:12.6f}] wireguard: {interface}: {body}"


def _rfc5424_line(when, interface, body):
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
    return f"<7>1 {stamp} gw1 kernel - - -  wireguard: {interface}: {body}"


def generate(now=None):
    """Returns the log's lines (without newlines)."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    lines = []
    clock = 100.0
    keypair = 100

    def emit(interface, body):
        nonlocal clock
        clock += 0.25
        lines.append(_kernel_line(clock, interface, body))

    for interface in ("wg0", "wg1"):
        emit(interface, "Interface created")
    for interface, peer, _ in PEERS:
        emit(interface, f"Peer {peer} created")
    # Two rounds so every counter moves more than once; peer 1 roams between them.
    for round_number in range(2):
        for interface, peer, endpoint in PEERS:
            if peer == 1 and round_number == 1:
                endpoint = ROAMED_ENDPOINT
            for _, body in PEER_EVENTS:
                keypair += 1
                emit(interface, body.format(peer=peer, ep=endpoint, keypair=keypair))
        for interface in ("wg0", "wg1"):
            for _, body in INTERFACE_EVENTS:
                emit(interface, body)
        lines.append(f"[{clock:12.6f}] net_ratelimit: {17 + round_number} callbacks suppressed")
    # Peer 2 gives up (attempts stay at 20); peers 3 and 4 last completed a handshake a while ago.
    emit("wg0", "Sending handshake initiation to peer 2 (192.0.2.2:51820)")
    emit("wg0", "Handshake for peer 2 (192.0.2.2:51820) did not complete after 20 attempts, "
                "giving up")
    for interface, peer, age in (("wg1", 3, 150), ("wg1", 4, 200)):
        keypair += 1
        lines.append(_rfc5424_line(now - datetime.timedelta(seconds=age), interface,
                                   f"Keypair {keypair} created for peer {peer}"))
    # The timed peer: every line stamped to the microsecond.
    interface, peer, endpoint = TIMED_PEER
    emit(interface, f"Peer {peer} created")
    timed = [
        (100.0, f"Sending handshake initiation to peer {peer} ({endpoint})"),
        (99.958, f"Receiving handshake response from peer {peer} ({endpoint})"),
        (99.957, "Keypair {keypair} created for peer " + str(peer)),
        (60.0, f"Sending handshake initiation to peer {peer} ({endpoint})"),
        (55.0, f"Handshake for peer {peer} ({endpoint}) did not complete after 5 seconds, "
               "retrying (try 2)"),
        (55.0, f"Sending handshake initiation to peer {peer} ({endpoint})"),
        (54.91, f"Receiving handshake response from peer {peer} ({endpoint})"),
        (54.909, "Keypair {keypair} created for peer " + str(peer)),
    ]
    for age, body in timed:
        keypair += 1
        lines.append(_rfc5424_line(now - datetime.timedelta(seconds=age), interface,
                                   body.format(keypair=keypair)))
    # A peer created and destroyed again; lines counted as malformed, ignored (another driver, and
    # the module's banner) and unknown (a format no kernel prints).
    emit("wg1", "Peer 9 created")
    emit("wg1", "Peer 9 (192.0.2.9:51820) destroyed")
    lines.append(f"[{clock:12.6f}] wireguard: wg0: Peer 123456789012345678901 created")
    lines.append(f"[{clock:12.6f}] e1000e: eth0 NIC Link is Up 1000 Mbps Full Duplex")
    lines.append(f"[{clock:12.6f}] wireguard: WireGuard 1.0.0 loaded. "
                 "See www.wireguard.com for information.")
    lines.append(f"[{clock:12.6f}] wireguard: wg0: Frobnicating peer 5 with new flux capacitor")
    return lines

