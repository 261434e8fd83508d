#!/usr/bin/python3
"""Helper for make-samples.sh: seeds fixed Maildirs, drives the POP3 client
scenarios and writes the ground truth (<name>.truth.json).

Run only by make-samples.sh, inside the capture network namespace, with
/usr/bin/python3 (standard library only).

Ground truth convention (same for every client): the bytes the CLIENT
received for a RETR/TOP, after dot-unstuffing, with CRLF line endings,
without the terminating ".\\r\\n" line.  Every recorded body is also checked
against the seeded message (RETR: the whole message; TOP n: the header, the
empty line and the first n body lines), so a client that mishandles dots
or the terminator makes the run fail instead of writing a wrong truth file.
"""

import base64
import email.utils
import hashlib
import json
import os
import poplib
import socket
import ssl
import subprocess
import sys

HOST = "127.0.0.1"
PORT = 110
PASSWORDS = {"alice": "alice-secret", "bob": "bob-secret"}
UIDVALIDITY = 1735689600  # 2025-01-01T00:00:00Z, fixed so UIDLs are stable
MAILBOX_GUID = "6d61696c73636f70652d73616d706c65"  # "mailscope-sample"
BOUNDARY = "=_mailscope_0001_report"
CURL = "/usr/bin/curl"
TIMEOUT = 30


# --------------------------------------------------------------------------
# Fixed, deterministic messages
# --------------------------------------------------------------------------

def _report_pdf():
    """3072 bytes that look like a small PDF; deterministic."""
    head = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
    tail = b"\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    filler = b""
    counter = 0
    while len(head) + len(filler) + len(tail) < 3072:
        filler += hashlib.sha256(b"mailscope report.pdf %d" % counter).digest()
        counter += 1
    filler = filler[: 3072 - len(head) - len(tail)]
    return head + filler + tail


def _b64_lines(data, width=76):
    enc = base64.b64encode(data).decode("ascii")
    return "\n".join(enc[i:i + width] for i in range(0, len(enc), width))


def _rfc2047(text):
    return "=?UTF-8?B?" + base64.b64encode(text.encode("utf-8")).decode("ascii") + "?="


def _message(n, user, sender, date, subject, body, extra_headers=""):
    """LF-terminated message text as stored in the Maildir."""
    stamp = email.utils.parsedate_to_datetime(date).strftime("%Y%m%d%H%M%S")
    return (
        f"Return-Path: <{sender[1]}>\n"
        f"Received: from client.example.test (client.example.test [192.0.2.10])\n"
        f"\tby mail.example.test with ESMTP id 4F1A2B3C{n:02d}\n"
        f"\tfor <{user}@example.test>; {date}\n"
        f"Date: {date}\n"
        f"From: {sender[0]} <{sender[1]}>\n"
        f"To: {user.capitalize()} Example <{user}@example.test>\n"
        f"Subject: {subject}\n"
        f"Message-ID: <{stamp}.{n:04d}.{user}@example.test>\n"
        f"MIME-Version: 1.0\n"
        f"{extra_headers}"
        f"\n"
        f"{body}"
    )


PLAIN = "Content-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: 7bit\n"
BOB = ("Bob Example", "bob@example.test")
CAROL = ("Carol Example", "carol@example.test")
DAVE = ("Dave Example", "dave@example.test")
CI = ("CI Robot", "ci@example.test")
ALICE = ("Alice Example", "alice@example.test")


