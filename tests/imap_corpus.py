#!/usr/bin/python3
"""IMAP messages of the corpus captures against tshark's references.

For each IMAP capture of ../shared/corpus (MANIFEST.md), the messages
mailscope reports (size and sha256 of each FETCH/APPEND literal) are
compared with CAPTURE.tshark-imf-objects.tsv: tshark 4.0 exports each
IMAP message literal as sent (a BODY[HEADER.FIELDS ...] literal too), so
the same bytes must hash the same. tshark exports each object of a
capture once per pass; the set of distinct (size, sha256) is compared.
Captures whose objects come from SMTP/POP3 only must give no IMAP
message. Ends with a line "N passed, M failed".

Usage: imap_corpus.py MAILSCOPE CORPUS_DIR
"""
import json
import os
import subprocess
import sys

EXE, CORPUS = sys.argv[1], sys.argv[2]
passed = 0
failures = []

# capture -> what is known about its IMAP messages
SAME_AS_TSHARK = {
    # wireshark-wiki imap.cap: 25 header fetches and one RFC822
    "arkime/imap.pcap": 26,
    "suricata-verify/imap-detection.pcap": 26,
    "ndpi/imap.pcap": 1,
    # server half only, mid-stream: one 180237-byte BODY[]
    "suricata-verify/tcp-async-01.pcap": 1,
}
NO_IMAP_MESSAGE = [
    "arkime/imap-tag.pcap",
    "zeek/imap-starttls.pcap",
    "chrissanders-packets/mail_receiver_server_3.pcapng",
    "arkime/ntlm_synthetic.pcap",
    "peafowl/imap-ssl.pcapng",
]
STARTTLS = [
    "zeek/imap-starttls.pcap",
    "chrissanders-packets/mail_receiver_server_3.pcapng",
    "peafowl/imap-ssl.pcapng",
]


def check(name, cond, detail=""):
    global passed
    if cond:
        passed += 1
    else:
        failures.append(f"{name}: {detail}")


def events(capture):
    p = subprocess.run([EXE, "-r", os.path.join(CORPUS, capture)],
                       capture_output=True, timeout=120)
    check(f"{capture} exit", p.returncode == 0, p.stderr[:200])
    return [json.loads(l) for l in p.stdout.splitlines()]


def imap_messages(evs):
    return [e for e in evs
            if e["event"] == "message" and e.get("proto") == "imap"]


def tshark_objects(capture):
    path = os.path.join(CORPUS, capture + ".tshark-imf-objects.tsv")
    objs = set()
    if os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            if line.startswith("#"):
                continue
            f = line.rstrip("\n").split("\t")
            objs.add((int(f[1]), f[2]))
    return objs


def test_same_as_tshark(capture, count):
    msgs = imap_messages(events(capture))
    ours = {(m["size"], m["sha256"]) for m in msgs}
    theirs = tshark_objects(capture)
    check(f"{capture} count", len(msgs) == count, f"{len(msgs)} != {count}")
    check(f"{capture} complete", all(m["complete"] for m in msgs),
          [m["index"] for m in msgs if not m["complete"]])
    check(f"{capture} hashes", ours == theirs,
          f"only ours {sorted(ours - theirs)}, "
          f"only tshark's {sorted(theirs - ours)}")


def test_synthetic():
    # arkime_synthetic: two IMAP sessions. The BODY[HEADER] literal of 90
    # bytes is tshark's object; the other declares {150} but its session
    # carries 128 bytes before it ends (tshark exports 308 bytes: the
    # rest of the stream), so it is reported incomplete.
    capture = "arkime/arkime_synthetic.pcap"
    msgs = imap_messages(events(capture))
    theirs = tshark_objects(capture)
    whole = [m for m in msgs if m["complete"]]
    cut = [m for m in msgs if not m["complete"]]
    check(f"{capture} header fetch", len(whole) == 1 and
          (whole[0]["size"], whole[0]["sha256"]) in theirs, whole)
    check(f"{capture} cut literal", len(cut) == 1 and cut[0]["size"] == 128
          and cut[0]["missing_bytes"] == 22, cut)


def test_no_message(capture):
    evs = events(capture)
    check(f"{capture} no IMAP message", not imap_messages(evs))
    if capture in STARTTLS:
        tls = [e for e in evs if e["event"] == "tls"
               and e.get("proto") == "imap"]
        check(f"{capture} STARTTLS", len(tls) == 1 and
              tls[0]["trigger"] == "STARTTLS", tls)


def main():
    if not os.path.isdir(CORPUS):
        print(f"no corpus at {CORPUS}")
        print("0 passed, 0 failed")
        return 0
    for capture, count in SAME_AS_TSHARK.items():
        test_same_as_tshark(capture, count)
    test_synthetic()
    for capture in NO_IMAP_MESSAGE:
        test_no_message(capture)
    for f in failures:
        print("FAIL", f)
    print(f"{passed} passed, {len(failures)} failed")
    return 1 if failures else 0


sys.exit(main())
