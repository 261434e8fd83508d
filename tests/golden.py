#!/usr/bin/python3
"""Golden test over every capture in samples/.

For each samples/NAME.pcap:
  - the JSON events must equal samples/NAME.expected.ndjson, the
    transcript samples/NAME.expected.txt and the summary
    samples/NAME.expected.summary (all reviewed by hand once;
    regenerate with --update after a deliberate change, then review the
    diff);
  - every message the client really received (samples/NAME.truth.json,
    written by make-samples.sh from what the client got) must appear
    with the same size and sha256, and no complete message may be
    reported that the client did not receive.

Usage: golden.py MAILSCOPE SAMPLES_DIR [--update]
"""
import json
import re
import os
import subprocess
import sys


def run(exe, pcap, *args):
    p = subprocess.run([exe, "-r", pcap, *args], capture_output=True,
                       timeout=120)
    if p.returncode != 0:
        raise AssertionError(f"{pcap}: exit {p.returncode}: {p.stderr!r}")
    if p.stderr:
        raise AssertionError(f"{pcap}: unexpected stderr {p.stderr!r}")
    return p.stdout


def sessions_of(events):
    """session -> (client port, proto, went TLS)."""
    info = {}
    for e in events:
        if e["event"] == "session_start":
            info[e["session"]] = [e["client"]["port"], e["proto"], False]
        elif e["event"] == "tls":
            info[e["session"]][2] = True
    return info


def reported(events):
    """Message events keyed the way each protocol's truth names them:
    POP3 (port, command, number), SMTP (port, via, index in session)."""
    info, out, index = sessions_of(events), {}, {}
    for m in (e for e in events if e["event"] == "message"):
        port, proto, _ = info[m["session"]]
        if proto == "pop3":
            out[(port, m["via"], m.get("number"))] = m
        elif proto == "smtp":
            index[m["session"]] = index.get(m["session"], 0) + 1
            out[(port, m["via"], index[m["session"]])] = m
    return out, info


def smtp_envelope(key, t, m):
    """What the client sent and the server answered, field by field."""
    problems = []
    got = {"mail_from": m.get("mail_from"),
           "rcpt": [(r["addr"], r.get("code")) for r in m.get("rcpt", [])],
           "final_code": m.get("reply", {}).get("code"),
           "queue_id": m.get("queue_id")}
    want = {"mail_from": t["mail_from"],
            "rcpt": [(r["addr"], r["code"]) for r in t["rcpt"]],
            "final_code": t["final_code"], "queue_id": t.get("queue_id")}
    for k in want:
        if got[k] != want[k]:
            problems.append(f"message {key}: {k} {got[k]!r}, the client "
                            f"saw {want[k]!r}")
    return problems


def imap_section(sec):
    """The truth's section as the client wrote it ("BODY[HEADER]",
    "BINARY[2]", "BODY[]<1024>", "RFC822") to the event's form: the part
    inside the brackets, "" for the whole message (json-events.md)."""
    if sec is None:
        return ""  # APPEND
    m = re.match(r"(?:BODY|BINARY)(?:\.PEEK)?\[(.*)\](?:<[0-9.]*>)?$", sec)
    if m:
        return m.group(1)
    return {"RFC822": "", "RFC822.HEADER": "HEADER",
            "RFC822.TEXT": "TEXT"}.get(sec, sec)


def imap_truth(t, events, info, tls_ports, matched):
    """An IMAP message the client fetched or appended: the same bytes in
    the same connection and section, in the same mailbox, with the same
    UID and sequence number when the truth knows them."""
    via = "APPEND" if t["command"] == "APPEND" else "FETCH"
    cands = [e for e in events if e["event"] == "message" and
             info[e["session"]][0] == t["client_port"] and
             e["via"] == via and
             e.get("section", "") == imap_section(t["section"]) and
             e["sha256"] == t["sha256"] and id(e) not in matched]
    if not cands:
        if t["client_port"] in tls_ports:
            return []
        return [f"{t['command']} {t['mailbox']} uid {t.get('uid')} "
                f"[{t['section']}] {t['size']} {t['sha256'][:12]} "
                f"not reported"]
    m = cands[0]
    matched.add(id(m))
    problems = []
    # a value mailscope could not know is omitted from its event
    for k in ("mailbox", "uid", "seq", "size"):
        if t.get(k) is not None and k in m and m[k] != t[k]:
            problems.append(f"{t['command']} uid {t.get('uid')}: {k} "
                            f"{m.get(k)!r}, the client saw {t[k]!r}")
    return problems


