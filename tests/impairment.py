#!/usr/bin/python3
"""Reassembly under impaired captures: the reading must not change.

For every samples/pop3-*.pcap, samples/smtp-*.pcap and samples/imap-*.pcap,
impair.py makes copies whose TCP segments are reordered, duplicated,
overlapped, split
into tiny pieces or VLAN-tagged (and some combinations). None of that
changes the bytes either endpoint received, so mailscope must report
exactly what it reports for the original: the same messages (POP3:
client port, command, number; SMTP and LMTP: client port, via, index in
the session; then size, sha256, complete, and for SMTP/LMTP the sender,
the recipients with their RCPT reply codes, the final reply code and the
queue id; IMAP: client port, via, section, uid when mailscope knows it,
then size, sha256, complete), equal to the client's truth in
NAME.truth.json (which covers neither the LMTP hop sessions nor what went
inside TLS), and the same command verbs (without tags) and reply statuses
or codes per session. A capture over BIG_BYTES, or an IMAP one over
IMAP_SPLIT_BYTES, is not split (see lossless_for()).

Losing a segment does change what can be known, so for drop the demand is
precise instead: a segment lost inside a message body (server to client
for POP3 and for the literal of an IMAP FETCH of a whole message (BODY[],
RFC822), client to server for an SMTP DATA body or BDAT chunk) makes
that message, and only that one, incomplete with missing_bytes equal to
the segment's length and size short by as much; a server-to-client
segment lost inside a POP3 LIST or CAPA reply or an SMTP EHLO (LMTP LHLO)
reply affects no message at all. imap-compress gets no drop (NO_DROPS).

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
    (r"pop3-[^:]+: drop-in-(RETR|TOP)-\d+: size$",
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


def hidden_ports(events):
    """Client ports whose messages the client's truth cannot be compared
    with: LMTP hop sessions (Postfix's delivery, not the client's; the
    truth has no entries for them) and sessions that went TLS (what
    follows STARTTLS/STLS is not visible without keys)."""
    port = client_ports(events)
    return {port[e["session"]] for e in events
            if (e["event"] == "session_start" and e["proto"] == "lmtp")
            or e["event"] == "tls"}


def message_events(events):
    """Each message event with its key, the name the truth gives it:
    POP3 (client port, command, message number), SMTP and LMTP (client
    port, via, index of the message within its session, counted here so
    that a message reported twice or lost shifts what follows), IMAP
    (client port, via, (section, uid)): the uid is None when mailscope
    could not know it (a FETCH without UID in its reply), and the
    sha256 in messages() tells apart what this leaves alike."""
    port, index, out = client_ports(events), collections.Counter(), []
    for e in events:
        if e["event"] != "message":
            continue
        if e["proto"] == "pop3":
            n = e.get("number")
        elif e["proto"] == "imap":
            n = (e.get("section", ""), e.get("uid"))
        else:
            index[e["session"]] += 1
            n = index[e["session"]]
        out.append(((port[e["session"]], e["via"], n), e))
    return out


def envelope(e):
    """SMTP/LMTP: what the client asked for and the server's verdict, as
    the truth records it (sender, recipients with the RCPT reply code,
    final reply code, queue id). POP3 and IMAP have none."""
    if e["proto"] in ("pop3", "imap"):
        return ()
    return (e.get("mail_from"),
            tuple((r["addr"], r.get("code")) for r in e.get("rcpt", [])),
            (e.get("reply") or {}).get("code"), e.get("queue_id"))


def ordered(records):
    """A stable order for comparison (a list, not a set: a message
    reported twice is an error too); repr, since fields may be None."""
    return sorted(records, key=repr)


def messages(events, hidden=()):
    """What was retrieved or sent, as comparable tuples (key, size,
    sha256, complete, envelope...), leaving out the client ports in
    `hidden`."""
    return ordered(key + (e["size"], e["sha256"], e["complete"])
                   + envelope(e)
                   for key, e in message_events(events)
                   if key[0] not in hidden)


def dialogue(events):
    """Per client port, the command verbs with their reply status (POP3
    +OK/-ERR) or code (SMTP, LMTP)."""
    port = client_ports(events)
    out = collections.defaultdict(list)
    for e in events:
        if e["event"] == "command":
            reply = e.get("reply") or {}
            out[port[e["session"]]].append(
                (e["verb"], reply.get("status", reply.get("code"))))
    return dict(out)


def imap_section(sec):
    """As tests/golden.py: the truth's section as the client wrote it
    ("BODY[HEADER]", "BINARY[2]", "BODY[]<1024>", "RFC822") to the
    event's form, the part inside the brackets, "" for the whole message
    (APPEND has none)."""
    if sec is None:
        return ""
    m = re.match(r"(?:BODY|BINARY)(?:\.PEEK)?\[(.*)\](?:<[0-9.]*>)?$", sec)
    if m:
        return m.group(1)
    return {"RFC822": "", "RFC822.HEADER": "HEADER",
            "RFC822.TEXT": "TEXT"}.get(sec, sec)


def is_imap(t):
    """An IMAP truth entry: it names the section (None for APPEND)."""
    return "section" in t


def whole_fetch(t):
    """An IMAP truth entry for a whole message fetched as BODY[] (or
    RFC822): its literal is the message itself, byte for byte."""
    return (is_imap(t) and t["command"] != "APPEND"
            and re.fullmatch(r"BODY(\.PEEK)?\[\]|RFC822", t["section"] or "")
            is not None)


def truth_key(t):
    """The truth entry's name, as message_events() names a message."""
    if "via" in t:
        return (t["client_port"], t["via"], t["index"])
    if is_imap(t):
        return (t["client_port"],
                "APPEND" if t["command"] == "APPEND" else "FETCH",
                (imap_section(t["section"]), t.get("uid")))
    return (t["client_port"], t["command"], t["number"])


