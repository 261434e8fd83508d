#!/usr/bin/python3
"""SMTP client scenarios for make-samples.sh (group smtp).

Run only by make-samples.sh, inside the capture network namespace, with
/usr/bin/python3 (standard library only):

    samples_smtp.py run NAME TRUTH_JSON RUN_DIR

Postfix listens on 127.0.0.1:25 and :587 (SASL via Dovecot) and delivers
every accepted message over LMTP to Dovecot on 127.0.0.1:24, which writes
it into RUN_DIR/mail/USER/Maildir/new.

Ground truth, per message the client sent (one entry per DATA or BDAT
transaction that got a final reply):
  size, sha256   the message content the client meant: CRLF line endings,
                 after dot-unstuffing, without the terminating CRLF.CRLF
                 (for DATA, a content ending in CRLF keeps that CRLF); for
                 BDAT the concatenation of all chunks;
  mail_from, rcpt[{addr, code}], final_code, queue_id ("queued as X");
  stored[]       per accepted recipient, the file Dovecot LMTP wrote (LF
                 line endings, as stored), its size and sha256, and how
                 many header lines Postfix and Dovecot added in front of
                 the client's content (checked to be a pure prefix);
  stored_sha256  that of the first accepted recipient.
Every message is deterministic (fixed Date and Message-ID), so size and
sha256 are the same on every run; queue ids and ports are not.
"""

import base64
import hashlib
import json
import os
import re
import smtplib
import socket
import ssl
import sys
import time

HOST = "127.0.0.1"
CLIENT = "client.example.test"
TIMEOUT = 30
PASSWORDS = {"alice": "alice-secret", "bob": "bob-secret"}
RUN = None  # set by main()
# accepted by Postfix but not delivered to Dovecot (transport discard:,
# because Dovecot 2.3 LMTP does not offer SMTPUTF8)
DISCARDED = {"jörg@example.test"}


# --------------------------------------------------------------------------
# Deterministic messages
# --------------------------------------------------------------------------

def message(tag, n, sender, to, subject, body_lines, date="Wed, 15 Jan 2025 10:00:00 +0000",
            extra=(), charset="us-ascii", cte="7bit"):
    """CRLF message bytes ending in CRLF; Message-ID <tag.n@client.example.test>."""
    head = [
        f"Date: {date}",
        f"From: {sender}",
        f"To: {to}",
        f"Subject: {subject}",
        f"Message-ID: <{tag}.{n}@client.example.test>",
        "MIME-Version: 1.0",
    ]
    head += list(extra)
    if not any(h.lower().startswith("content-type:") for h in extra):
        head += [f"Content-Type: text/plain; charset={charset}",
                 f"Content-Transfer-Encoding: {cte}"]
    return ("\r\n".join(head + [""] + list(body_lines)) + "\r\n").encode("utf-8")


def message_id(data):
    m = re.search(rb"^Message-ID: (<[^>]+>)\r?$", data, re.M | re.I)
    return m.group(1)


def simple(tag, n, sender="Bob Example <bob@example.test>", to="Alice Example <alice@example.test>",
           subject=None, body=None):
    return message(tag, n, sender, to, subject or f"{tag} message {n}",
                   body or ["Hello Alice,", "", f"this is message {n} of the {tag} sample.", "", "Bob"])


def dot_stuff(data):
    """DATA transparency (RFC 5321 4.5.2): a leading '.' gets doubled; the
    content must end in CRLF; the terminator '.CRLF' is appended."""
    assert data.endswith(b"\r\n")
    lines = data.split(b"\r\n")[:-1]
    return b"".join((b"." + l if l.startswith(b".") else l) + b"\r\n" for l in lines) + b".\r\n"


def large_attachment(size=1_480_000):
    out = bytearray()
    h = b"mailscope large attachment"
    while len(out) < size:
        h = hashlib.sha256(h).digest()
        out += h
    return bytes(out[:size])


# --------------------------------------------------------------------------
# Delivery check (Postfix queue + Dovecot Maildir) and ground truth
# --------------------------------------------------------------------------

SPOOL_QUEUES = ("maildrop", "incoming", "active", "deferred", "hold")


def queue_files():
    n = 0
    for q in SPOOL_QUEUES:
        for _, _, files in os.walk(os.path.join(RUN, "postfix", "spool", q)):
            n += len(files)
    return n


