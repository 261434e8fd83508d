#!/usr/bin/python3
"""--extract: every .eml's SHA-256 equals its message event's and the
client's truth; nothing in the directory is followed or overwritten.

Usage: extract.py MAILSCOPE SAMPLES_DIR
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import mkpcap

EXE, SAMPLES = sys.argv[1], sys.argv[2]
failures, passed = [], 0


def check(name, cond, detail=""):
    global passed
    if cond:
        passed += 1
    else:
        failures.append(f"{name}: {detail}")


def sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def extract(pcaps, out):
    args = [EXE, "-o", "-", "--extract", out]
    for p in pcaps:
        args += ["-r", p]
    p = subprocess.run(args, capture_output=True, timeout=120)
    return p, [json.loads(l) for l in p.stdout.splitlines()]


def visible_truth():
    """The hashes of the messages clients sent or received in clear
    (a message inside STARTTLS is not visible; IMAP is not dissected
    yet)."""
    out = set()
    for f in os.listdir(SAMPLES):
        if not f.endswith(".truth.json"):
            continue
        pcap = os.path.join(SAMPLES, f[:-len(".truth.json")] + ".pcap")
        events = [json.loads(l) for l in subprocess.run(
            [EXE, "-r", pcap], capture_output=True).stdout.splitlines()]
        port = {e["session"]: e["client"]["port"] for e in events
                if e["event"] == "session_start"}
        tls = {port[e["session"]] for e in events if e["event"] == "tls"}
        for t in json.load(open(os.path.join(SAMPLES, f)))["messages"]:
            via = t.get("via") or t.get("command")
            if via in ("RETR", "TOP", "DATA", "BDAT") and \
                    t["client_port"] not in tls:
                out.add(t["sha256"])
    return out


def test_hashes(tmp):
    pcaps = sorted(os.path.join(SAMPLES, f) for f in os.listdir(SAMPLES)
                   if f.endswith(".pcap"))
    out = os.path.join(tmp, "all")
    p, events = extract(pcaps, out)
    check("exit 0", p.returncode == 0, p.stderr)
    msgs = [e for e in events if e["event"] == "message"]
    manifest = json.load(open(os.path.join(out, "manifest.json")))
    files = [m for m in manifest if "part" not in m]
    check("one file per message", len(files) == len(msgs) > 0,
          (len(files), len(msgs)))
    for m in manifest:
        f = os.path.join(out, m["file"])
        check(f"{m['file']} listed with its hash", sha(f) == m["sha256"])
    by_key = {(m["session"], m["message"]): m for m in manifest
              if "part" not in m}
    for e in msgs:
        m = by_key.get((e["session"], e["index"]))
        if not m:
            failures.append(f"no file for {e['session']}/{e['index']}")
            continue
        f = os.path.join(out, m["file"])
        check(f"{m['file']} hash", sha(f) == e["sha256"] == m["sha256"])
        check(f"{m['file']} size", os.path.getsize(f) == e["size"])
    written = {sha(os.path.join(out, m["file"])) for m in manifest}
    missing = visible_truth() - written
    check("every message the clients sent or received is written",
          not missing, missing)
    check("no temporary files left",
          not [f for f in os.listdir(out) if f.endswith(".part")],
          os.listdir(out))


def test_planted(tmp):
    """A symlink where the first file and the first temporary file would
    go, and an existing file in the way: none is written through."""
    out = os.path.join(tmp, "planted")
    os.mkdir(out)
    victim = os.path.join(tmp, "victim")
    open(victim, "w").write("untouched")
    os.symlink(victim, os.path.join(out, "s000001-pop3-retr-001.eml"))
    os.symlink(victim, os.path.join(out, "tmp-1.part"))
    open(os.path.join(out, "s000001-pop3-retr-002.eml"), "w").write("mine")
    os.symlink(victim, os.path.join(out, "manifest.json"))
    p, events = extract([os.path.join(SAMPLES, "pop3-basic.pcap")], out)
    check("planted: exit 0", p.returncode == 0, p.stderr)
    check("victim untouched", open(victim).read() == "untouched")
    check("existing file untouched",
          open(os.path.join(out, "s000001-pop3-retr-002.eml")).read() ==
          "mine")
    manifest = json.load(open(os.path.join(out, "manifest-2.json")))
    names = sorted(m["file"] for m in manifest if "part" not in m)
    check("written beside them", names == ["s000001-pop3-retr-001-2.eml",
                                           "s000001-pop3-retr-002-2.eml"],
          names)
    for m in manifest:
        f = os.path.join(out, m["file"])
        check(f"{m['file']} is a regular file",
              not os.path.islink(f) and sha(f) == m["sha256"])


HOSTILE = [("../../etc/passwd", "_.._etc_passwd"),
           ("/etc/shadow", "_etc_shadow"),
           ("utf-8''a%00b%0Ac%1Bd", "a_b_c_d"),
           ("A" * 10000, "A" * 100),
           ("....", "part-4.bin"),
           ("dup.txt", "dup.txt"),
           ("dup.txt", "dup-2.txt")]


def hostile_message():
    """A multipart message whose attachment names attack the file
    system; returns it and each part's content."""
    parts, body = [], []
    for i, (name, _) in enumerate(HOSTILE):
        data = f"part {i}\r\n".encode()
        parts.append(data)
        param = (f"filename*={name}" if name.startswith("utf-8''")
                 else f'filename="{name}"')
        body.append(f"--XX\r\nContent-Type: application/octet-stream\r\n"
                    f"Content-Disposition: attachment; {param}\r\n\r\n"
                    f"{data.decode()}")
    msg = ("From: a@example.test\r\nTo: b@example.test\r\n"
           "Subject: hostile names\r\nMIME-Version: 1.0\r\n"
           "Content-Type: multipart/mixed; boundary=XX\r\n\r\n" +
           "\r\n".join(body) + "\r\n--XX--\r\n").encode()
    return msg, parts