def messages(user):
    """The seeded messages of a mailbox, in POP3 order, as LF text."""
    if user == "alice":
        dots_body = (
            "This message exercises POP3 dot-stuffing (RFC 1939, section 3).\n"
            "The next line is a single dot:\n"
            ".\n"
            "The next line is two dots:\n"
            "..\n"
            ".leading dot followed by text\n"
            "..two leading dots followed by text\n"
            "...three leading dots\n"
            " . a space then a dot (not stuffed)\n"
            "trailing dot.\n"
            ".\n"
            "Last line before the end.\n"
        )
        multipart_body = (
            "This is a multi-part message in MIME format.\n"
            "\n"
            f"--{BOUNDARY}\n"
            "Content-Type: text/plain; charset=UTF-8\n"
            "Content-Transfer-Encoding: 8bit\n"
            "\n"
            "Hi Alice,\n"
            "\n"
            "attached is the quarterly report for the Zürich office.\n"
            "\n"
            "Grüße,\n"
            "Carol\n"
            "\n"
            f"--{BOUNDARY}\n"
            'Content-Type: application/pdf; name="report.pdf"\n'
            'Content-Disposition: attachment; filename="report.pdf"\n'
            "Content-Transfer-Encoding: base64\n"
            "\n"
            f"{_b64_lines(_report_pdf())}\n"
            "\n"
            f"--{BOUNDARY}--\n"
        )
        return [
            _message(1, user, BOB, "Mon, 06 Jan 2025 09:15:00 +0000",
                     "Lunch on Friday?",
                     "Hi Alice,\n\nare you free for lunch on Friday at 12:30?\n\nBob\n", PLAIN),
            _message(2, user, DAVE, "Mon, 06 Jan 2025 10:02:00 +0000",
                     "Dot-stuffing test: lines starting with dots", dots_body, PLAIN),
            _message(3, user, CAROL, "Tue, 07 Jan 2025 08:30:00 +0000",
                     _rfc2047("Quartalsbericht Zürich – Q4 ✓"), multipart_body,
                     f'Content-Type: multipart/mixed; boundary="{BOUNDARY}"\n'),
            _message(4, user, BOB, "Tue, 07 Jan 2025 12:45:00 +0000",
                     "Re: Lunch on Friday?",
                     "12:30 works. See you at the usual place.\n\nBob\n", PLAIN),
            _message(5, user, CAROL, "Wed, 08 Jan 2025 16:20:00 +0000",
                     "Meeting notes",
                     "Notes from today:\n"
                     "1. Ship the POP3 dissector first.\n"
                     "2. IMAP next week.\n"
                     "3. SMTP after that.\n"
                     "\n"
                     "Carol\n", PLAIN),
            _message(6, user, CI, "Thu, 09 Jan 2025 07:00:00 +0000",
                     "Build #42 passed",
                     "Build #42 of mailscope passed all tests.\n", PLAIN),
        ]
    if user == "bob":
        subjects = ["Welcome", "Re: Lunch on Friday?", "Invoice 2025-001",
                    "Reminder: stand-up", "Weekend plans"]
        return [
            _message(i + 1, user, ALICE, f"Fri, 10 Jan 2025 {9 + i:02d}:00:00 +0000", s,
                     f"Hello Bob,\n\nthis is test message {i + 1} for bob.\n\nAlice\n", PLAIN)
            for i, s in enumerate(subjects)
        ]
    raise KeyError(user)


def wire(user, number):
    """What a correct client receives for RETR number: CRLF, unstuffed."""
    return messages(user)[number - 1].encode("utf-8").replace(b"\n", b"\r\n")


def wire_top(user, number, lines):
    full = wire(user, number)
    head, body = full.split(b"\r\n\r\n", 1)
    body_lines = body.split(b"\r\n")[:-1]  # body ends with CRLF
    return head + b"\r\n\r\n" + b"".join(l + b"\r\n" for l in body_lines[:lines])


def seed(template_dir):
    """Write <template_dir>/<user>/Maildir with cur/ files and a fixed
    dovecot-uidlist (fixed UIDVALIDITY, so UIDL values are stable)."""
    for user in ("alice", "bob"):
        md = os.path.join(template_dir, user, "Maildir")
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(md, sub), exist_ok=True)
        uidlist = [f"3 V{UIDVALIDITY} N{len(messages(user)) + 1} G{MAILBOX_GUID}"]
        for i, text in enumerate(messages(user), 1):
            data = text.encode("utf-8")
            vsize = len(data.replace(b"\n", b"\r\n"))
            ts = 1736154900 + i * 3600 + (0 if user == "alice" else 100000)
            base = f"{ts}.M{i}P{1000 + i}.mail.example.test,S={len(data)},W={vsize}"
            path = os.path.join(md, "cur", base + ":2,")
            with open(path, "wb") as f:
                f.write(data)
            os.utime(path, (ts, ts))
            uidlist.append(f"{i} :{base}")
        with open(os.path.join(md, "dovecot-uidlist"), "w") as f:
            f.write("\n".join(uidlist) + "\n")


# --------------------------------------------------------------------------
# Ground truth
# --------------------------------------------------------------------------