def find_delivered(user, mid):
    md = os.path.join(RUN, "mail", user, "Maildir")
    for sub in ("new", "cur"):
        d = os.path.join(md, sub)
        if not os.path.isdir(d):
            continue
        for f in sorted(os.listdir(d)):
            p = os.path.join(d, f)
            with open(p, "rb") as fh:
                data = fh.read()
            if re.search(rb"^Message-ID: " + re.escape(mid) + rb"\r?$", data, re.M | re.I):
                return data
    return None


def wait_delivered(users, mid, timeout=20):
    """Wait until every user has the message and the queue is empty, so
    mailbox order equals submission order and the LMTP hop is complete."""
    end = time.time() + timeout
    while True:
        got = {u: find_delivered(u, mid) for u in users}
        if all(v is not None for v in got.values()) and queue_files() == 0:
            return got
        if time.time() > end:
            raise SystemExit(f"message {mid!r} not delivered to {users} "
                             f"(have {[u for u, v in got.items() if v]}, queue {queue_files()})")
        time.sleep(0.05)


def wait_queue_empty(timeout=20):
    end = time.time() + timeout
    while queue_files():
        if time.time() > end:
            raise SystemExit("Postfix queue not empty")
        time.sleep(0.05)


class Truth:
    def __init__(self):
        self.messages = []
        self.expect = {}
        self.index = {}

    def add(self, client_port, server_port, via, data, mail_from, rcpt, final_code, final_text):
        """rcpt: [(addr, code)]; waits for the LMTP delivery when accepted."""
        self.index[client_port] = self.index.get(client_port, 0) + 1
        e = {"client_port": client_port, "server_port": server_port, "via": via,
             "index": self.index[client_port], "size": len(data),
             "sha256": hashlib.sha256(data).hexdigest(), "mail_from": mail_from,
             "rcpt": [{"addr": a, "code": c} for a, c in rcpt],
             "final_code": final_code, "final_reply": final_text}
        m = re.search(r"queued as ([0-9A-Za-z]+)", final_text)
        e["queue_id"] = m.group(1) if m else None
        if final_code == 250:
            users = [a.split("@")[0] for a, c in rcpt if c == 250 and a not in DISCARDED]
            got = wait_delivered(users, message_id(data))
            lf = data.replace(b"\r\n", b"\n")
            e["stored"] = []
            for u in users:
                st = got[u]
                if not st.endswith(lf):
                    raise SystemExit(f"stored copy for {u} does not end with the sent message")
                prefix = st[:len(st) - len(lf)]
                fields = [l.split(b":")[0].decode() for l in prefix.split(b"\n")
                          if l and not l[:1].isspace()]
                e["stored"].append({"user": u, "size": len(st),
                                    "sha256": hashlib.sha256(st).hexdigest(),
                                    "added_header_lines": prefix.count(b"\n"),
                                    "added_header_fields": fields})
            e["stored_sha256"] = e["stored"][0]["sha256"] if e["stored"] else None
            if any(a in DISCARDED for a, c in rcpt if c == 250):
                e["discarded"] = [a for a, c in rcpt if c == 250 and a in DISCARDED]
        self.messages.append(e)
        return e

    def write(self, path):
        with open(path, "w") as f:
            json.dump({"messages": self.messages, "expect": self.expect}, f, indent=2,
                      ensure_ascii=False)
            f.write("\n")


# --------------------------------------------------------------------------
# Clients
# --------------------------------------------------------------------------

class Raw:
    """Raw-socket SMTP client: exact bytes, pipelining, BDAT."""

    def __init__(self, port=25):
        self.sock = socket.create_connection((HOST, port), timeout=TIMEOUT)
        self.port = self.sock.getsockname()[1]
        self.server_port = port
        self.buf = b""
        self.dialogue = []

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("server closed the connection")
            self.buf += chunk
        l, self.buf = self.buf.split(b"\r\n", 1)
        return l

    def reply(self, cmd):
        lines = []
        while True:
            l = self.line()
            lines.append(l.decode("utf-8", "replace"))
            if len(l) < 4 or l[3:4] != b"-":
                break
        code = int(lines[-1][:3])
        self.dialogue.append({"command": cmd, "reply": lines})
        return code, "\n".join(lines)

    def send(self, data):
        self.sock.sendall(data)

    def cmd(self, c):
        self.send(c.encode("utf-8") + b"\r\n")
        return self.reply(c)

    def close_after_quit(self):
        code, _ = self.cmd("QUIT")
        if code != 221:
            raise SystemExit(f"QUIT: {code}")
        rest = self.buf
        while True:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        if rest:
            raise SystemExit(f"data after QUIT: {rest!r}")
        self.sock.close()


