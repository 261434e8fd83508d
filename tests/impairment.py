#!/usr/bin/python3
"""Reassembly under impaired captures: the reading must not change.

For every samples/NAME.pcap, impair.py makes copies whose TCP segments are
reordered, duplicated, overlapped, split into tiny pieces or VLAN-tagged
(and some combinations). None of that changes the bytes either endpoint
received, so mailscope must report exactly what it reports for the
original: the same messages (client port, via, number, size, sha256,
complete), equal to the client's truth in NAME.truth.json, and the same
command verbs and reply statuses per session.

Losing a segment does change what can be known, so for drop the demand is
precise instead: a server-to-client segment lost inside a message body
makes that message, and only that one, incomplete with missing_bytes equal
to the segment's length; a segment lost inside a LIST or CAPA reply
affects no message at all.

Usage: impairment.py MAILSCOPE SAMPLES_DIR [SEED]
(SEED, default 20250106, picks every random choice; try others by hand.)
Prints one line per failure and ends with "N passed, M failed".
"""
import collections
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import impair  # noqa: E402

SEED = 20250106

# Impairments that must leave the reading unchanged: (label, steps).
LOSSLESS = [
    ("reorder", [("reorder", {"window": 8})]),
    ("duplicate", [("duplicate", {})]),
    ("overlap", [("overlap", {})]),
    ("split", [("split", {})]),
    ("vlan", [("vlan", {})]),
    ("vlan-qinq", [("vlan", {"qinq": True})]),
    ("split+reorder", [("split", {}), ("reorder", {"window": 8})]),
    ("duplicate+reorder", [("duplicate", {}), ("reorder", {"window": 8})]),
    ("vlan+split", [("vlan", {}), ("split", {})]),
    # Overlapping copies arriving out of order meet held data, the other
    # place where reassembly compares copies.
    ("split+overlap+reorder",
     [("split", {"lo": 4, "hi": 12}), ("overlap", {}),
      ("reorder", {"window": 6})]),
]

# Pieces for the drop cases: small enough that one fits inside a LIST
# reply, large enough to keep the capture short.
DROP_SPLIT = ("split", {"lo": 8, "hi": 16})

# Checks where mailscope is known to be wrong: (pattern over the check's
# name, why). They still run and still count as failures; the reason is
# printed with them, so a fix shows up as a pass and a new failure does
# not hide behind an old one.
KNOWN = [
    (r"[^:]+: drop-in-message: size$",
     "pop3.c pop3_gap() calls ms_lines_reset() and throws away the "
     "received start of the line the hole cut, so size + missing_bytes "
     "falls short of the message by that many bytes"),
    (r"pop3-top-rset: drop-in-CAPA-38734: messages$",
     "reassembly.c flow_segment() hands a segment's payload over before "
     "acting on its ACK, so the gap the ACK declares in the other "
     "direction comes after the command the client sent with it (TOP 1 "
     "0), and pop3_gap() ends that command unanswered"),
    (r"pop3-pipelined: drop-in-LIST-40254: messages$",
     "pop3.c pop3_gap() outside a message ends every waiting command "
     "unanswered; with pipelining the RETR replies after the hole are "
     "then ignored as replies without a command"),
]


class Run:
    """Counts passed and failed checks, printing each failure."""

    def __init__(self):
        self.passed = self.failed = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            return
        self.failed += 1
        why = next((w for pat, w in KNOWN if re.match(pat, name)), None)
        line = f"FAIL: {name}: {detail}"
        if why:
            line += f" [known mailscope bug: {why}]"
        print(line, flush=True)


# ---- reading mailscope's output ----------------------------------------

def mailscope(exe, pcap):
    """The events of one run; a crash or an ASan report is a failure."""
    p = subprocess.run([exe, "-q", "-r", pcap], capture_output=True,
                       timeout=60)
    if p.returncode != 0:
        raise RuntimeError(f"exit {p.returncode}: "
                           f"{p.stderr.decode(errors='replace')[:2000]}")
    return [json.loads(line) for line in p.stdout.splitlines()]


def client_ports(events):
    return {e["session"]: e["client"]["port"] for e in events
            if e["event"] == "session_start"}


def messages(events):
    """What was retrieved, as comparable tuples, in a stable order (a
    list, not a set: a message reported twice is an error too)."""
    port = client_ports(events)
    return sorted((port[e["session"]], e["via"], e.get("number"),
                   e["size"], e["sha256"], e["complete"])
                  for e in events if e["event"] == "message")