class Truth:
    def __init__(self, user="alice"):
        self.user = user
        self.messages = []
        self.expect = {}

    def add(self, client_port, command, number, data, top_lines=None):
        want = wire(self.user, number) if command == "RETR" else wire_top(self.user, number, top_lines)
        if data != want:
            sys.stderr.write(f"MISMATCH {command} {number}: got {len(data)} bytes, want {len(want)}\n"
                             f"got:  {data[:200]!r}...{data[-80:]!r}\nwant: {want[:200]!r}...{want[-80:]!r}\n")
            raise SystemExit(f"ground truth check failed for {command} {number}")
        entry = {"client_port": client_port, "command": command, "number": number}
        if command == "TOP":
            entry["lines"] = top_lines
        entry["size"] = len(data)
        entry["sha256"] = hashlib.sha256(data).hexdigest()
        self.messages.append(entry)

    def write(self, path):
        with open(path, "w") as f:
            json.dump({"messages": self.messages, "expect": self.expect}, f, indent=2, ensure_ascii=False)
            f.write("\n")


def joined(lines):
    """poplib returns lines without CRLF, already dot-unstuffed (its
    _getlongresp strips one leading dot from lines starting with '..')."""
    return b"".join(l + b"\r\n" for l in lines)


def pop(user="alice"):
    return poplib.POP3(HOST, PORT, timeout=TIMEOUT)


def port_of(p):
    return p.sock.getsockname()[1]


class Raw:
    """Minimal raw-socket POP3 client; it un-stuffs multi-line responses
    itself: a line '.' ends the response, any other line starting with '.'
    loses its first dot (RFC 1939 section 3)."""

    def __init__(self):
        self.sock = socket.create_connection((HOST, PORT), timeout=TIMEOUT)
        self.buf = b""
        self.port = self.sock.getsockname()[1]
        self.dialogue = []

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("server closed the connection")
            self.buf += chunk
        l, self.buf = self.buf.split(b"\r\n", 1)
        return l

    def multi(self):
        out = []
        while True:
            l = self.line()
            if l == b".":
                return b"".join(x + b"\r\n" for x in out)
            if l.startswith(b"."):
                l = l[1:]
            out.append(l)

    def send(self, *cmds):
        self.sock.sendall(b"".join(c.encode() + b"\r\n" for c in cmds))

    def response(self, cmd, multiline=False):
        status = self.line().decode("utf-8", "replace")
        body = self.multi() if multiline and status.startswith("+OK") else None
        self.dialogue.append({"command": cmd if not cmd.upper().startswith("PASS ") else "PASS ***",
                              "status": status})
        return status, body

    def cmd(self, cmd, multiline=False):
        self.send(cmd)
        return self.response(cmd, multiline)

    def read_to_eof(self):
        rest = self.buf
        while True:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        self.buf = b""
        return rest


def login_raw(r, user="alice"):
    r.response("(greeting)")
    r.cmd(f"USER {user}")
    s, _ = r.cmd(f"PASS {PASSWORDS[user]}")
    if not s.startswith("+OK"):
        raise SystemExit(f"login failed: {s}")


def stat_count(user="alice"):
    p = pop(user)
    p.user(user)
    p.pass_(PASSWORDS[user])
    n, size = p.stat()
    p.quit()
    return n, size


# --------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------

def sc_pop3_basic(t):
    p = pop()
    cp = port_of(p)
    t.expect["greeting"] = p.getwelcome().decode()
    p.user("alice")
    p.pass_(PASSWORDS["alice"])
    t.expect["stat"] = list(p.stat())
    _, lst, _ = p.list()
    t.expect["list"] = [l.decode() for l in lst]
    want = [f"{i} {len(wire('alice', i))}" for i in range(1, 7)]
    if t.expect["list"] != want:
        raise SystemExit(f"LIST {t.expect['list']} != {want}")
    _, uidl, _ = p.uidl()
    t.expect["uidl"] = [l.decode() for l in uidl]
    for n in (1, 2):
        _, lines, _ = p.retr(n)
        t.add(cp, "RETR", n, joined(lines))
        p.dele(n)
    p.quit()
    t.expect["deleted"] = [1, 2]
    t.expect["connections"] = 1
    return {"messages_after": 4}