def check(code, want, what):
    if code != want:
        raise SystemExit(f"{what}: reply {code}, expected {want}")


def raw_data_transaction(t, r, mail_from, rcpts, data):
    code, _ = r.cmd(f"MAIL FROM:<{mail_from}>")
    check(code, 250, "MAIL")
    rc = []
    for a in rcpts:
        code, _ = r.cmd(f"RCPT TO:<{a}>")
        rc.append((a, code))
    code, _ = r.cmd("DATA")
    check(code, 354, "DATA")
    r.send(dot_stuff(data))
    code, text = r.reply("(message)")
    return t.add(r.port, r.server_port, "DATA", data, mail_from, rc, code, text)


def lib_transaction(t, s, mail_from, rcpts, data, mail_options=()):
    """smtplib low level: mail() / rcpt() / data() (which dot-stuffs and
    appends CRLF.CRLF; our data already ends in CRLF)."""
    code, resp = s.mail(mail_from, list(mail_options))
    check(code, 250, f"MAIL {resp!r}")
    rc = []
    for a in rcpts:
        code, _ = s.rcpt(a)
        rc.append((a, code))
    code, resp = s.data(data)
    return t.add(s.sock.getsockname()[1], s.sock.getpeername()[1], "DATA", data, mail_from, rc,
                 code, resp.decode("utf-8", "replace"))


def lib(port=25):
    return smtplib.SMTP(HOST, port, local_hostname=CLIENT, timeout=TIMEOUT)


# --------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------

def sc_smtp_helo(t):
    r = Raw()
    code, greet = r.reply("(greeting)")
    check(code, 220, "greeting")
    t.expect["greeting"] = greet
    code, _ = r.cmd(f"HELO {CLIENT}")
    check(code, 250, "HELO")
    raw_data_transaction(t, r, "bob@example.test", ["alice@example.test"],
                         simple("smtp-helo", 1, subject="Lunch on Friday?",
                                body=["Hi Alice,", "", "are you free for lunch on Friday at 12:30?",
                                      "", "Bob"]))
    r.close_after_quit()
    t.expect["dialogue"] = r.dialogue
    t.expect["connections"] = 1


def sc_smtp_ehlo_pipelining(t):
    r = Raw()
    r.reply("(greeting)")
    code, ehlo = r.cmd(f"EHLO {CLIENT}")
    check(code, 250, "EHLO")
    if "PIPELINING" not in ehlo:
        raise SystemExit("no PIPELINING")
    t.expect["ehlo"] = ehlo.split("\n")
    cmds = ["MAIL FROM:<carol@example.test>", "RCPT TO:<alice@example.test>",
            "RCPT TO:<bob@example.test>", "DATA"]
    r.send(b"".join(c.encode() + b"\r\n" for c in cmds))  # one send, one segment
    codes = [r.reply(c)[0] for c in cmds]
    if codes != [250, 250, 250, 354]:
        raise SystemExit(f"pipelined replies {codes}")
    data = simple("smtp-ehlo-pipelining", 1, sender="Carol Example <carol@example.test>",
                  to="Alice Example <alice@example.test>, Bob Example <bob@example.test>",
                  subject="Meeting notes",
                  body=["Notes from today:", "1. Ship the POP3 dissector first.",
                        "2. IMAP next week.", "3. SMTP after that.", "", "Carol"])
    r.send(dot_stuff(data))
    code, text = r.reply("(message)")
    t.add(r.port, 25, "DATA", data, "carol@example.test",
          [("alice@example.test", codes[1]), ("bob@example.test", codes[2])], code, text)
    r.close_after_quit()
    t.expect["pipelined_commands"] = cmds
    t.expect["dialogue"] = r.dialogue
    t.expect["connections"] = 1