def smtp_capture(path, message):
    """One SMTP session on the wire, handshake to FIN, as a pcap."""
    mkpcap.write(path, 25, [
        ("S", b"220 mx ESMTP\r\n"), ("C", b"EHLO x\r\n"),
        ("S", b"250 mx\r\n"), ("C", b"MAIL FROM:<a@example.test>\r\n"),
        ("S", b"250 Ok\r\n"), ("C", b"RCPT TO:<b@example.test>\r\n"),
        ("S", b"250 Ok\r\n"), ("C", b"DATA\r\n"), ("S", b"354 go\r\n"),
        ("C", message + b".\r\n"), ("S", b"250 Ok: queued as Q1\r\n"),
        ("C", b"QUIT\r\n"), ("S", b"221 Bye\r\n")])


def test_hostile_names(tmp):
    msg, parts = hostile_message()
    area = os.path.join(tmp, "hostile")
    os.mkdir(area)
    pcap = os.path.join(area, "hostile.pcap")
    smtp_capture(pcap, msg)
    out = os.path.join(area, "out")
    p, events = extract([pcap], out)
    check("hostile: exit 0", p.returncode == 0, p.stderr)
    folder = os.path.join(out, "s000001-smtp-data-001.parts")
    got = sorted(os.listdir(folder)) if os.path.isdir(folder) else []
    want = [safe for _, safe in HOSTILE]
    check("hostile: safe, unique names", got == sorted(want), got)
    for name, data in zip((safe for _, safe in HOSTILE), parts):
        f = os.path.join(folder, name)
        check(f"hostile: {name[:20]} holds its part",
              os.path.isfile(f) and open(f, "rb").read() == data)
    everything = [os.path.join(d, f) for d, _, fs in os.walk(area)
                  for f in fs]
    check("hostile: nothing written outside DIR",
          all(f.startswith(out) or f == pcap for f in everything),
          [f for f in everything if not f.startswith(out)])
    check("hostile: the message is the one sent",
          sha(os.path.join(out, "s000001-smtp-data-001.eml")) ==
          hashlib.sha256(msg).hexdigest())


def test_bad_dir(tmp):
    f = os.path.join(tmp, "file")
    open(f, "w").close()
    p = subprocess.run([EXE, "-r", os.path.join(SAMPLES, "pop3-basic.pcap"),
                        "--extract", f], capture_output=True, timeout=60)
    check("not a directory", p.returncode == 1 and
          p.stderr.decode().count("\n") == 1, p.stderr)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        test_hashes(tmp)
        test_planted(tmp)
        test_hostile_names(tmp)
        test_bad_dir(tmp)
    for f in failures:
        print("FAIL:", f)
    print(f"{passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