def sc_pop3_top_rset(t):
    p = pop()
    cp = port_of(p)
    p.user("alice")
    p.pass_(PASSWORDS["alice"])
    t.expect["capa"] = sorted(p.capa().keys())
    _, lines, _ = p.top(1, 0)
    t.add(cp, "TOP", 1, joined(lines), 0)
    _, lines, _ = p.top(3, 5)
    t.add(cp, "TOP", 3, joined(lines), 5)
    t.expect["list_2"] = p.list(2).decode()
    t.expect["uidl_3"] = p.uidl(3).decode()
    p.dele(1)
    p.rset()
    p.noop()
    p.dele(2)
    p.quit()
    t.expect["deleted"] = [2]
    t.expect["connections"] = 1
    return {"messages_after": 5}


def sc_pop3_failed_login(t):
    p = pop()
    p.user("alice")
    try:
        p.pass_("wrong-password")
        raise SystemExit("wrong password was accepted")
    except poplib.error_proto as e:
        t.expect["failed_pass_response"] = e.args[0].decode()
    p.user("alice")
    t.expect["pass_response"] = p.pass_(PASSWORDS["alice"]).decode()
    t.expect["stat"] = list(p.stat())
    p.quit()
    t.expect["auth_failures"] = 1
    t.expect["deleted"] = []
    t.expect["connections"] = 1
    return {"messages_after": 6}


def curl(url, login_options, outfile):
    """One curl connection; returns its local port.  curl 7.88's POP3 body
    writer removes the terminating '.\\r\\n' (it keeps the CRLF before it,
    which belongs to the message) and un-stuffs leading dots, so the -o file
    holds exactly the ground-truth bytes (checked by Truth.add)."""
    res = subprocess.run(
        [CURL, "-sS", "--max-time", str(TIMEOUT), "-u", f"alice:{PASSWORDS['alice']}",
         "--login-options", login_options, "-o", outfile, "-w", "%{local_port}", url],
        check=True, capture_output=True, text=True)
    return int(res.stdout.strip())


def _curl_list_and_retr(t, mech, workdir, number):
    lst = os.path.join(workdir, "curl-list.out")
    cp = curl(f"pop3://{HOST}/", f"AUTH={mech}", lst)
    with open(lst, "rb") as f:
        t.expect["list"] = f.read().decode().splitlines()
    msg = os.path.join(workdir, "curl-retr.out")
    cp = curl(f"pop3://{HOST}/{number}", f"AUTH={mech}", msg)
    with open(msg, "rb") as f:
        t.add(cp, "RETR", number, f.read())
    t.expect["auth_mechanism"] = mech
    t.expect["connections"] = 2
    t.expect["deleted"] = []


def sc_pop3_auth_plain(t, workdir):
    _curl_list_and_retr(t, "PLAIN", workdir, 1)
    return {"messages_after": 6}


def sc_pop3_auth_login(t, workdir):
    _curl_list_and_retr(t, "LOGIN", workdir, 1)
    return {"messages_after": 6}


def sc_pop3_apop(t, workdir):
    msg = os.path.join(workdir, "curl-apop.out")
    cp = curl(f"pop3://{HOST}/3", "AUTH=+APOP", msg)
    with open(msg, "rb") as f:
        t.add(cp, "RETR", 3, f.read())
    t.expect["auth_mechanism"] = "APOP"
    t.expect["connections"] = 1
    t.expect["deleted"] = []
    return {"messages_after": 6}


def sc_pop3_pipelined(t):
    r = Raw()
    r.response("(greeting)")
    s, capa = r.cmd("CAPA", multiline=True)
    caps = capa.decode().split("\r\n")
    if "PIPELINING" not in caps:
        raise SystemExit(f"server does not announce PIPELINING: {caps}")
    t.expect["capa"] = [c for c in caps if c]
    cmds = ["USER alice", f"PASS {PASSWORDS['alice']}", "STAT", "LIST", "RETR 1", "RETR 3", "QUIT"]
    r.send(*cmds)  # one sendall() of one buffer: one write, one segment on lo
    for c in cmds:
        multiline = c in ("LIST",) or c.startswith("RETR")
        status, body = r.response(c, multiline)
        if not status.startswith("+OK"):
            raise SystemExit(f"{c}: {status}")
        if c.startswith("RETR"):
            t.add(r.port, "RETR", int(c.split()[1]), body)
    rest = r.read_to_eof()
    if rest:
        raise SystemExit(f"unexpected data after QUIT: {rest!r}")
    r.sock.close()
    t.expect["pipelined_commands"] = [c if not c.startswith("PASS") else "PASS ***" for c in cmds]
    t.expect["dialogue"] = r.dialogue
    t.expect["connections"] = 1
    t.expect["deleted"] = []
    return {"messages_after": 6}