def truth_envelope(t):
    """envelope() of what the client really sent and was answered."""
    if "mail_from" not in t:
        return ()
    return (t["mail_from"],
            tuple((r["addr"], r["code"]) for r in t["rcpt"]),
            t["final_code"], t.get("queue_id"))


def truth_messages(truth, hidden=()):
    """The client's truth as messages() tuples: every message complete."""
    return ordered(truth_key(t) + (t["size"], t["sha256"], True)
                   + truth_envelope(t)
                   for t in truth.get("messages", [])
                   if t["client_port"] not in hidden)


def known_uids(want, seen):
    """The truth knows every IMAP message's uid, mailscope only those the
    server named (UID in the FETCH reply, APPENDUID): a truth message
    that mailscope reports, exactly but for a uid it could not know, is
    compared without it (tests/golden.py does the same)."""
    out = []
    for x in want:
        (port, via, n), rest = x[:3], x[3:]
        if isinstance(n, tuple) and x not in seen:
            blind = (port, via, (n[0], None)) + rest
            if blind in seen:
                x = blind
        out.append(x)
    return ordered(out)


def first_difference(want, got):
    """A short description of how two lists differ, for the report."""
    missing = [x for x in want if x not in got]
    extra = [x for x in got if x not in want]
    return f"missing {missing[:3]} extra {extra[:3]}"


# ---- lossless impairments ----------------------------------------------

def lossless_for(big):
    """The lossless impairments to run. Splitting a capture of megabytes
    into 1-7 byte pieces makes hundreds of thousands of packets (minutes
    here, far more under ASan), so a big capture gets only those that do
    not multiply packets; the small ones cover splitting."""
    if not big:
        return LOSSLESS
    return [(label, steps) for label, steps in LOSSLESS
            if all(name != "split" for name, _ in steps)]


def check_lossless(exe, run, tmp, name, packets, linktype, base, big):
    """Every lossless impairment must give the original's reading."""
    for label, steps in lossless_for(big):
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
        got_t = messages(events, base["hidden"])
        run.check(case + ": truth", got_t == base["truth"],
                  first_difference(base["truth"], got_t))
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
    """RFC 1939 §3, RFC 5321 §4.5.2: a line starting with "." had one
    added."""
    lines = body.split(b"\r\n")
    return b"\r\n".join(l[1:] if l.startswith(b".") else l for l in lines)