def dialogue(events):
    """Per client port, the command verbs with their reply statuses."""
    port = client_ports(events)
    out = collections.defaultdict(list)
    for e in events:
        if e["event"] == "command":
            out[port[e["session"]]].append(
                (e["verb"], (e.get("reply") or {}).get("status")))
    return dict(out)


def truth_messages(truth):
    return sorted((t["client_port"], t["command"], t["number"], t["size"],
                   t["sha256"], True) for t in truth.get("messages", []))


def first_difference(want, got):
    """A short description of how two lists differ, for the report."""
    missing = [x for x in want if x not in got]
    extra = [x for x in got if x not in want]
    return f"missing {missing[:3]} extra {extra[:3]}"


# ---- lossless impairments ----------------------------------------------

def check_lossless(exe, run, tmp, name, packets, linktype, base):
    """Every lossless impairment must give the original's reading."""
    for label, steps in LOSSLESS:
        case = f"{name}: {label}"
        pkts, _ = impair.impair(packets, steps, SEED)
        impair.check_monotonic(pkts)
        path = os.path.join(tmp, f"{name}.{label}.pcap")
        impair.write_pcap(path, pkts, linktype)
        try:
            events = mailscope(exe, path)
        except RuntimeError as e:
            run.check(case, False, str(e))
            continue
        got = messages(events)
        run.check(case + ": messages", got == base["messages"],
                  first_difference(base["messages"], got))
        run.check(case + ": truth", got == base["truth"],
                  first_difference(base["truth"], got))
        got_d = dialogue(events)
        run.check(case + ": dialogue", got_d == base["dialogue"],
                  dialogue_difference(base["dialogue"], got_d))


def dialogue_difference(want, got):
    for port in sorted(set(want) | set(got)):
        w, g = want.get(port, []), got.get(port, [])
        if w != g:
            for i, (a, b) in enumerate(zip(w + [None] * len(g),
                                           g + [None] * len(w))):
                if a != b:
                    return f"port {port} command {i + 1}: want {a} got {b}"
    return ""


# ---- where to drop -----------------------------------------------------

def unstuff(body):
    """RFC 1939 §3: a line starting with "." had one added."""
    lines = body.split(b"\r\n")
    return b"\r\n".join(l[1:] if l.startswith(b".") else l for l in lines)


def message_bodies(stream, wanted):
    """Byte ranges [start, end) of the multi-line replies whose unstuffed
    body hashes to a message in `wanted` (sha256 -> truth entry): found by
    content, so no POP3 parsing is trusted here."""
    found = []
    for m in re.finditer(rb"(?<![^\n])\+OK[^\r\n]*\r\n", stream):
        start = m.end()
        stop = stream.find(b"\r\n.\r\n", start - 2)
        if stop < 0:
            continue
        end = stop + 2
        sha = hashlib.sha256(unstuff(stream[start:end])).hexdigest()
        if sha in wanted:
            found.append((start, end, wanted[sha]))
    return found


def listing_bodies(stream):
    """Lines of LIST or CAPA replies, multi-line but no message, as
    (kind, start, end): the first of each kind in the stream."""
    found = {}
    for m in re.finditer(rb"\+OK \d+ messages:\r\n|\+OK\r\n(?=CAPA\r\n)",
                         stream):
        kind = "LIST" if b"messages" in m.group() else "CAPA"
        stop = stream.find(b"\r\n.\r\n", m.end() - 2)
        if stop >= 0 and kind not in found:
            found[kind] = (kind, m.end(), stop + 2)
    return list(found.values())


def segments(packets, port):
    """(offset, length) of each server-to-client data segment of the
    connection from client port `port`."""
    server_of = impair.servers(packets)
    _, isn = impair.stream_isn(packets, server_of, port)
    out = []
    for p in packets:
        if (impair.is_data(p) and impair.to_client(p, server_of)
                and p[impair.TCP].dport == port):
            out.append(((p[impair.TCP].seq - isn) & 0xFFFFFFFF,
                        len(impair.payload_of(p))))
    return out


def pick_inside(segs, stream, start, end):
    """A segment wholly inside [start, end), nearest its middle, whose
    loss cannot touch dot-stuffing: no line in or just after it starts
    with ".", which the analyser could not unstuff after a hole."""
    mid = (start + end) // 2
    for off, n in sorted(segs, key=lambda s: abs(s[0] - mid)):
        if off < start or off + n > end - 2:
            continue
        if b"\n." in stream[off - 1:off + n + 1]:
            continue
        return off, n
    return None


# ---- drop ---------------------------------------------------------------

