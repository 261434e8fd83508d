#!/usr/bin/python3
"""Writes an impaired copy of a pcap, to show that reassembly copes.

Real captures rarely show a clean TCP exchange: segments arrive out of
order, twice, cut differently, overlapping, or not at all, and frames
carry VLAN tags. This tool makes each of those happen, on purpose and
reproducibly (every random choice comes from --seed), to a capture whose
correct reading is known, so a test can demand the same reading.

Usage:
  impair.py [--seed N] IN.pcap OUT.pcap STEP [+ STEP ...]

Steps (applied left to right; "+" chains them):
  reorder [--window N]      shuffle data segments within windows of N,
                            per direction
  duplicate                 send every data segment twice, the copy
                            right after it or a few packets later
  overlap                   add retransmissions that cover the end of a
                            segment and the start of the next, same bytes
  split [--min A --max B]   cut every data segment into pieces of A..B
                            bytes (1..7 by default)
  drop (--index N | --offset K) [--port P] [--to-server]
                            drop one server-to-client data segment
                            (client-to-server with --to-server): the
                            Nth of them, or the one holding stream
                            offset K (0 is the first byte after the SYN)
                            of the connection from client port P
  vlan [--qinq] [--id N]    add an 802.1Q tag (QinQ: an 802.1ad tag
                            outside it)

What a step changed (e.g. the dropped segment) is printed on stdout as
one JSON object per step.

Every step keeps the rules a real capture obeys, so that what it shows is
the analyser's behaviour and not an impossible capture: timestamps never
go back; no segment is moved behind an acknowledgement of its own bytes
(a receiver cannot acknowledge what it has not received); IP lengths and
IP/TCP checksums are recomputed for every packet that changed.
"""
import argparse
import json
import random
import sys
from decimal import Decimal

from scapy.all import (IP, TCP, Dot1AD, Dot1Q, Ether, IPv6, PcapReader,
                       Raw, conf, wrpcap)

conf.verb = 0

SYN, FIN, RST, PSH, ACK = 0x02, 0x01, 0x04, 0x08, 0x10
USEC = Decimal("0.000001")


# ---- reading packets ---------------------------------------------------

def read_pcap(path):
    """Returns (packets, linktype): the link type must survive the copy."""
    with PcapReader(path) as r:
        return list(r), r.linktype


def write_pcap(path, packets, linktype):
    wrpcap(path, packets, linktype=linktype)


def ip_layer(p):
    """The IPv4 or IPv6 header, or None for a frame that carries neither."""
    if IP in p:
        return p[IP]
    if IPv6 in p:
        return p[IPv6]
    return None


def is_tcp(p):
    return ip_layer(p) is not None and TCP in p


def payload_of(p):
    """The TCP payload bytes, without any Ethernet padding."""
    t = p[TCP]
    raw = bytes(t.payload)
    pad = t.payload.getlayer("Padding")
    if pad is not None:
        raw = raw[:len(raw) - len(bytes(pad))]
    return raw


def is_data(p):
    return is_tcp(p) and len(payload_of(p)) > 0


def endpoints(p):
    """(source, destination) as (ip, port) pairs: the packet's direction."""
    ip = ip_layer(p)
    return (ip.src, p[TCP].sport), (ip.dst, p[TCP].dport)


def flow_of(p):
    """Both directions of a connection share this key."""
    return frozenset(endpoints(p))


def seq_gt(a, b):
    """a after b, modulo 2^32 (RFC 9293 §3.4)."""
    return 0 < ((a - b) & 0xFFFFFFFF) < 0x80000000


def servers(packets):
    """The server endpoint of every connection: the SYN-ACK's sender, or
    (no handshake seen) the endpoint with the lower port."""
    found = {}
    for p in packets:
        if not is_tcp(p):
            continue
        flags = int(p[TCP].flags)
        if flags & SYN and flags & ACK:
            found.setdefault(flow_of(p), endpoints(p)[0])
    for p in packets:
        if is_tcp(p) and flow_of(p) not in found:
            a, b = endpoints(p)
            found[flow_of(p)] = a if a[1] < b[1] else b
    return found


def to_client(p, server_of):
    """True for a packet the server sent."""
    return endpoints(p)[0] == server_of[flow_of(p)]


