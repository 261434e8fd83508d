#!/usr/bin/python3
"""Schema test: every line mailscope prints must match
docs/mailscope-events.schema.json (contract v1).

Runs mailscope -q -r over every samples/*.pcap and every capture
(*.pcap, *.pcapng, *.cap) under SOURCE_DIR/../shared/corpus (skipped
when absent), validates each line with a draft 2020-12 validator and a
FormatChecker (ipv4/ipv6), and checks the run's shape: exit 0, every
line one JSON object ending in a newline, no trailing space, exactly one
stats event and it last. Then checks that the schema rejects what it
must (a renamed field, a wrong type, a bad ts, an unknown event, ...)
and accepts the contract's examples of events mailscope does not emit
yet (SMTP and IMAP), so later work fits the schema as it stands.

Usage: schema.py MAILSCOPE SOURCE_DIR
"""
import copy
import glob
import json
import os
import subprocess
import sys
import time

import jsonschema

CAPTURE_EXT = (".pcap", ".pcapng", ".cap")
TS = "2026-11-21T10:00:00.123456Z"
CID = "1:wCb3OG7yAFWelaUydu0D+125CLM="
SHA = "4d0ec9e9dfac06828b5b989867562f3f025a2e625b699a848df5d182a3bee029"


def captures(source_dir):
    found = sorted(glob.glob(os.path.join(source_dir, "samples", "*.pcap")))
    corpus = os.path.join(source_dir, "..", "shared", "corpus")
    if os.path.isdir(corpus):
        for root, dirs, files in os.walk(corpus):
            dirs.sort()
            for f in sorted(files):
                if f.endswith(CAPTURE_EXT):
                    found.append(os.path.join(root, f))
    else:
        print(f"note: {corpus} absent, corpus skipped")
    return found


def error_text(err):
    where = "/".join(str(p) for p in err.absolute_path) or "(top)"
    return f"{where}: {err.message[:300]}"


def check_capture(exe, path, validator, seen):
    """Problems with mailscope's output for one capture ([] when none)."""
    try:
        p = subprocess.run([exe, "-q", "-r", path], capture_output=True,
                           timeout=120)
    except subprocess.TimeoutExpired:
        return ["timed out"]
    if p.returncode != 0:
        return [f"exit {p.returncode}: {p.stderr[-500:]!r}"]
    problems = []
    out = p.stdout
    if out and not out.endswith(b"\n"):
        problems.append("output does not end in a newline")
    lines = out.split(b"\n")[:-1] if out else []
    events = []
    for n, raw in enumerate(lines, 1):
        if raw != raw.rstrip():
            problems.append(f"line {n}: trailing white space")
        try:
            ev = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            problems.append(f"line {n}: not UTF-8 JSON: {e}")
            continue
        events.append(ev)
        errs = sorted(validator.iter_errors(ev), key=lambda e: e.path)
        for e in errs[:3]:
            problems.append(f"line {n} ({ev.get('event')}): "
                            f"{error_text(e)}")
        if isinstance(ev, dict):
            seen.add(ev.get("event"))
            if ev.get("event") == "anomaly":
                seen.add("anomaly:" + str(ev.get("code")))
    stats = [i for i, e in enumerate(events)
             if isinstance(e, dict) and e.get("event") == "stats"]
    if stats != [len(events) - 1]:
        problems.append(f"stats events at {stats}, want exactly one, last "
                        f"of {len(events)}")
    return problems


def line(event, **fields):
    ev = {"event": event, "ts": TS}
    if event != "stats":
        ev.update(session=1, proto="pop3", community_id=CID)
    ev.update(fields)
    return ev


REPLY = {"status": "+OK", "text": "120 octets", "line_count": 3,
         "bytes": 131, "ts": TS, "rtt_ms": 0.412}
