#!/usr/bin/python3
"""The textbook dialogues of ../shared/seeds, replayed.

Each dialogue (lines "S: ..." / "C: ...") is completed into a stream a
real server and client could exchange: a textbook leaves out replies
(DELE's +OK), the status line of a listing, and writes "<message 1
contents>" for a message; those become real lines. The stream is put in
a capture (tests/mkpcap.py) and mailscope's transcript must print every
line of the seed back, in order (passwords as ***), with the state path
the text describes.

Usage: seeds.py MAILSCOPE SEEDS_DIR
"""
import os
import re
import subprocess
import sys
import tempfile

import mkpcap

LINE = re.compile(r"^(?:> )?([CS]):\s?(.*?)\s*$")
MESSAGE = [b"From: Bob <bob@example.org>", b"Subject: seed",
           b"", b"A message.", b"..a stuffed line"]

failures, passed = [], 0


def check(name, cond, detail=""):
    global passed
    if cond:
        passed += 1
    else:
        failures.append(f"{name}: {detail}")


def dialogues(text):
    """Runs of consecutive S:/C: lines."""
    out, cur = [], []
    for line in text.splitlines():
        m = LINE.match(line)
        if m:
            cur.append((m.group(1), m.group(2).strip()))
        elif cur:
            out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    return [d for d in out if len(d) > 4]


def protocol(d):
    first = next(text for side, text in d if side == "S")
    if first.startswith(("+OK", "-ERR")):
        return "pop3", 110
    if first[:3].isdigit():
        return "smtp", 25
    return "imap", 143


def pop3_stream(d):
    """POP3 turns, completed: a command the text leaves unanswered gets
    +OK, a listing or message whose status line the text leaves out gets
    it, and a placeholder becomes a message."""
    turns, pending = [], None  # pending: a command not answered yet
    if d[0][0] == "C":  # the text begins after the login
        turns = [("S", b"+OK ready\r\n"), ("C", b"USER u\r\n"),
                 ("S", b"+OK\r\n"), ("C", b"PASS p\r\n"), ("S", b"+OK\r\n")]
    for side, text in d:
        if side == "C":
            if pending:
                turns.append(("S", b"+OK\r\n"))
            turns.append(("C", text.encode() + b"\r\n"))
            pending = text.split()[0].upper()
            continue
        if pending in ("LIST", "RETR", "TOP", "UIDL") and \
                not text.startswith(("+OK", "-ERR")):
            turns.append(("S", b"+OK\r\n"))
        pending = None
        if text.startswith("<"):
            turns.append(("S", b"".join(
                (b"." + l if l.startswith(b".") else l) + b"\r\n"
                for l in MESSAGE)))
        else:
            turns.append(("S", text.encode() + b"\r\n"))
    return turns


IMAP_LINE = re.compile(r"^([CS]):?\s+(.*?)\s*$")


def imap_dialogue(text):
    """The IMAP example: prefixed lines ("C    a005" lacks its colon in
    the text), a response wrapped over unprefixed lines (one line on the
    wire), and a literal whose lines follow its "{n}"."""
    start = text.find("* OK IMAP4rev1")
    if start < 0:
        return None
    block = text[text.rfind("\n", 0, start) + 1:text.find("```", start)]
    out = []
    for line in block.splitlines():
        m = IMAP_LINE.match(line)
        if m:
            out.append([m.group(1), m.group(2)])
        elif line.strip() and out:
            out[-1][1] += " " + line.strip()
    return [tuple(x) for x in out]


def imap_stream(d):
    """Turns, with each literal's length counted from its lines."""
    turns, i = [], 0
    while i < len(d):
        side, text = d[i]
        m = re.search(r"\{(\d+)\}$", text)
        if not m:
            turns.append((side, text.encode() + b"\r\n"))
            i += 1
            continue
        j = i + 1
        while j < len(d) and d[j][1] != ")":
            j += 1
        literal = b"".join(t.encode() + b"\r\n" for _, t in d[i + 1:j])
        head = text[:m.start()] + "{%d}" % len(literal)
        turns.append((side, head.encode() + b"\r\n" + literal))
        i = j
    return turns


def imap_expected(d):
    """What the transcript shows: every line but a literal's content
    (a message marker stands for it), the LOGIN password as ***."""
    out, skip = [], False
    for side, text in d:
        if skip:
            skip = text != ")"
            if skip:
                continue
        words = text.split()
        if side == "C" and len(words) > 3 and words[1].upper() == "LOGIN":
            text = " ".join(words[:3]) + " ***"
        out.append(f"{side}: {re.sub(r'{[0-9]+}$', '', text).rstrip()}")
        skip = bool(re.search(r"\{\d+\}$", text))
    return out