def dot_body(stream, start):
    """End of the dot-terminated body starting at `start`: the position
    of its final ".", after the CRLF that the content keeps; None when
    the stream ends first. An empty body is just ".\r\n"."""
    stop = stream.find(b"\r\n.\r\n", start - 2)
    return None if stop < 0 else stop + 2


def message_bodies(stream, wanted):
    """POP3, server to client: byte ranges (start, end, truth entry) of
    the multi-line replies whose unstuffed body hashes to a message in
    `wanted` (sha256 -> truth entry): found by content, so no POP3
    parsing is trusted here."""
    found = []
    for m in re.finditer(rb"(?<![^\n])\+OK[^\r\n]*\r\n", stream):
        start = m.end()
        end = dot_body(stream, start)
        if end is None:
            continue
        sha = hashlib.sha256(unstuff(stream[start:end])).hexdigest()
        if sha in wanted:
            found.append((start, end, wanted[sha]))
    return found


SMTP_BODY = re.compile(rb"(DATA|BDAT (\d+)( LAST)?) *\r\n", re.I)


def smtp_bodies(stream, wanted):
    """SMTP, client to server: byte ranges (start, end, truth entry) of
    each DATA body and each BDAT chunk of a message in `wanted` (sha256
    -> truth entry). The stream is walked command line by command line,
    jumping over the bodies (a chunk may hold anything, even "BDAT"), and
    a message is recognised by the hash of its content, so nothing of
    mailscope's reading is trusted here."""
    found, chunks, at = [], [], 0
    while at < len(stream):
        eol = stream.find(b"\r\n", at)
        if eol < 0:
            break
        m = SMTP_BODY.fullmatch(stream, at, eol + 2)
        at = eol + 2
        if not m:
            continue
        if m.group(1).upper() == b"DATA":
            end = dot_body(stream, at)
            if end is None:
                break
            content, ranges = unstuff(stream[at:end]), [(at, end)]
            at = end + 3  # ".\r\n"
        else:
            n = int(m.group(2))
            chunks.append((at, at + n))
            at += n
            if not m.group(3):
                continue
            content = b"".join(stream[a:b] for a, b in chunks)
            ranges, chunks = chunks, []
        t = wanted.get(hashlib.sha256(content).hexdigest())
        if t:
            found += [(a, b, t) for a, b in ranges]
    return found


FETCH_LITERAL = re.compile(rb"\{(\d+)\}\r\n")


def imap_literals(stream, wanted):
    """IMAP, server to client: byte ranges (start, end, truth entry) of
    the literals in "* n FETCH" replies whose n bytes hash to a message
    fetched whole (BODY[], RFC822) in `wanted` (sha256 -> truth entry):
    found by content, so nothing of mailscope's reading is trusted
    here."""
    found = []
    for m in FETCH_LITERAL.finditer(stream):
        line = stream[stream.rfind(b"\n", 0, m.start()) + 1:m.start()]
        if not (line.startswith(b"* ") and b" FETCH " in line):
            continue
        start = m.end()
        end = start + int(m.group(1))
        if end > len(stream):
            continue
        t = wanted.get(hashlib.sha256(stream[start:end]).hexdigest())
        if t and whole_fetch(t):
            found.append((start, end, t))
    return found


def reply_bodies(stream):
    """Replies of several lines that carry no message, as (kind, start,
    end), the first of each kind in the stream: POP3 LIST and CAPA,
    SMTP EHLO (LMTP LHLO looks the same). A hole there must touch no
    message."""
    found = {}
    for m in re.finditer(rb"\+OK \d+ messages:\r\n|\+OK\r\n(?=CAPA\r\n)",
                         stream):
        kind = "LIST" if b"messages" in m.group() else "CAPA"
        end = dot_body(stream, m.end())
        if end is not None and kind not in found:
            found[kind] = (kind, m.end(), end)
    m = re.search(rb"(?<![^\n])(250-[^\r\n]*\r\n)+250 [^\r\n]*\r\n", stream)
    if m:
        found["EHLO"] = ("EHLO", m.start(), m.end())
    return list(found.values())