def _auth_session(t, tag, mech, wrong_first=False):
    s = lib(587)
    s.ehlo()
    t.expect["ehlo_auth"] = s.esmtp_features.get("auth", "").strip()
    if wrong_first:
        s.user, s.password = "alice", "wrong-password"
        try:
            s.auth(mech, getattr(s, "auth_" + mech.lower()), initial_response_ok=False)
            raise SystemExit("wrong password accepted")
        except smtplib.SMTPAuthenticationError as e:
            t.expect["failed_auth_reply"] = [e.smtp_code, e.smtp_error.decode()]
    s.user, s.password = "alice", PASSWORDS["alice"]
    # PLAIN with the initial response on the AUTH line; LOGIN without
    # (AUTH LOGIN, 334 VXNlcm5hbWU6, user, 334 UGFzc3dvcmQ6, password)
    code, resp = s.auth(mech, getattr(s, "auth_" + mech.lower()),
                        initial_response_ok=(mech == "PLAIN"))
    check(code, 235, "AUTH")
    t.expect["auth_reply"] = [code, resp.decode()]
    lib_transaction(t, s, "alice@example.test", ["bob@example.test"],
                    simple(tag, 1, sender="Alice Example <alice@example.test>",
                           to="Bob Example <bob@example.test>", subject="Re: Lunch on Friday?",
                           body=["12:30 works. See you at the usual place.", "", "Alice"]))
    s.quit()
    t.expect["auth_mechanism"] = mech
    t.expect["auth_user"] = "alice"
    t.expect["connections"] = 1


def sc_smtp_auth_plain(t):
    _auth_session(t, "smtp-auth-plain", "PLAIN")


def sc_smtp_auth_login(t):
    _auth_session(t, "smtp-auth-login", "LOGIN", wrong_first=True)
    t.expect["auth_failures"] = 1


def sc_smtp_multi(t):
    s = lib()
    s.ehlo()
    lib_transaction(t, s, "bob@example.test", ["alice@example.test"], simple("smtp-multi", 1))
    lib_transaction(t, s, "carol@example.test", ["alice@example.test", "bob@example.test"],
                    simple("smtp-multi", 2, sender="Carol Example <carol@example.test>",
                           to="alice@example.test, bob@example.test"))
    code, _ = s.mail("dave@example.test")
    check(code, 250, "MAIL")
    code, _ = s.rcpt("alice@example.test")
    check(code, 250, "RCPT")
    code, _ = s.rset()
    check(code, 250, "RSET")
    lib_transaction(t, s, "alice@example.test", ["bob@example.test"],
                    simple("smtp-multi", 3, sender="alice@example.test", to="bob@example.test"))
    s.noop()
    s.quit()
    t.expect["rset_transaction"] = {"mail_from": "dave@example.test", "rcpt": ["alice@example.test"],
                                    "after_message_index": 2}
    t.expect["connections"] = 1


DOTS_BODY = [
    "This message exercises SMTP dot-stuffing (RFC 5321, section 4.5.2).",
    "The next line is a single dot:",
    ".",
    "The next line is two dots:",
    "..",
    ".leading dot followed by text",
    "..two leading dots followed by text",
    "...three leading dots",
    " . a space then a dot (not stuffed)",
    "trailing dot.",
    ".",
    "Last line before the end.",
]


def sc_smtp_dots(t):
    s = lib()
    s.ehlo()
    lib_transaction(t, s, "dave@example.test", ["alice@example.test"],
                    simple("smtp-dots", 1, sender="Dave Example <dave@example.test>",
                           subject="Dot-stuffing test: lines starting with dots", body=DOTS_BODY))
    s.quit()
    t.expect["connections"] = 1


def sc_smtp_large(t):
    boundary = "=_mailscope_large_0001"
    att = base64.b64encode(large_attachment()).decode()
    b64 = [att[i:i + 76] for i in range(0, len(att), 76)]
    body = (["This is a multi-part message in MIME format.", "", f"--{boundary}",
             "Content-Type: text/plain; charset=us-ascii", "", "The data set is attached.", "",
             f"--{boundary}", 'Content-Type: application/octet-stream; name="dataset.bin"',
             'Content-Disposition: attachment; filename="dataset.bin"',
             "Content-Transfer-Encoding: base64", ""] + b64 + ["", f"--{boundary}--"])
    data = message("smtp-large", 1, "Carol Example <carol@example.test>",
                   "Alice Example <alice@example.test>", "Data set (2 MB)", body,
                   extra=[f'Content-Type: multipart/mixed; boundary="{boundary}"'])
    s = lib()
    s.ehlo()
    lib_transaction(t, s, "carol@example.test", ["alice@example.test"], data,
                    mail_options=[f"SIZE={len(data)}"])
    s.quit()
    t.expect["connections"] = 1
    t.expect["note"] = "port 25 only: the LMTP copy (port 24) is not captured, to stay under 3 MB"