def plain_stream(d):
    return [(side, text.encode() + b"\r\n") for side, text in d]


def transcript(exe, pcap):
    p = subprocess.run([exe, "-r", pcap, "--transcript", "--full",
                        "--color", "never"], capture_output=True, timeout=60)
    return p.stdout.decode().splitlines()


def expected_lines(d):
    """The seed's lines as the transcript prints them."""
    out = []
    for side, text in d:
        if text.startswith("<"):
            out += [f"{side}: {l.decode()}".rstrip() for l in MESSAGE]
            continue
        words = text.split()
        if side == "C" and words and words[0].upper() == "PASS":
            text = words[0] + " ***"
        if side == "C" and len(words) > 2 and words[1].upper() == "LOGIN":
            text = " ".join(words[:3]) + " ***"
        out.append(f"{side}: {text}".rstrip())
    return out


def in_order(want, got):
    """Every line of want appears in got, in order."""
    i = 0
    for line in got:
        if i < len(want) and line.rstrip() == want[i]:
            i += 1
    return i == len(want), want[i] if i < len(want) else None


# json-events.md, "Example: the POP3 dialogue of the seeds".
CONTRACT_POP3 = ["session_start", "greeting", "command USER",
                 "command PASS", "auth", "state", "command LIST",
                 "command RETR", "message", "command DELE", "command RETR",
                 "message", "command DELE", "command QUIT", "state",
                 "session_end", "stats"]


def event_sequence(exe, pcap):
    import json
    p = subprocess.run([exe, "-r", pcap], capture_output=True, timeout=60)
    out = []
    for e in map(json.loads, p.stdout.splitlines()):
        out.append(e["event"] + (" " + e["verb"] if "verb" in e else ""))
        if e["event"] == "session_end":
            end = e
    return out, end


STATES = {
    "pop3": ["-- AUTHORIZATION -> TRANSACTION --",
             "-- TRANSACTION -> UPDATE --"],
    "imap": ["-- NOT_AUTHENTICATED -> AUTHENTICATED --",
             "-- AUTHENTICATED -> SELECTED --",
             "-- SELECTED -> LOGOUT --"],
    "smtp": ["-- CONNECTED -> GREETED --", "-- GREETED -> MAIL --",
             "-- MAIL -> RCPT --", "-- RCPT -> DATA --",
             "-- DATA -> GREETED --", "-- GREETED -> QUIT --"],
}


def main():
    exe, seeds = sys.argv[1], sys.argv[2]
    count = 0
    with tempfile.TemporaryDirectory() as tmp:
        for fn in sorted(os.listdir(seeds)):
            text = open(os.path.join(seeds, fn), encoding="utf-8").read()
            for n, d in enumerate(dialogues(text)):
                proto, port = protocol(d)
                if proto == "imap":
                    continue  # once the IMAP dissector lands
                name = f"{fn}#{n} ({proto})"
                turns = pop3_stream(d) if proto == "pop3" else \
                    plain_stream(d)
                pcap = os.path.join(tmp, f"{fn}.{n}.pcap")
                mkpcap.write(pcap, port, turns)
                got = transcript(exe, pcap)
                ok, first_missing = in_order(expected_lines(d), got)
                check(f"{name} printed back", ok,
                      f"missing from here: {first_missing!r}\n" +
                      "\n".join(got))
                ok, first_missing = in_order(STATES[proto], got)
                check(f"{name} states", ok, first_missing)
                if fn.startswith("000"):
                    seq, end = event_sequence(exe, pcap)
                    check(f"{name} events as the contract lists them",
                          seq == CONTRACT_POP3, seq)
                    check(f"{name} deletions applied",
                          end.get("deleted") == [1, 2] and
                          end.get("update_applied") is True and
                          end["reason"] == "quit", end)
                count += 1
            d = imap_dialogue(text)
            if d:
                pcap = os.path.join(tmp, f"{fn}.imap.pcap")
                mkpcap.write(pcap, 143, imap_stream(d))
                got = [re.sub(r" ?\{[0-9]+\}$", "", l)
                       for l in transcript(exe, pcap)]
                ok, first_missing = in_order(imap_expected(d), got)
                check(f"{fn} (imap) printed back", ok,
                      f"missing from here: {first_missing!r}\n" +
                      "\n".join(got))
                ok, first_missing = in_order(STATES["imap"], got)
                check(f"{fn} (imap) states", ok, first_missing)
                count += 1
    check("dialogues found", count >= 4, count)
    for f in failures:
        print("FAIL:", f)
    print(f"{passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