# ---- building packets --------------------------------------------------

def recompute(p):
    """Lengths and checksums are left to scapy to fill in again."""
    ip = ip_layer(p)
    if isinstance(ip, IP):
        del ip.len
        del ip.chksum
    else:
        del ip.plen
    del p[TCP].chksum
    return p


def with_payload(p, seq, data, flags, ts):
    """A copy of p carrying data at seq instead, with the given flags."""
    q = p.copy()
    t = q[TCP]
    t.seq = seq & 0xFFFFFFFF
    t.flags = flags
    t.remove_payload()
    if data:
        t.add_payload(Raw(data))
    q.time = ts
    return recompute(q)


def clone(p, ts):
    q = p.copy()
    q.time = ts
    return q


def spread(t0, t_next, n):
    """n timestamps from t0, a microsecond apart when there is room,
    never reaching t_next: pieces of one segment arrive close together."""
    t0 = Decimal(t0)
    if t_next is None:
        step = USEC
    else:
        step = min(USEC, (Decimal(t_next) - t0) / n)
    return [t0 + i * step for i in range(n)]


# ---- the impairments ---------------------------------------------------

def split(packets, rng, lo=1, hi=7):
    """Cuts every data segment into pieces of lo..hi bytes. Only the last
    piece keeps FIN (it ends the sequence space) and PSH."""
    out, info = [], {"segments": 0, "pieces": 0}
    for i, p in enumerate(packets):
        if not is_data(p):
            out.append(p)
            continue
        data, t = payload_of(p), p[TCP]
        flags = int(t.flags)
        seq = t.seq + (1 if flags & SYN else 0)
        cuts, at = [], 0
        while at < len(data):
            n = min(rng.randint(lo, hi), len(data) - at)
            cuts.append((at, n))
            at += n
        t_next = packets[i + 1].time if i + 1 < len(packets) else None
        times = spread(p.time, t_next, len(cuts))
        for k, (at, n) in enumerate(cuts):
            last = k == len(cuts) - 1
            f = flags if last else flags & ~(FIN | PSH)
            if k > 0:
                f &= ~SYN
            s = seq + at - (1 if f & SYN else 0)
            out.append(with_payload(p, s, data[at:at + n], f, times[k]))
        info["segments"] += 1
        info["pieces"] += len(cuts)
    return out, info


def reorder(packets, rng, window=4):
    """Shuffles each direction's data segments within windows of up to
    `window` consecutive ones. A window closes early when the peer
    acknowledges into it: a segment must not be delivered after the
    acknowledgement of its own bytes. Every window of two or more comes
    out in a different order. Every packet takes over the timestamp of
    the slot it moves into, so time stays monotonic."""
    windows, open_win = [], {}

    def close(key):
        w = open_win.pop(key, None)
        if w and len(w) > 1:
            windows.append(w)

    for i, p in enumerate(packets):
        if not is_tcp(p):
            continue
        src, dst = endpoints(p)
        t = p[TCP]
        if int(t.flags) & ACK:
            peer = (flow_of(p), dst)
            w = open_win.get(peer)
            if w and any(seq_gt(t.ack, packets[j][TCP].seq) for j in w):
                close(peer)
        if not is_data(p):
            continue
        key = (flow_of(p), src)
        open_win.setdefault(key, []).append(i)
        if len(open_win[key]) >= window:
            close(key)
    for key in list(open_win):
        close(key)
    out = list(packets)
    moved = 0
    for slots in windows:
        order = slots[:]
        while order == slots:  # a window left as it was tests nothing
            rng.shuffle(order)
        for slot, src in zip(slots, order):
            out[slot] = clone(packets[src], packets[slot].time)
            moved += slot != src
    return out, {"windows": len(windows), "moved": moved}