def segments(packets, port, to_server=False):
    """(offset, length) of each server-to-client (client-to-server with
    to_server) data segment of the connection from client port `port`."""
    server_of = impair.servers(packets)
    _, isn = impair.stream_isn(packets, server_of, port, to_server)
    out = []
    for p in packets:
        if (impair.is_data(p)
                and impair.in_direction(p, server_of, to_server)
                and impair.client_port_of(p, server_of) == port):
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

# A planned loss: which segment, and the truth entry of the message it
# falls in (None: it must touch no message).
Drop = collections.namedtuple("Drop", "label port to_server off n lost")


def message_drops(packets, split, truth):
    """One loss inside the first message of each kind (RETR, TOP, DATA,
    BDAT, IMAP FETCH of a whole message) that has a segment wholly
    inside its body: POP3 and IMAP FETCH messages travel to the client,
    SMTP ones to the server. (IMAP APPEND and partial or section FETCHes
    get no drop.)"""
    by_port = collections.defaultdict(dict)
    for t in truth.get("messages", []):
        by_port[t["client_port"]][t["sha256"]] = t
    bodies = []
    for to_server, find in ((False, message_bodies), (True, smtp_bodies),
                            (False, imap_literals)):
        streams = impair.server_streams(packets, to_server)
        for port, stream in sorted(streams.items()):
            for start, end, t in find(stream, by_port.get(port, {})):
                bodies.append((to_server, port, stream, start, end, t))
    drops = {}
    for to_server, port, stream, start, end, t in bodies:
        via = truth_key(t)[1]
        if via in drops:
            continue
        seg = pick_inside(segments(split, port, to_server), stream,
                          start, end)
        if seg:
            drops[via] = Drop(f"drop-in-{via}-{port}", port, to_server,
                              *seg, t)
    return list(drops.values())


def reply_drops(packets, split):
    """One loss inside each LIST, CAPA and EHLO reply of every
    connection, each on its own."""
    out = []
    for port, stream in sorted(impair.server_streams(packets).items()):
        segs = segments(split, port)
        for kind, start, end in reply_bodies(stream):
            seg = pick_inside(segs, stream, start, end)
            if seg:
                out.append(Drop(f"drop-in-{kind}-{port}", port, False,
                                *seg, None))
    return out


def check_drops(exe, run, tmp, name, packets, linktype, truth, base, big):
    """Each planned loss on its own: a hole in a message body costs that
    message exactly the hole; a hole in a reply costs no message. A big
    capture is not split first (its segments are already many)."""
    split = packets if big else impair.impair(packets, [DROP_SPLIT], SEED)[0]
    inside = message_drops(packets, split, truth)
    vias = {truth_key(t)[1] for t in truth.get("messages", [])
            if t["client_port"] not in base["hidden"]
            and (not is_imap(t) or whole_fetch(t))}
    for via in sorted(vias - {truth_key(d.lost)[1] for d in inside}):
        run.check(f"{name}: drop-in-{via}", False,
                  "no segment inside a message body to drop")
    for d in inside + reply_drops(packets, split):
        got = dropped_run(exe, run, tmp, name, split, linktype, d)
        if got is None:
            continue
        case = f"{name}: {d.label}"
        if d.lost:
            check_one_lost(run, case, got, base, d.lost, d.n)
        else:
            run.check(case + ": messages", messages(got) == base["messages"],
                      first_difference(base["messages"], messages(got)))


def dropped_run(exe, run, tmp, name, split, linktype, d):
    """Drops the planned segment, runs mailscope."""
    pkts, info = impair.impair(split, [("drop", {
        "offset": d.off, "port": d.port, "to_server": d.to_server})], SEED)
    got = info[0]
    if (got["offset"], got["len"]) != (d.off, d.n):
        run.check(f"{name}: {d.label}", False,
                  f"dropped {got}, meant {d.off}+{d.n}")
        return None
    path = os.path.join(tmp, f"{name}.{d.label}.pcap")
    impair.write_pcap(path, pkts, linktype)
    try:
        return mailscope(exe, path)
    except RuntimeError as e:
        run.check(f"{name}: {d.label}", False, str(e))
        return None