def sc_pop3_stls(t, workdir, keylog, cafile):
    ctx = ssl.create_default_context(cafile=cafile)  # trust the self-signed cert (SAN IP:127.0.0.1)
    if keylog:
        ctx.keylog_filename = keylog
    p = pop()
    t.expect["capa_before_tls"] = sorted(p.capa().keys())
    t.expect["stls_response"] = p.stls(ctx).decode()  # poplib sends CAPA again before STLS
    t.expect["tls_version"] = p.sock.version()
    p.user("alice")
    p.pass_(PASSWORDS["alice"])
    t.expect["stat"] = list(p.stat())
    p.quit()
    t.expect["connections"] = 1
    t.expect["deleted"] = []
    return {"messages_after": 6}


def sc_pop3_dropped(t):
    r = Raw()
    login_raw(r)
    for n in (1, 2):
        s, _ = r.cmd(f"DELE {n}")
        if not s.startswith("+OK"):
            raise SystemExit(f"DELE {n}: {s}")
    r.sock.close()  # no QUIT: the deletions must not happen (RFC 1939 section 6)
    t.expect["dialogue"] = r.dialogue
    t.expect["quit_sent"] = False
    t.expect["deleted"] = []
    t.expect["connections"] = 1
    return {"messages_after": 6}


def sc_pop3_unknown(t):
    r = Raw()
    login_raw(r)
    r.cmd("XYZZY foo")
    s, body = r.cmd("list", multiline=True)
    if not s.startswith("+OK"):
        raise SystemExit(f"lower-case list: {s}")
    r.cmd("RETR 99", multiline=True)
    r.cmd("LAST")
    r.cmd("QUIT")
    if r.read_to_eof():
        raise SystemExit("unexpected data after QUIT")
    r.sock.close()
    t.expect["dialogue"] = r.dialogue
    t.expect["deleted"] = []
    t.expect["connections"] = 1
    return {"messages_after": 6}


SCENARIOS = {
    "pop3-basic": sc_pop3_basic,
    "pop3-top-rset": sc_pop3_top_rset,
    "pop3-failed-login": sc_pop3_failed_login,
    "pop3-auth-plain": sc_pop3_auth_plain,
    "pop3-auth-login": sc_pop3_auth_login,
    "pop3-apop": sc_pop3_apop,
    "pop3-pipelined": sc_pop3_pipelined,
    "pop3-stls": sc_pop3_stls,
    "pop3-dropped": sc_pop3_dropped,
    "pop3-unknown": sc_pop3_unknown,
}


def main(argv):
    if len(argv) >= 2 and argv[0] == "seed":
        seed(argv[1])
        return 0
    if len(argv) >= 2 and argv[0] == "stat":
        n, size = stat_count(argv[1])
        print(n, size)
        return 0
    if len(argv) >= 2 and argv[0] == "curl-dots":
        # Uncaptured self-check of the claim in curl()'s docstring: curl's
        # RETR output for the dot-stuffing message equals the unstuffed
        # CRLF message without the terminator.
        out = os.path.join(argv[1], "curl-dots.out")
        curl(f"pop3://{HOST}/2", "AUTH=PLAIN", out)
        with open(out, "rb") as f:
            got = f.read()
        if got != wire("alice", 2):
            sys.stderr.write(f"curl output for message 2 differs: {got[-200:]!r}\n")
            return 1
        print(f"curl RETR 2: {len(got)} bytes, dots unstuffed, no terminator")
        return 0
    if len(argv) >= 4 and argv[0] == "run":
        # run NAME TRUTH_JSON WORKDIR [KEYLOG CAFILE]
        name, truth_path, workdir = argv[1], argv[2], argv[3]
        fn = SCENARIOS[name]
        t = Truth()
        if name.startswith("pop3-auth") or name == "pop3-apop":
            after = fn(t, workdir)
        elif name == "pop3-stls":
            after = fn(t, workdir, argv[4], argv[5])
        else:
            after = fn(t)
        t.expect.update(after)
        t.write(truth_path)
        # printed for make-samples.sh, which checks it after the capture
        print(after["messages_after"])
        return 0
    sys.stderr.write("usage: samples_helper.py seed DIR | stat USER | run NAME TRUTH WORKDIR [KEYLOG CAFILE]\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