def duplicate(packets, rng, max_later=5):
    """Sends every data segment twice: half the copies right after the
    original, the others 1..max_later packets later (a spurious
    retransmission, possibly after the acknowledgement)."""
    later = {}  # input position -> copies to send just before that packet
    out = []
    for i, p in enumerate(packets):
        for q in later.pop(i, []):
            out.append(clone(q, out[-1].time))
        out.append(p)
        if not is_data(p):
            continue
        if rng.random() < 0.5:
            out.append(clone(p, p.time))
        else:
            later.setdefault(i + 1 + rng.randint(1, max_later), []).append(p)
    for i in sorted(later):
        for q in later[i]:
            out.append(clone(q, out[-1].time))
    return out, {"copies": sum(1 for p in packets if is_data(p))}


def overlap(packets, rng, most=16):
    """For every two consecutive, adjacent data segments A and B of a
    direction, adds a retransmission of A's last bytes and B's first
    bytes (up to `most` each; the same bytes, so no conflict), just
    before B (it brings B's start early) or just after it (nothing new)."""
    last = {}  # (flow, sender) -> (seq_end, payload) of the last segment
    out, added = [], 0
    for p in packets:
        if not is_data(p):
            out.append(p)
            continue
        t, data = p[TCP], payload_of(p)
        flags = int(t.flags)
        seq = t.seq + (1 if flags & SYN else 0)
        key = (flow_of(p), endpoints(p)[0])
        prev = last.get(key)
        last[key] = ((seq + len(data)) & 0xFFFFFFFF, data)
        if prev is None or prev[0] != seq or flags & SYN:
            out.append(p)
            continue
        a = rng.randint(1, min(most, len(prev[1])))
        b = rng.randint(1, min(most, len(data)))
        bridge = prev[1][-a:] + data[:b]
        f = (flags & ~(FIN | PSH)) | ACK
        extra = with_payload(p, seq - a, bridge, f, p.time)
        if rng.random() < 0.5:
            out += [extra, p]
        else:
            out += [p, extra]
        added += 1
    return out, {"added": added}


def client_port_of(p, server_of):
    """The client's port of the connection p belongs to."""
    return p[TCP].dport if to_client(p, server_of) else p[TCP].sport


def in_direction(p, server_of, to_server):
    """True for a packet travelling the chosen way: the client sends
    what goes to the server (an SMTP body), the server the rest (a POP3
    message, a reply)."""
    return to_client(p, server_of) != to_server


def stream_isn(packets, server_of, port, to_server=False):
    """Sequence number of the first data byte the server sends (the
    client, with to_server), for the connection from client port `port`
    (the first connection if None). Returns (client port, isn)."""
    for p in packets:
        if not is_tcp(p) or not in_direction(p, server_of, to_server):
            continue
        cport = client_port_of(p, server_of)
        if port is not None and cport != port:
            continue
        flags = int(p[TCP].flags)
        if flags & SYN:
            return cport, (p[TCP].seq + 1) & 0xFFFFFFFF
        if is_data(p):  # no handshake: the first byte seen is offset 0
            return cport, p[TCP].seq
    way = "client-to-server" if to_server else "server-to-client"
    raise ValueError(f"no {way} stream for port {port}")


def drop(packets, rng, index=None, offset=None, port=None, to_server=False):
    """Drops one server-to-client data segment (client-to-server with
    to_server): the `index`th (0-based, counted over the connection from
    `port`, or all), or the first that holds stream byte `offset`.
    Nothing else changes: the receiver still acknowledges the bytes, so
    the loss looks like a capture drop."""
    server_of = servers(packets)
    isn = None
    if offset is not None:
        port, isn = stream_isn(packets, server_of, port, to_server)
    n = 0
    for i, p in enumerate(packets):
        if not is_data(p) or not in_direction(p, server_of, to_server):
            continue
        if port is not None and client_port_of(p, server_of) != port:
            continue
        data = payload_of(p)
        start = (p[TCP].seq - isn) & 0xFFFFFFFF if isn is not None else None
        if (index is not None and n == index) or (
                offset is not None and start <= offset < start + len(data)):
            return packets[:i] + packets[i + 1:], {
                "dropped": i, "client_port": client_port_of(p, server_of),
                "to_server": to_server, "offset": start, "len": len(data)}
        n += 1
    raise ValueError("no such segment to drop")


