"""The peer tables behind the synthetic kernel log, served as a userspace WireGuard serves them.

Each interface of kernel_log.py gets a UAPI socket, `<interface>.sock` in a directory the test
makes, answering `get=1` in the configuration protocol of wireguard.com/xplatform (hex keys,
`key=value` lines, `errno=0` and an empty line), as wireguard-go does. The exporter reads them
with --wireguard.uapi-dir and links the log's peer ids to these keys by endpoint, so that the
dashboard's name and public-key joins have data. Every peer of the log is in a table at its
current endpoint, and each interface has one more peer that never sent a line (a silent peer).
The bytes received grow at every read for the log's peers and stay at 0 for the silent ones.
"""

import base64
import hashlib
import os
import socket
import threading

import kernel_log


def _key(seed):
    """A 32-byte public key made from a seed (not a real Curve25519 point; the exporter only
    prints it)."""
    return hashlib.sha256(seed.encode()).digest()


def _base64(key):
    return base64.b64encode(key).decode()


def _uapi_endpoint(endpoint):
    """The kernel prints `[2001:db8::3]:51820/0%0` (flowinfo and scope); UAPI has neither."""
    return endpoint.split("/")[0]


class Peer:
    def __init__(self, interface, peer_id, seed, endpoint, name, allowed_ip, silent=False):
        self.interface = interface
        self.peer_id = peer_id  # the kernel id the log gives the peer; None for a silent one
        self.key = _key(seed)
        self.public_key = _base64(self.key)
        self.endpoint = endpoint
        self.name = name
        self.allowed_ip = allowed_ip
        self.silent = silent
        self.rx_bytes = 0
        self.tx_bytes = 0


def peers():
    """The tables: the log's peers at their last endpoint, some named, plus a silent peer each."""
    table = []
    for index, (interface, peer, endpoint) in enumerate(kernel_log.PEERS):
        if peer == 1:
            endpoint = kernel_log.ROAMED_ENDPOINT
        # Peers 1 and 3 have names; 2 and 4 are known by their key only.
        name = {1: "laptop-ana", 3: "branch-office"}.get(peer)
        table.append(Peer(interface, peer, f"peer-{peer}", _uapi_endpoint(endpoint), name,
                          f"10.7.0.{index + 2}/32"))
    interface, peer, endpoint = kernel_log.TIMED_PEER
    table.append(Peer(interface, peer, "peer-timed", endpoint, "db-replica", "10.7.0.9/32"))
    for index, interface in enumerate(("wg0", "wg1")):
        table.append(Peer(interface, None, f"silent-{interface}", None,
                          "spare-router" if interface == "wg0" else None,
                          f"10.8.0.{index + 2}/32", silent=True))
    return table


def names_file_text(table):
    """`PUBLIC_KEY NAME` lines for --peers.names-file."""
    return "".join(f"{peer.public_key} {peer.name}\n" for peer in table if peer.name)


class UapiServers:
    """One listening UAPI socket per interface, each answered from its own thread."""

    def __init__(self, directory, table):
        self.table = table
        self.lock = threading.Lock()
        self.listeners = []
        self.threads = []
        self.stopping = threading.Event()
        for interface in sorted({peer.interface for peer in table}):
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listener.bind(os.path.join(directory, f"{interface}.sock"))
            listener.listen(8)
            listener.settimeout(0.2)
            self.listeners.append(listener)
            thread = threading.Thread(target=self._serve, args=(listener, interface), daemon=True)
            thread.start()
            self.threads.append(thread)

    def _reply(self, interface):
        lines = [f"private_key={hashlib.sha256(b'device').hexdigest()}", "listen_port=51820"]
        with self.lock:
            for peer in self.table:
                if peer.interface != interface:
                    continue
                if not peer.silent:
                    peer.rx_bytes += 1480
                    peer.tx_bytes += 148
                lines.append(f"public_key={peer.key.hex()}")
                lines.append("preshared_key=" + "0" * 64)
                lines.append("protocol_version=1")
                if peer.endpoint:
                    lines.append(f"endpoint={peer.endpoint}")
                lines += ["last_handshake_time_sec=0", "last_handshake_time_nsec=0",
                          f"tx_bytes={peer.tx_bytes}", f"rx_bytes={peer.rx_bytes}",
                          "persistent_keepalive_interval=0", f"allowed_ip={peer.allowed_ip}"]
        return ("\n".join(lines) + "\nerrno=0\n\n").encode()

    def _serve(self, listener, interface):
        while not self.stopping.is_set():
            try:
                connection, _ = listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with connection:
                connection.settimeout(2)
                request = b""
                try:
                    while not request.endswith(b"\n\n"):
                        chunk = connection.recv(256)
                        if not chunk:
                            break
                        request += chunk
                    if request == b"get=1\n\n":
                        connection.sendall(self._reply(interface))
                except OSError:
                    pass

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=2)
        for listener in self.listeners:
            listener.close()