def sc_smtp_utf8(t):
    s = lib()
    s.ehlo()
    t.expect["smtputf8_offered"] = s.has_extn("smtputf8")
    # 1: ASCII envelope, RFC 2047 encoded words in UTF-8 (B) and ISO-8859-1 (Q),
    #    8bit UTF-8 body (BODY=8BITMIME)
    m1 = message("smtp-utf8", 1, "=?ISO-8859-1?Q?J=F6rg_M=FCller?= <joerg@example.test>",
                 "=?UTF-8?B?w4FsaWNlIEV4YW1wbGU=?= <alice@example.test>",
                 "=?UTF-8?B?R3LDvMOfZSBhdXMgWsO8cmljaCDinJM=?= =?ISO-8859-1?Q?=28f=FCr_Alice=29?=",
                 ["Hallo Alice,", "", "Grüße aus Zürich – schöne Woche! ✓", "", "Jörg"],
                 charset="UTF-8", cte="8bit")
    lib_transaction(t, s, "joerg@example.test", ["alice@example.test"], m1,
                    mail_options=["BODY=8BITMIME"])
    # 2: SMTPUTF8 (RFC 6531): UTF-8 sender address and raw UTF-8 headers
    m2 = message("smtp-utf8", 2, "Jörg Müller <jörg@example.test>", "Jörg <jörg@example.test>",
                 "Grüße aus Zürich (SMTPUTF8)", ["Hallo Jörg,", "", "diesmal mit SMTPUTF8.", "",
                                                 "Jörg"], charset="UTF-8", cte="8bit")
    lib_transaction(t, s, "jörg@example.test", ["jörg@example.test"], m2,
                    mail_options=["SMTPUTF8", "BODY=8BITMIME"])
    s.quit()
    t.expect["connections"] = 1


def sc_smtp_rejects(t):
    r = Raw()
    r.reply("(greeting)")
    check(r.cmd(f"EHLO {CLIENT}")[0], 250, "EHLO")
    r.cmd("VRFY alice")
    r.cmd("EXPN staff")
    r.cmd("XYZZY")
    r.cmd("RCPT TO:<alice@example.test>")          # before MAIL
    r.cmd("MAIL FROM:<bob@example.test")            # unbalanced <
    check(r.cmd("MAIL FROM:<bob@example.test>")[0], 250, "MAIL")
    rc = []
    for a in ("nobody@example.test", "carol@example.org", "alice@example.test"):
        code, _ = r.cmd(f"RCPT TO:<{a}>")
        rc.append((a, code))
    check(r.cmd("DATA")[0], 354, "DATA")
    data = simple("smtp-rejects", 1, to="nobody@example.test, carol@example.org, alice@example.test",
                  subject="Some of you will not get this")
    r.send(dot_stuff(data))
    code, text = r.reply("(message)")
    t.add(r.port, 25, "DATA", data, "bob@example.test", rc, code, text)
    r.close_after_quit()
    t.expect["dialogue"] = r.dialogue
    t.expect["rejected_commands"] = [d for d in r.dialogue if d["reply"][-1][:1] in "45"]
    t.expect["connections"] = 1


def sc_smtp_starttls(t, keylog):
    ctx = ssl.create_default_context(cafile=os.path.join(RUN, "tls", "cert.pem"))
    ctx.keylog_filename = keylog
    s = lib()
    s.ehlo()
    t.expect["ehlo_before_tls"] = sorted(s.esmtp_features)
    code, resp = s.starttls(context=ctx)
    t.expect["starttls_reply"] = [code, resp.decode()]
    t.expect["tls_version"] = s.sock.version()
    s.ehlo()
    t.expect["ehlo_after_tls"] = sorted(s.esmtp_features)
    lib_transaction(t, s, "bob@example.test", ["alice@example.test"],
                    simple("smtp-starttls", 1, subject="Confidential: salary review"))
    s.quit()
    t.expect["connections"] = 1