GOOD = {
    "session_start": line("session_start",
                          client={"ip": "192.0.2.1", "port": 40000},
                          server={"ip": "2001:db8::2", "port": 110},
                          midstream=False, vlan=[10]),
    "command": line("command", verb="RETR", args="1", seq=5,
                    pipelined=False, reply=REPLY),
    "unanswered": line("command", verb="QUIT", seq=6, pipelined=True,
                       unanswered=True),
    "message": line("message", direction="to_client", via="RETR", index=1,
                    number=1, complete=False, size=10, missing_bytes=5,
                    sha256=SHA, sha256_partial=True, escaped=True),
    "session_end": line("session_end", reason="fin", state="TRANSACTION",
                        duration_s=1.5,
                        bytes={"to_server": 10, "to_client": 20},
                        commands=1, messages=0, gaps=0, gap_bytes=0,
                        anomalies=0, deleted=[], update_applied=False),
    "stats": line("stats", packets=1, bytes=60, packets_skipped={},
                  flows=1, sessions={"pop3": 1}, retransmissions=0,
                  out_of_order=0, overlaps=0, overlap_conflicts=0, gaps=0,
                  gap_bytes=0, evictions=0, timeouts=0,
                  anomalies={"limit_pending_commands": 1}),
    # Contract v1 events and fields mailscope does not produce yet.
    "smtp_greeting": line("greeting", proto="smtp", code=220,
                          text="mx.example.com ESMTP",
                          text_lines=["mx.example.com ESMTP", "welcome"]),
    "smtp_command": line("command", proto="smtp", verb="MAIL",
                         args="FROM:<bob@example.org> SIZE=1234", seq=2,
                         pipelined=True,
                         reply={"code": 250, "enhanced": "2.1.0",
                                "text": "Ok", "line_count": 1, "bytes": 14,
                                "ts": TS, "rtt_ms": 0.1}),
    "smtp_message": line(
        "message", proto="lmtp", direction="to_server", via="DATA",
        index=1, complete=True, size=1234, sha256=SHA,
        mail_from="bob@example.org", rcpt_to=["alice@example.com"],
        rcpt=[{"addr": "alice@example.com", "code": 250, "accepted": True,
               "params": {"notify": ["SUCCESS", "FAILURE"],
                          "orcpt": "rfc822;alice@example.com"}},
              {"addr": "nobody@example.com", "code": 550,
               "enhanced": "5.1.1", "accepted": False}],
        accepted=True, queue_id="12345",
        mail_params={"size": 1234, "body": "8BITMIME", "smtputf8": True,
                     "ret": "HDRS", "envid": "x", "auth": "<>"},
        headers={"from": "\"Bob Example\" <bob@example.org>",
                 "to": ["alice@example.com"], "cc": ["carol@example.com"],
                 "subject": "Test message",
                 "date": "Tue, 15 Jan 2008 16:02:43 -0500",
                 "message_id": "<1@example.org>", "in_reply_to": "<0@x>",
                 "x_mailer": "m", "user_agent": "u", "received_count": 2,
                 "received_first": "from a", "received_last": "from b"},
        attachments=[{"filename": "report.pdf",
                      "content_type": "application/pdf", "size": 52311,
                      "sha256": SHA}]),
    "smtp_tls": line("tls", proto="smtp", trigger="STARTTLS"),
    "imap_command": line("command", proto="imap", tag="a1", verb="SELECT",
                         args="INBOX", seq=2, pipelined=False,
                         reply={"status": "OK", "resp_code": "READ-WRITE",
                                "text": "SELECT completed", "line_count": 7,
                                "bytes": 300, "ts": TS, "rtt_ms": 1.0}),
    "imap_message": line("message", proto="imap", direction="to_client",
                         via="FETCH", index=1, mailbox="INBOX", uid=42,
                         seq=1, section="", complete=True, size=0,
                         sha256=SHA),
    "imap_mailbox": line("mailbox", proto="imap", mailbox="INBOX",
                         exists=172, recent=1, uidvalidity=3857529045,
                         uidnext=4392, flags=["\\Seen", "$Forwarded"],
                         read_only=False),
    "imap_flags": line("flags", proto="imap", mailbox="INBOX", seq=3,
                       uid=44, flags=["\\Seen"], added=["\\Seen"],
                       removed=[]),
    "imap_expunge": line("expunge", proto="imap", mailbox="INBOX", uid=44),
}


def without(ev, key):
    ev = copy.deepcopy(ev)
    del ev[key]
    return ev


def renamed(ev, old, new):
    ev = copy.deepcopy(ev)
    ev[new] = ev.pop(old)
    return ev


def with_(ev, path, value):
    ev = copy.deepcopy(ev)
    obj = ev
    for k in path[:-1]:
        obj = obj[k]
    obj[path[-1]] = value
    return ev


