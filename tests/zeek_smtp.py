#!/usr/bin/python3
"""mailscope's SMTP message events against Zeek's smtp.log, field by field.

Zeek's baselines in ../shared/corpus/zeek were produced by Zeek on the
same captures. Every smtp.log row (one per transaction) must match the
message event of the same connection (client port) and transaction
number: envelope (mailfrom, rcptto), headers (date, from, to, cc,
reply_to, msg_id, in_reply_to, subject, first/second received,
user_agent) and the final reply (last_reply). Where mailscope and Zeek
legitimately differ, KNOWN says why; everything else is a failure.

Usage: zeek_smtp.py MAILSCOPE CORPUS_DIR
"""
import glob
import json
import os
import subprocess
import sys

# (capture, field): why mailscope differs from Zeek there.
KNOWN = {}


def zeek_rows(path):
    fields, rows = None, []
    for line in open(path, encoding="utf-8", errors="replace"):
        line = line.rstrip("\n")
        if line.startswith("#fields"):
            fields = line.split("\t")[1:]
        elif not line.startswith("#") and fields:
            rows.append(dict(zip(fields, line.split("\t"))))
    return rows


def zset(v):
    return set() if v in ("-", "(empty)") else set(v.split(","))


def zstr(v):
    return None if v == "-" else v.replace("\\x09", "\t")


def ours(events):
    """client port -> that connection's SMTP message events, in order."""
    port, out = {}, {}
    for e in events:
        if e["event"] == "session_start":
            port[e["session"]] = e["client"]["port"]
        elif e["event"] == "message" and e["proto"] == "smtp":
            out.setdefault(port[e["session"]], []).append(e)
    return out


def carried_message(row):
    """Zeek logs a row per transaction, also for those that failed before
    any message was sent; fuids names the message's file when there was
    one. Only those rows have a counterpart message event."""
    return row.get("fuids", "-") not in ("-", "(empty)")


def last_reply(r):
    """Zeek's last_reply is the final reply's last line, code first."""
    if not r:
        return None
    text = r.get("text_lines", [None])[-1] if "text_lines" in r else None
    if text is None:
        text = (r["enhanced"] + " " if "enhanced" in r else "") + r["text"]
    return f"{r['code']} {text}"


def compare(name, row, m):
    h = m.get("headers", {})
    reply = m.get("reply")
    mine = {
        "mailfrom": m.get("mail_from") or None,
        "rcptto": set(m.get("rcpt_to", [])),
        "date": h.get("date"),
        "from": h.get("from"),
        "to": set(h.get("to", [])),
        "cc": set(h.get("cc", [])),
        "msg_id": h.get("message_id"),
        "in_reply_to": h.get("in_reply_to"),
        "subject": h.get("subject"),
        "user_agent": h.get("user_agent") or h.get("x_mailer"),
        "last_reply": last_reply(reply),
    }
    if h.get("received_count", 0) >= 1:
        mine["first_received"] = h.get("received_first")
    theirs = {k: (zset(row[k]) if isinstance(v, set) else zstr(row[k]))
              for k, v in mine.items() if k in row}
    bad = []
    for k in theirs:
        if mine[k] != theirs[k] and (name, k) not in KNOWN:
            bad.append(f"{name} port {row['id.orig_p']} #"
                       f"{row['trans_depth']} {k}: mailscope "
                       f"{mine[k]!r} zeek {theirs[k]!r}")
    return bad


def main():
    exe, corpus = sys.argv[1], sys.argv[2]
    logs = sorted(glob.glob(os.path.join(corpus, "zeek", "*.expected",
                                         "*.smtp.*", "smtp.log")))
    failures, passed = [], 0
    for log in logs:
        cap = log.split(".expected")[0]
        name = os.path.basename(cap)
        if cap.endswith(".gz"):
            continue
        p = subprocess.run([exe, "-q", "-r", cap], capture_output=True,
                           timeout=120)
        msgs = ours([json.loads(l) for l in p.stdout.splitlines()])
        seen = {}
        for row in filter(carried_message, zeek_rows(log)):
            port = int(row["id.orig_p"])
            i = seen[port] = seen.get(port, -1) + 1
            if i >= len(msgs.get(port, [])):
                if (name, "missing") not in KNOWN:
                    failures.append(f"{name} port {port}: no message "
                                    f"event for row {i + 1}")
                continue
            bad = compare(name, row, msgs[port][i])
            failures += bad
            passed += not bad
    for f in failures:
        print("FAIL:", f)
    print(f"{passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