def check_truth(name, events, truth):
    msgs, info = reported(events)
    tls_ports = {port for port, _, tls in info.values() if tls}
    problems, matched = [], set()
    for t in truth.get("messages", []):
        cmd = t.get("command") or t.get("via")
        if cmd in ("FETCH", "UID FETCH", "APPEND"):
            problems += [f"{name}: {p}" for p in
                         imap_truth(t, events, info, tls_ports, matched)]
            continue
        key = (t["client_port"], cmd, t.get("number", t.get("index")))
        m = msgs.get(key)
        if m is None:
            if t["client_port"] not in tls_ports:
                problems.append(f"{name}: message {key} not reported")
            continue
        matched.add(key)
        if (m["size"], m["sha256"]) != (t["size"], t["sha256"]):
            problems.append(f"{name}: message {key}: {m['size']} "
                            f"{m['sha256']} != client's {t['size']} "
                            f"{t['sha256']}")
        if not m["complete"]:
            problems.append(f"{name}: message {key} not complete")
        if "mail_from" in t:
            problems += [f"{name}: {p}" for p in smtp_envelope(key, t, m)]
    server_ports = {t.get("server_port") for t in truth.get("messages", [])}
    for key, m in msgs.items():
        if key not in matched and (m["via"] in ("RETR", "TOP") or
                                   None not in server_ports and
                                   any(key[0] == t["client_port"] for t in
                                       truth["messages"])):
            problems.append(f"{name}: message {key} reported, the client "
                            f"sent or received no such message")
    expect = truth.get("expect", {})
    # make-samples.sh counts the client's connections in SMTP captures,
    # where Postfix's LMTP delivery to Dovecot is in the capture too.
    starts = [e for e in events if e["event"] == "session_start" and
              not (name.startswith("smtp-") and e["proto"] == "lmtp")]
    if "connections" in expect and len(starts) != expect["connections"]:
        problems.append(f"{name}: {len(starts)} sessions, the capture has "
                        f"{expect['connections']} connections")
    if "deleted" in expect:
        # What the server really deleted (make-samples.sh checked the
        # mailbox afterwards) against what UPDATE states reported.
        deleted = sorted(n for e in events if e["event"] == "session_end"
                         for n in e.get("deleted", []))
        if deleted != sorted(expect["deleted"]):
            problems.append(f"{name}: deleted {deleted}, server deleted "
                            f"{expect['deleted']}")
    return problems


def compare(path, got, update):
    if update:
        with open(path, "wb") as f:
            f.write(got)
        return []
    try:
        with open(path, "rb") as f:
            want = f.read()
    except FileNotFoundError:
        return [f"{path}: missing (run with --update, then review it)"]
    if got == want:
        return []
    gl, wl = got.splitlines(), want.splitlines()
    for i, (g, w) in enumerate(zip(gl, wl)):
        if g != w:
            return [f"{path}:{i + 1}: differs\n  want: {w[:300]!r}\n"
                    f"  got:  {g[:300]!r}"]
    return [f"{path}: {len(wl)} lines expected, {len(gl)} produced"]


def main():
    exe, samples = sys.argv[1], sys.argv[2]
    update = "--update" in sys.argv
    problems, count = [], 0
    for fn in sorted(os.listdir(samples)):
        if not fn.endswith(".pcap"):
            continue
        name = fn[:-5]
        pcap = os.path.join(samples, fn)
        out = run(exe, pcap)
        events = [json.loads(l) for l in out.splitlines()]
        base = os.path.join(samples, name)
        problems += compare(base + ".expected.ndjson", out, update)
        problems += compare(base + ".expected.txt",
                            run(exe, pcap, "--transcript", "--color",
                                "never"), update)
        problems += compare(base + ".expected.summary",
                            run(exe, pcap, "-o", os.devnull,
                                "--summary=stdout"), update)
        try:
            with open(base + ".truth.json") as f:
                problems += check_truth(name, events, json.load(f))
        except FileNotFoundError:
            problems.append(f"{name}: no truth file")
        count += 1
    if count == 0:
        problems.append(f"no samples in {samples}")
    for p in problems:
        print("FAIL:", p)
    bad = {os.path.basename(p.split(":")[0]).split(".")[0] for p in problems}
    print(f"golden: {count} samples, {len(problems)} problems")
    print(f"{count - len(bad)} passed, {len(bad)} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
