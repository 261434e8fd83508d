"""Builds a pcap of one TCP connection from a dialogue: the handshake,
each (side, bytes) turn as one segment with correct sequence and
acknowledgement numbers, and the FIN exchange. For tests that need a
capture of a scripted conversation (scapy, Debian's python3-scapy)."""
from scapy.all import IP, TCP, Raw, wrpcap

CLIENT = ("192.0.2.1", 40000)


def write(path, server_port, turns, start=1700000000.0):
    """turns: [("C" or "S", bytes)], in wire order."""
    c, s = CLIENT, ("192.0.2.2", server_port)
    seq = {c: 1000, s: 5000}
    pkts = []

    def seg(src, flags, data=b""):
        dst = s if src == c else c
        pkts.append(IP(src=src[0], dst=dst[0]) / TCP(
            sport=src[1], dport=dst[1], flags=flags, seq=seq[src],
            ack=seq[dst]) / Raw(data))
        seq[src] += len(data) + (1 if "S" in flags or "F" in flags else 0)

    seg(c, "S")
    seg(s, "SA")
    for side, data in turns:
        seg(c if side == "C" else s, "PA", data)
    seg(c, "FA")
    seg(s, "FA")
    for i, p in enumerate(pkts):
        p.time = start + i / 1000
    wrpcap(path, pkts)
