"""Who may open one more SMTP session: limits per address, per network prefix and in all, slots kept for trusted peers."""

from __future__ import annotations

import collections
import ipaddress
from dataclasses import dataclass

from robot.ingress.smtp_config import SmtpListenerConfig

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Peer:
    """A client as the limits see it: its address, the network prefix it is counted under, and whether it is trusted."""

    address: str
    prefix: str
    trusted: bool


@dataclass(frozen=True)
class Refusal:
    """Why a session is refused or ended: the setting that did it, and the 421 reply that names it."""

    limit: str
    reply: str


class ConnectionLimits:
    """Counts the open sessions. A trusted peer is held only by max_connections; anyone else also by the per-address
    and per-prefix limits, and may not take the last reserved_connections slots (when trusted peers are configured),
    so a crowd of clients from many addresses never locks the gateway out."""

    def __init__(self, config: SmtpListenerConfig) -> None:
        self._trusted: tuple[Network, ...] = tuple(ipaddress.ip_network(entry, strict=False)
                                                   for entry in config.trusted_peers)
        self._max_total = config.max_connections
        self._reserved = config.reserved_connections if self._trusted else 0
        self._max_per_client = config.max_connections_per_client
        self._max_per_prefix = config.max_connections_per_prefix
        self._v4, self._v6 = config.prefix_length_v4, config.prefix_length_v6
        self._total = self._untrusted = 0
        self._per_client: collections.Counter[str] = collections.Counter()
        self._per_prefix: collections.Counter[str] = collections.Counter()

    @property
    def open(self) -> int:
        return self._total

    def peer(self, peer_ip: str) -> Peer:
        """The peer for an address as the socket reports it (an IPv4-mapped IPv6 address counts as IPv4)."""
        try:
            address = ipaddress.ip_address(peer_ip)
        except ValueError:  # not an IP address (a Unix socket, an unknown peer): a prefix of its own
            return Peer(peer_ip, peer_ip, False)
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        length = self._v4 if address.version == 4 else self._v6
        prefix = ipaddress.ip_network(f"{address}/{length}", strict=False)
        trusted = any(address in network for network in self._trusted)
        return Peer(str(address), str(prefix), trusted)

    def admit(self, peer: Peer) -> Refusal | None:
        """Count the peer's session in, or say which limit refuses it."""
        if self._total >= self._max_total:
            return Refusal("max_connections", f"421 4.7.0 too many connections (max_connections {self._max_total})")
        if not peer.trusted:
            if self._per_client[peer.address] >= self._max_per_client:
                return Refusal("max_connections_per_client", "421 4.7.0 too many connections from your address "
                                                             f"(max_connections_per_client {self._max_per_client})")
            if self._per_prefix[peer.prefix] >= self._max_per_prefix:
                return Refusal("max_connections_per_prefix", f"421 4.7.0 too many connections from {peer.prefix} "
                                                             f"(max_connections_per_prefix {self._max_per_prefix})")
            if self._untrusted >= self._max_total - self._reserved:
                return Refusal("reserved_connections", f"421 4.7.0 too many connections (reserved_connections "
                                                       f"{self._reserved} of max_connections {self._max_total} "
                                                       "are kept for trusted peers)")
            self._untrusted += 1
            self._per_client[peer.address] += 1
            self._per_prefix[peer.prefix] += 1
        self._total += 1
        return None

    def release(self, peer: Peer) -> None:
        """Count an admitted session out."""
        self._total -= 1
        if peer.trusted:
            return
        self._untrusted -= 1
        for counter, key in ((self._per_client, peer.address), (self._per_prefix, peer.prefix)):
            counter[key] -= 1
            if counter[key] <= 0:
                del counter[key]