def vlan(packets, rng, qinq=False, vid=100, outer=200):
    """Tags every Ethernet frame: 802.1Q, or 802.1ad around 802.1Q."""
    out = []
    for p in packets:
        if Ether not in p or p.getlayer(Ether) is not p:
            out.append(p)
            continue
        inner = p.payload.copy()
        tags = Dot1Q(vlan=vid, type=p.type)
        if qinq:
            tags = Dot1AD(vlan=outer) / tags
        q = Ether(dst=p.dst, src=p.src) / tags / inner
        q.time = p.time
        out.append(q)
    return out, {"tags": 2 if qinq else 1}


STEPS = {"split": split, "reorder": reorder, "duplicate": duplicate,
         "overlap": overlap, "drop": drop, "vlan": vlan}


def impair(packets, steps, seed=1):
    """Applies steps [(name, kwargs)] in order; each step draws from its
    own generator, so adding a step does not change the others' choices.
    Returns the packets and a list of what each step did."""
    infos = []
    for k, (name, kw) in enumerate(steps):
        rng = random.Random(f"{seed}:{k}:{name}")
        packets, info = STEPS[name](packets, rng, **kw)
        infos.append({"step": name, **info})
    return packets, infos


def check_monotonic(packets):
    """Time must never go back: a tool that made it would be testing the
    analyser's clock handling instead of reassembly."""
    for a, b in zip(packets, packets[1:]):
        if b.time < a.time:
            raise AssertionError(f"time goes back: {a.time} > {b.time}")


# ---- stream view, for choosing what to drop ----------------------------

def server_streams(packets, to_server=False):
    """Each connection's server-to-client bytes (client-to-server with
    to_server), by client port: what the receiver got, in order, first
    copy wins."""
    server_of = servers(packets)
    out = {}
    for p in packets:
        if not is_data(p) or not in_direction(p, server_of, to_server):
            continue
        port = client_port_of(p, server_of)
        if port not in out:
            out[port] = (bytearray(),
                         stream_isn(packets, server_of, port, to_server)[1])
        buf, isn = out[port]
        at = (p[TCP].seq - isn) & 0xFFFFFFFF
        data = payload_of(p)
        if at > len(buf):
            buf.extend(b"\0" * (at - len(buf)))
        if at + len(data) > len(buf):
            buf.extend(data[len(buf) - at:])
    return {port: bytes(b) for port, (b, _) in out.items()}


# ---- command line ------------------------------------------------------

def step_parser():
    ap = argparse.ArgumentParser(prog="impair.py STEP", add_help=False)
    sub = ap.add_subparsers(dest="name", required=True)
    s = sub.add_parser("split")
    s.add_argument("--min", dest="lo", type=int, default=1)
    s.add_argument("--max", dest="hi", type=int, default=7)
    s = sub.add_parser("reorder")
    s.add_argument("--window", type=int, default=4)
    s = sub.add_parser("duplicate")
    s.add_argument("--max-later", type=int, default=5)
    sub.add_parser("overlap")
    s = sub.add_parser("drop")
    g = s.add_mutually_exclusive_group(required=True)
    g.add_argument("--index", type=int)
    g.add_argument("--offset", type=int)
    s.add_argument("--port", type=int)
    s.add_argument("--to-server", action="store_true")
    s = sub.add_parser("vlan")
    s.add_argument("--qinq", action="store_true")
    s.add_argument("--id", dest="vid", type=int, default=100)
    return ap


def parse_steps(words):
    """STEP [+ STEP ...] into [(name, kwargs)]."""
    steps, cur = [], []
    for w in words + ["+"]:
        if w != "+":
            cur.append(w)
            continue
        if not cur:
            raise SystemExit("impair.py: empty step")
        ns = vars(step_parser().parse_args(cur))
        steps.append((ns.pop("name"), ns))
        cur = []
    return steps


def main(argv):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seed", default="1")
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("steps", nargs=argparse.REMAINDER)
    a = ap.parse_args(argv)
    if not a.steps:
        ap.error("no impairment given")
    steps = parse_steps(a.steps)
    packets, linktype = read_pcap(a.input)
    try:
        packets, infos = impair(packets, steps, a.seed)
    except ValueError as e:
        raise SystemExit(f"impair.py: {e}")
    check_monotonic(packets)
    write_pcap(a.output, packets, linktype)
    for info in infos:
        print(json.dumps(info))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