def base_record(base, lost):
    """The original's record of the truth entry `lost`: the same client
    port, via and bytes (for IMAP, its key may lack the uid the truth
    knows); the truth's own record when the original missed it."""
    key = truth_key(lost)
    for x in base["messages"]:
        if x[:2] == key[:2] and x[4] == lost["sha256"]:
            return x
    return key + (lost["size"], lost["sha256"], True) + truth_envelope(lost)


def check_one_lost(run, case, events, base, lost, n):
    """The message the hole fell in is incomplete by exactly n bytes, and
    its envelope (outside the hole) is still right; all others are
    exactly as in the original (matched one for one, so a message
    reported twice or lost among those alike is seen too)."""
    was = base_record(base, lost)
    key = was[:3]
    left = collections.Counter(base["messages"])
    left[was] -= 1
    extra = []
    for k, e in message_events(events):
        r = k + (e["size"], e["sha256"], e["complete"]) + envelope(e)
        if left[r] > 0:
            left[r] -= 1
        else:
            extra.append((k, e, r))
    hit = [e for k, e, r in extra if k == key and r != was]
    run.check(case + ": reported", len(hit) == 1,
              f"{len(hit)} changed message events for {key}")
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
        run.check(case + ": envelope", envelope(m) == truth_envelope(lost),
                  f"{key} {envelope(m)}, the client saw "
                  f"{truth_envelope(lost)}")
    others = ordered(r for k, e, r in extra if not (len(hit) == 1
                                                   and e is hit[0]))
    rest = ordered(x for x, c in left.items() for _ in range(max(c, 0)))
    run.check(case + ": other messages", others == [] and rest == [],
              f"missing {rest[:3]} extra {others[:3]}")


# ---- main ---------------------------------------------------------------

# Captures above this size are "big": see lossless_for().
BIG_BYTES = 1 << 20
# IMAP captures are many and their FETCH replies long, so splitting all
# of them into 1-7 byte pieces would double the run; those above this
# size get only the impairments that do not split (the smaller ones
# cover splitting for IMAP).
IMAP_SPLIT_BYTES = 12000

# Captures that get the lossless impairments only: (name, why).
NO_DROPS = {
    "imap-compress": "its streams are deflated (COMPRESS=DEFLATE): a "
                     "lost segment breaks inflation for the rest of the "
                     "stream by design, so no one-message demand holds",
}


def baseline(exe, pcap, truth):
    """The original's reading, which every impaired copy must repeat;
    "seen" is the part of it the client's truth covers."""
    events = mailscope(exe, pcap)
    hidden = hidden_ports(events)
    seen = messages(events, hidden)
    return {"messages": messages(events), "dialogue": dialogue(events),
            "hidden": hidden, "seen": seen,
            "truth": known_uids(truth_messages(truth, hidden), seen)}


def check_sample(exe, run, tmp, samples, name):
    """The original against the truth, then every impaired copy."""
    path = os.path.join(samples, name)
    with open(path + ".truth.json") as f:
        truth = json.load(f)
    packets, linktype = impair.read_pcap(path + ".pcap")
    size = os.path.getsize(path + ".pcap")
    big = size > BIG_BYTES
    base = baseline(exe, path + ".pcap", truth)
    run.check(f"{name}: original: truth", base["seen"] == base["truth"],
              first_difference(base["truth"], base["seen"]))
    check_lossless(exe, run, tmp, name, packets, linktype, base,
                   big or (name.startswith("imap-")
                           and size > IMAP_SPLIT_BYTES))
    if name not in NO_DROPS:
        check_drops(exe, run, tmp, name, packets, linktype, truth, base,
                    big)


def main():
    global SEED
    exe, samples = sys.argv[1], sys.argv[2]
    if len(sys.argv) > 3:
        SEED = int(sys.argv[3])
    run = Run()
    names = sorted(f[:-5] for f in os.listdir(samples)
                   if f.startswith(("pop3-", "smtp-", "imap-"))
                   and f.endswith(".pcap"))
    with tempfile.TemporaryDirectory(prefix="impairment.") as tmp:
        for name in names:
            check_sample(exe, run, tmp, samples, name)
    if not names:
        run.check("samples", False, f"no samples in {samples}")
    print(f"{run.passed} passed, {run.failed} failed")
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