BAD = {
    "renamed field (duration_s -> duration)":
        renamed(GOOD["session_end"], "duration_s", "duration"),
    "renamed nested field (reply.rtt_ms -> rtt)":
        with_(GOOD["command"], ["reply"],
              renamed(GOOD["command"]["reply"], "rtt_ms", "rtt")),
    "wrong type (session as string)": with_(GOOD["command"], ["session"],
                                            "1"),
    "wrong type (size as string)": with_(GOOD["message"], ["size"], "10"),
    "wrong type (midstream as 0)": with_(GOOD["session_start"],
                                         ["midstream"], 0),
    "bad ts (milliseconds)": with_(GOOD["command"], ["ts"],
                                   "2026-11-21T10:00:00.123Z"),
    "bad ts (no Z)": with_(GOOD["command"], ["ts"],
                           "2026-11-21T10:00:00.123456+00:00"),
    "bad reply ts (space)": with_(GOOD["command"], ["reply", "ts"],
                                  "2026-11-21 10:00:00.123456Z"),
    "unknown event": with_(GOOD["command"], ["event"], "commandx"),
    "no event": without(GOOD["command"], "event"),
    "missing required field (seq)": without(GOOD["command"], "seq"),
    "reply and unanswered": with_(GOOD["command"], ["unanswered"], True),
    "escaped false": with_(GOOD["command"], ["escaped"], False),
    "bad community_id": with_(GOOD["command"], ["community_id"],
                              "1:wCb3OG7yAFWelaUydu0D+125CLM"),
    "bad proto": with_(GOOD["command"], ["proto"], "ftp"),
    "bad ipv4": with_(GOOD["session_start"], ["client", "ip"],
                      "192.0.2.300"),
    "bad ipv6": with_(GOOD["session_start"], ["server", "ip"],
                      "2001:db8:::2"),
    "port out of range": with_(GOOD["session_start"], ["client", "port"],
                               65536),
    "sha256 upper case": with_(GOOD["message"], ["sha256"], SHA.upper()),
    "incomplete message without sha256_partial":
        without(GOOD["message"], "sha256_partial"),
    "unknown anomaly code": line("anomaly", code="made_up", dir="to_server"),
    "unknown session_end reason": with_(GOOD["session_end"], ["reason"],
                                        "closed"),
    "negative duration": with_(GOOD["session_end"], ["duration_s"], -1.0),
    "unknown skip reason": with_(GOOD["stats"], ["packets_skipped"],
                                 {"not_tcp": 1}),
    "stats with session": with_(GOOD["stats"], ["session"], 1),
    "POP3 reply with IMAP status": with_(GOOD["command"],
                                         ["reply", "status"], "OK"),
    "SMTP reply without code": with_(GOOD["smtp_command"], ["reply"],
                                     without(GOOD["smtp_command"]["reply"],
                                             "code")),
    "IMAP command without tag": without(GOOD["imap_command"], "tag"),
    "POP3 message with SMTP field": with_(GOOD["message"], ["mail_from"],
                                          "a@b"),
    "RETR sent to_server": with_(GOOD["message"], ["direction"],
                                 "to_server"),
    "renamed header (message_id -> msgid)":
        with_(GOOD["smtp_message"], ["headers"],
              renamed(GOOD["smtp_message"]["headers"], "message_id",
                      "msgid")),
    "bad enhanced code": with_(GOOD["smtp_command"],
                               ["reply", "enhanced"], "2.1"),
}


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    exe, source_dir = sys.argv[1], sys.argv[2]
    with open(os.path.join(source_dir, "docs",
                           "mailscope-events.schema.json")) as f:
        schema = json.load(f)
    cls = jsonschema.Draft202012Validator
    cls.check_schema(schema)
    validator = cls(schema, format_checker=jsonschema.FormatChecker())
    passed = failed = 0
    start = time.monotonic()

    def report(ok, name, problems=()):
        nonlocal passed, failed
        if ok:
            passed += 1
            return
        failed += 1
        print(f"FAIL {name}")
        for p in list(problems)[:10]:
            print(f"  {p}")

    seen = set()
    files = captures(source_dir)
    for path in files:
        problems = check_capture(exe, path, validator, seen)
        report(not problems, os.path.relpath(path, source_dir), problems)
    for name, ev in GOOD.items():
        errs = [error_text(e) for e in validator.iter_errors(ev)]
        report(not errs, f"accepts {name}", errs)
    for name, ev in BAD.items():
        report(not validator.is_valid(ev), f"rejects {name}",
               ["schema accepted it"])
    print(f"{len(files)} captures; events seen: "
          f"{', '.join(sorted(str(s) for s in seen))}")
    print(f"{time.monotonic() - start:.1f} s")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