def check_drops(exe, run, tmp, name, packets, linktype, truth):
    """One segment lost inside a message body; one inside each LIST and
    CAPA reply of every connection, each on its own."""
    split, _ = impair.impair(packets, [DROP_SPLIT], SEED)
    streams = impair.server_streams(packets)
    want = truth_messages(truth)
    by_sha = {t["sha256"]: t for t in truth.get("messages", [])}
    inside, outside = None, []
    for port, stream in sorted(streams.items()):
        segs = segments(split, port)
        for start, end, t in message_bodies(stream, by_sha):
            if inside is None and t["client_port"] == port:
                seg = pick_inside(segs, stream, start, end)
                if seg:
                    inside = (port, seg, t)
        for kind, start, end in listing_bodies(stream):
            seg = pick_inside(segs, stream, start, end)
            if seg:
                outside.append((f"drop-in-{kind}-{port}", port, seg))
    if want and inside is None:
        run.check(f"{name}: drop-in-message", False,
                  "no segment inside a message body to drop")
    if inside:
        port, (off, n), t = inside
        got = dropped_run(exe, run, tmp, name, "drop-in-message", split,
                          linktype, port, off, n)
        if got is not None:
            check_one_lost(run, f"{name}: drop-in-message", got, want, t, n)
    for label, port, (off, n) in outside:
        got = dropped_run(exe, run, tmp, name, label, split, linktype, port,
                          off, n)
        if got is not None:
            run.check(f"{name}: {label}: messages", messages(got) == want,
                      first_difference(want, messages(got)))


def dropped_run(exe, run, tmp, name, label, split, linktype, port, off, n):
    """Drops the segment at stream offset `off`, runs mailscope."""
    pkts, info = impair.impair(split, [("drop", {"offset": off,
                                                 "port": port})], SEED)
    d = info[0]
    if (d["offset"], d["len"]) != (off, n):
        run.check(f"{name}: {label}", False, f"dropped {d}, meant {off}+{n}")
        return None
    path = os.path.join(tmp, f"{name}.{label}.pcap")
    impair.write_pcap(path, pkts, linktype)
    try:
        return mailscope(exe, path)
    except RuntimeError as e:
        run.check(f"{name}: {label}", False, str(e))
        return None


def check_one_lost(run, case, events, want, lost, n):
    """The message the hole fell in is incomplete by exactly n bytes; all
    others are exact."""
    key = (lost["client_port"], lost["command"], lost["number"])
    port = client_ports(events)
    hit = [e for e in events if e["event"] == "message"
           and (port[e["session"]], e["via"], e.get("number")) == key]
    run.check(case + ": reported", len(hit) == 1,
              f"{len(hit)} message events for {key}")
    if len(hit) == 1:
        m = hit[0]
        run.check(case + ": incomplete", m["complete"] is False,
                  f"{key} complete={m['complete']}")
        run.check(case + ": missing_bytes", m.get("missing_bytes") == n,
                  f"{key} missing_bytes={m.get('missing_bytes')}, "
                  f"dropped {n}")
        run.check(case + ": size", m["size"] == lost["size"] - n,
                  f"{key} size={m['size']}, received "
                  f"{lost['size']} - dropped {n} = {lost['size'] - n}")
    others = [x for x in messages(events) if x[:3] != key]
    rest = [x for x in want if x[:3] != key]
    run.check(case + ": other messages", others == rest,
              first_difference(rest, others))


# ---- main ---------------------------------------------------------------

def baseline(exe, pcap, truth):
    events = mailscope(exe, pcap)
    return {"messages": messages(events), "dialogue": dialogue(events),
            "truth": truth_messages(truth)}


def main():
    global SEED
    exe, samples = sys.argv[1], sys.argv[2]
    if len(sys.argv) > 3:
        SEED = int(sys.argv[3])
    run = Run()
    # POP3 captures; the SMTP and IMAP ones name their messages
    # differently (via and index, uid and section).
    names = sorted(f[:-5] for f in os.listdir(samples)
                   if f.startswith("pop3-") and f.endswith(".pcap"))
    with tempfile.TemporaryDirectory(prefix="impairment.") as tmp:
        for name in names:
            path = os.path.join(samples, name)
            with open(path + ".truth.json") as f:
                truth = json.load(f)
            packets, linktype = impair.read_pcap(path + ".pcap")
            base = baseline(exe, path + ".pcap", truth)
            run.check(f"{name}: original: truth",
                      base["messages"] == base["truth"],
                      first_difference(base["truth"], base["messages"]))
            check_lossless(exe, run, tmp, name, packets, linktype, base)
            check_drops(exe, run, tmp, name, packets, linktype, truth)
    if not names:
        run.check("samples", False, f"no samples in {samples}")
    print(f"{run.passed} passed, {run.failed} failed")
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