def sc_smtp_bdat(t):
    # session 1: BDAT chunks, then BDAT n LAST; second message BDAT n + BDAT 0 LAST
    r = Raw()
    r.reply("(greeting)")
    code, ehlo = r.cmd(f"EHLO {CLIENT}")
    if "CHUNKING" not in ehlo:
        raise SystemExit("no CHUNKING")
    t.expect["ehlo"] = ehlo.split("\n")
    data = simple("smtp-bdat", 1, subject="BDAT in three chunks",
                  body=["BDAT (RFC 3030) needs no dot-stuffing, so these lines go as they are:",
                        ".", "..leading dots", ".", "The message ends after this line."] +
                  [f"filler line {i:03d} to make the chunks a few hundred octets" for i in range(12)])
    check(r.cmd("MAIL FROM:<bob@example.test>")[0], 250, "MAIL")
    code, _ = r.cmd("RCPT TO:<alice@example.test>")
    cuts = [0, 300, 700, len(data)]  # the first cut falls inside a header line
    chunks = [data[cuts[i]:cuts[i + 1]] for i in range(3)]
    replies = []
    for i, c in enumerate(chunks):
        last = i == len(chunks) - 1
        cmd = f"BDAT {len(c)}" + (" LAST" if last else "")
        r.send(cmd.encode() + b"\r\n" + c)
        rcode, text = r.reply(cmd)
        replies.append([cmd, rcode, text])
    t.add(r.port, 25, "BDAT", data, "bob@example.test", [("alice@example.test", code)],
          replies[-1][1], replies[-1][2])
    data2 = simple("smtp-bdat", 2, subject="BDAT then BDAT 0 LAST")
    check(r.cmd("MAIL FROM:<bob@example.test>")[0], 250, "MAIL")
    code, _ = r.cmd("RCPT TO:<alice@example.test>")
    r.send(f"BDAT {len(data2)}\r\n".encode() + data2)
    c1, txt1 = r.reply(f"BDAT {len(data2)}")
    r.send(b"BDAT 0 LAST\r\n")
    c2, txt2 = r.reply("BDAT 0 LAST")
    replies += [[f"BDAT {len(data2)}", c1, txt1], ["BDAT 0 LAST", c2, txt2]]
    t.add(r.port, 25, "BDAT", data2, "bob@example.test", [("alice@example.test", code)], c2, txt2)
    r.close_after_quit()
    t.expect["bdat_replies"] = replies
    # session 2: MAIL, RCPT, BDAT n LAST and the chunk in one send
    r2 = Raw()
    r2.reply("(greeting)")
    r2.cmd(f"EHLO {CLIENT}")
    data3 = simple("smtp-bdat", 3, sender="Carol Example <carol@example.test>",
                   subject="Pipelined BDAT LAST")
    cmds = ["MAIL FROM:<carol@example.test>", "RCPT TO:<alice@example.test>",
            f"BDAT {len(data3)} LAST"]
    r2.send(b"".join(c.encode() + b"\r\n" for c in cmds) + data3)
    codes = [r2.reply(c) for c in cmds]
    t.add(r2.port, 25, "BDAT", data3, "carol@example.test", [("alice@example.test", codes[1][0])],
          codes[2][0], codes[2][1])
    r2.close_after_quit()
    t.expect["pipelined_commands"] = cmds
    t.expect["dialogue"] = [r.dialogue, r2.dialogue]
    t.expect["connections"] = 2


SCENARIOS = {
    "smtp-helo": sc_smtp_helo,
    "smtp-ehlo-pipelining": sc_smtp_ehlo_pipelining,
    "smtp-auth-plain": sc_smtp_auth_plain,
    "smtp-auth-login": sc_smtp_auth_login,
    "smtp-multi": sc_smtp_multi,
    "smtp-dots": sc_smtp_dots,
    "smtp-large": sc_smtp_large,
    "smtp-utf8": sc_smtp_utf8,
    "smtp-rejects": sc_smtp_rejects,
    "smtp-starttls": sc_smtp_starttls,
    "smtp-bdat": sc_smtp_bdat,
}


def main(argv):
    global RUN
    if len(argv) == 4 and argv[0] == "run":
        name, truth_path, RUN = argv[1], argv[2], argv[3]
        t = Truth()
        if name == "smtp-starttls":
            SCENARIOS[name](t, os.path.join(RUN, "work", name + ".keylog"))
        else:
            SCENARIOS[name](t)
        wait_queue_empty()
        t.write(truth_path)
        return 0
    sys.stderr.write("usage: samples_smtp.py run NAME TRUTH_JSON RUN_DIR\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
