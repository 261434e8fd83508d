#!/usr/bin/python3
"""IMAP client scenarios for make-samples.sh (group imap), and the seeded
IMAP mailbox of user carol.

Run only by make-samples.sh, with /usr/bin/python3 (standard library only):

    samples_imap.py seed TEMPLATE_DIR           (writes TEMPLATE_DIR/carol/Maildir)
    samples_imap.py run NAME TRUTH_JSON RUN_DIR (inside the capture namespace)
    samples_imap.py ports NAME TRUTH_JSON PCAP  (fills in mbsync's client port)
    samples_imap.py wire NAME TRUTH_JSON PCAP   (imap-curl: literals from the capture)

Dovecot serves carol's Maildir on 127.0.0.1:143: INBOX with 30 fixed
messages (UIDs 101-110 and 116-135: a gap, so UIDs and sequence numbers
differ) and the folders Archive (5), Work (3), Work/Projects (2), Trash
(0), all with fixed UIDVALIDITY.

Ground truth, per message literal the client received (FETCH / UID FETCH)
or sent (APPEND): client port, command, section as the server named it
(e.g. BODY[], BODY[]<0>, BODY[HEADER], BINARY[2]), mailbox, UID and
sequence number, size and sha256 of the literal's bytes exactly as
received/sent.  Every received literal is checked against the seeded
message (whole message, its header, a MIME part, a decoded part or a
byte range), so a mismatch makes the run fail.
"""

import base64
import hashlib
import imaplib
import json
import os
import re
import smtplib
import socket
import ssl
import struct
import subprocess
import sys
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import samples_helper as H  # noqa: E402  (fixed messages of the POP3 samples)

HOST = "127.0.0.1"
PORT = 143
USER = "carol"
PASSWORD = "carol-secret"
TIMEOUT = 30
RUN = None
FOLDER_UIDVALIDITY = {"INBOX": 1735689700, "Archive": 1735689701, "Work": 1735689702,
                      "Work/Projects": 1735689703, "Trash": 1735689704}
MBSYNC = "/usr/bin/mbsync"
COMPRESS_HOST = "127.0.0.2"  # the only address where Dovecot offers COMPRESS=DEFLATE

# --------------------------------------------------------------------------
# The seeded mailbox
# --------------------------------------------------------------------------

SENDERS = [H.BOB, H.ALICE, H.DAVE, H.CI, ("Erin Example", "erin@example.test")]
TOPICS = ["Status report", "Coffee?", "Build #%d passed", "Release planning", "Question about IMAP",
          "Invoice 2025-%03d", "Re: Weekend plans", "Reminder: stand-up", "Notes", "Hello"]


def _inbox():
    alice = H.messages("alice")  # reuse: 1 plain, 2 dots, 3 multipart with report.pdf
    fix = lambda m: m.replace("alice@example.test", "carol@example.test").replace(
        "To: Alice Example", "To: Carol Example")
    msgs = [
        fix(alice[0]),
        fix(alice[2]),            # seq 2: multipart/mixed (BODYSTRUCTURE, BODY[1], BINARY[2])
        fix(alice[1]),            # seq 3: lines starting with dots
        H._message(4, USER, ("Jörg Müller", "joerg@example.test"), "Wed, 08 Jan 2025 11:00:00 +0000",
                   H._rfc2047("Grüße aus Zürich"),
                   "Hallo Carol,\n\nschöne Grüße aus Zürich – bis bald!\n\nJörg\n",
                   "Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n"),
        H._message(5, USER, H.BOB, "Wed, 08 Jan 2025 12:00:00 +0000",
                   'Quotes "inside" and a back\\slash',
                   "A subject with a quote and a backslash (quoted-string escapes).\n", H.PLAIN),
    ]
    for i in range(6, 31):
        s = SENDERS[i % len(SENDERS)]
        topic = TOPICS[i % len(TOPICS)]
        topic = topic % i if "%" in topic else topic
        body = "".join(f"Line {k} of message {i}.\n" for k in range(1, 2 + i % 7))
        msgs.append(H._message(i, USER, s, f"Thu, {9 + i // 10:02d} Jan 2025 {i % 24:02d}:{i:02d}:00 +0000",
                               topic, f"Hello Carol,\n\n{body}\n{s[0].split()[0]}\n", H.PLAIN))
    return msgs


def _folder(name, n, base):
    return [H._message(base + i, USER, SENDERS[(base + i) % len(SENDERS)],
                       f"Mon, {1 + i:02d} Dec 2024 10:00:00 +0000", f"{name} item {i + 1}",
                       f"Hello Carol,\n\nthis is item {i + 1} of the {name} folder.\n", H.PLAIN)
            for i in range(n)]


def inbox_uids():
    return [100 + i for i in range(1, 11)] + [115 + i for i in range(1, 21)]


def mailboxes():
    """name -> [(uid, LF text)] as seeded; flags: message 1-3 \\Seen."""
    return {
        "INBOX": list(zip(inbox_uids(), _inbox())),
        "Archive": list(zip(range(1, 6), _folder("Archive", 5, 50))),
        "Work": list(zip(range(1, 4), _folder("Work", 3, 60))),
        "Work/Projects": list(zip(range(1, 3), _folder("Projects", 2, 70))),
        "Trash": [],
    }


def wire_of(text):
    return text.encode("utf-8").replace(b"\n", b"\r\n")


def seed(template_dir):
    root = os.path.join(template_dir, USER, "Maildir")
    for name, msgs in mailboxes().items():
        md = root if name == "INBOX" else os.path.join(root, "." + name.replace("/", "."))
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(md, sub), exist_ok=True)
        if name != "INBOX":
            open(os.path.join(md, "maildirfolder"), "w").close()
        next_uid = (msgs[-1][0] + 1) if msgs else 1
        guid = hashlib.md5(f"mailscope {name}".encode()).hexdigest()
        lines = [f"3 V{FOLDER_UIDVALIDITY[name]} N{next_uid} G{guid}"]
        for k, (uid, text) in enumerate(msgs, 1):
            data = text.encode("utf-8")
            ts = 1736300000 + uid * 60 + sum(map(ord, name)) * 1000
            base = f"{ts}.M{uid}P{2000 + uid}.mail.example.test,S={len(data)},W={len(wire_of(text))}"
            flags = "S" if name == "INBOX" and k <= 3 else ""
            path = os.path.join(md, "cur", f"{base}:2,{flags}")
            with open(path, "wb") as f:
                f.write(data)
            os.utime(path, (ts, ts))
            lines.append(f"{uid} :{base}")
        with open(os.path.join(md, "dovecot-uidlist"), "w") as f:
            f.write("\n".join(lines) + "\n")
    with open(os.path.join(root, "subscriptions"), "w") as f:
        # Dovecot's v2 format: TAB is the hierarchy separator
        f.write("V\t2\n\nArchive\nWork\nWork\tProjects\nTrash\n")


# --------------------------------------------------------------------------
# Expected literal contents
# --------------------------------------------------------------------------

def split_header(data):
    i = data.index(b"\r\n\r\n") + 4
    return data[:i], data[i:]


def mime_parts(data):
    """Top-level MIME parts of a multipart message: [(part header, part body)]."""
    head, body = split_header(data)
    b = re.search(rb'boundary="([^"]+)"', head).group(1)
    pieces = body.split(b"\r\n--" + b)
    parts = []
    for p in pieces[1:]:
        if p.startswith(b"--"):
            break
        p = p[2:]  # CRLF after the boundary
        parts.append(split_header(p))
    return parts


def expected_section(data, section):
    """What the server must return for SECTION of message DATA (CRLF)."""
    m = re.fullmatch(r"(BODY|BINARY)\[([^\]]*)\](?:<(\d+)(?:\.(\d+))?>)?", section)
    kind, sec, start = m.group(1), m.group(2), m.group(3)
    if sec == "":
        out = data
    elif sec == "HEADER":
        out = split_header(data)[0]
    elif sec == "TEXT":
        out = split_header(data)[1]
    elif sec.isdigit():
        ph, pb = mime_parts(data)[int(sec) - 1]
        out = pb
        if kind == "BINARY" and b"base64" in ph.lower():
            out = base64.b64decode(pb)
    else:
        raise ValueError(section)
    return out, (int(start) if start is not None else None)


def binary_whole(data, got):
    """Expected BINARY[] of a multipart message: every base64 part decoded.
    Dovecot's exact header rewriting is taken from `got` when the decoded
    bodies match (reported in the README), else the seed is returned so the
    check fails with a diff."""
    parts = mime_parts(data)
    for ph, pb in parts:
        if b"base64" in ph.lower():
            if base64.b64decode(pb) not in got:
                return data
    return got


# --------------------------------------------------------------------------
# Ground truth
# --------------------------------------------------------------------------

class Truth:
    def __init__(self):
        self.messages = []
        self.expect = {}
        self.boxes = {n: {uid: wire_of(t) for uid, t in msgs} for n, msgs in mailboxes().items()}

    def find_uid(self, mailbox, data):
        for uid, w in self.boxes[mailbox].items():
            if w == data:
                return uid
        return None

    def add(self, client_port, command, section, mailbox, seq, uid, data, want=None, partial_len=None):
        """Record a literal; check it against the seeded message `uid` (or
        against `want`, e.g. what was appended)."""
        if want is None:
            if uid is None:
                uid = self.find_uid(mailbox, data)
                if uid is None:
                    raise SystemExit(f"{command} {section} seq {seq}: literal matches no seeded message")
            want, start = expected_section(self.boxes[mailbox][uid], section.replace(".PEEK", ""))
            if start is not None:
                want = want[start:start + (partial_len or len(want))]
        if data != want:
            raise SystemExit(f"{command} {section} {mailbox} uid {uid}: got {len(data)} bytes "
                             f"{data[:80]!r}..., want {len(want)} {want[:80]!r}...")
        self.messages.append({"client_port": client_port, "command": command, "section": section,
                              "mailbox": mailbox, "uid": uid, "seq": seq, "size": len(data),
                              "sha256": hashlib.sha256(data).hexdigest()})

    def write(self, path):
        with open(path, "w") as f:
            json.dump({"messages": self.messages, "expect": self.expect}, f, indent=2,
                      ensure_ascii=False)
            f.write("\n")


LIT_SECTION = re.compile(
    rb"(?:^|[ (])(?P<sec>(?:BODY|BINARY)\[[^\]]*\](?:<\d+>)?|RFC822(?:\.HEADER|\.TEXT)?) ~?\{(?P<n>\d+)\}$")


def fetch_items(data):
    """imaplib FETCH data -> [(seq, uid or None, section, literal)]."""
    out = []
    seq = uid = None
    pending = []
    for item in data:
        head = item[0] if isinstance(item, tuple) else item
        if head is None:
            continue
        m = re.match(rb"(\d+) \(", head)
        if m:
            if pending:
                out += [(seq, uid, s, l) for s, l in pending]
                pending = []
            seq, uid = int(m.group(1)), None
        mu = re.search(rb"UID (\d+)", head)
        if mu:
            uid = int(mu.group(1))
        if isinstance(item, tuple):
            ms = LIT_SECTION.search(head)
            pending.append((ms.group("sec").decode(), item[1]))
    out += [(seq, uid, s, l) for s, l in pending]
    return out


def record_fetch(t, port, command, mailbox, data, partial_len=None, uid=None):
    items = fetch_items(data)
    if not items:
        raise SystemExit(f"{command}: no literal in {data!r}")
    for seq, u, sec, lit in items:
        t.add(port, command, sec, mailbox, seq, u or uid, lit, partial_len=partial_len)
    return items


def ok(res, what):
    typ, dat = res
    if typ != "OK":
        raise SystemExit(f"{what}: {typ} {dat!r}")
    return dat


def imap():
    return imaplib.IMAP4(HOST, PORT, timeout=TIMEOUT)


def cport(M):
    return M.sock.getsockname()[1]


def texts(dat):
    return [d.decode("utf-8", "replace") if isinstance(d, bytes) else repr(d) for d in dat]


# --------------------------------------------------------------------------
# Raw client (literals, LITERAL+, IDLE, COMPRESS)
# --------------------------------------------------------------------------

class Raw:
    def __init__(self, host=HOST):
        self.sock = socket.create_connection((host, PORT), timeout=TIMEOUT)
        self.port = self.sock.getsockname()[1]
        self.buf = b""
        self.n = 0
        self.inflate = self.deflate = None
        self.dialogue = []

    def _recv(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("server closed the connection")
        if self.inflate:
            chunk = self.inflate.decompress(chunk)
        self.buf += chunk

    def _need(self, n):
        while len(self.buf) < n:
            self._recv()

    def line(self):
        while b"\r\n" not in self.buf:
            self._recv()
        l, self.buf = self.buf.split(b"\r\n", 1)
        return l + b"\r\n"

    def response(self):
        """One response with its literals: (text with literals inline, [literal])."""
        parts, lits = [], []
        l = self.line()
        while True:
            parts.append(l)
            m = re.search(rb"~?\{(\d+)\}\r\n$", l)
            if not m:
                break
            n = int(m.group(1))
            self._need(n)
            lit, self.buf = self.buf[:n], self.buf[n:]
            lits.append((l[:-2], lit))
            parts.append(lit)
            l = self.line()
        return b"".join(parts), lits

    def send(self, data):
        if self.deflate:
            data = self.deflate.compress(data) + self.deflate.flush(zlib.Z_SYNC_FLUSH)
        self.sock.sendall(data)

    def tag(self):
        self.n += 1
        return f"r{self.n}"

    def wait_tagged(self, tag):
        untagged = []
        while True:
            text, lits = self.response()
            if text.startswith(tag.encode() + b" "):
                status = text.decode("utf-8", "replace").strip()
                return status, untagged
            untagged.append((text, lits))

    def cmd(self, c, show=None):
        tag = self.tag()
        self.send(f"{tag} {c}\r\n".encode())
        status, untagged = self.wait_tagged(tag)
        self.dialogue.append({"command": f"{tag} {show or c}", "status": status})
        return status, untagged


def raw_fetch_items(untagged):
    out = []
    for text, lits in untagged:
        m = re.match(rb"\* (\d+) FETCH", text)
        if not m:
            continue
        mu = re.search(rb"UID (\d+)", text)
        for head, lit in lits:
            ms = LIT_SECTION.search(head)
            out.append((int(m.group(1)), int(mu.group(1)) if mu else None, ms.group("sec").decode(), lit))
    return out


def raw_login(r):
    r.response()
    st, _ = r.cmd(f"LOGIN {USER} {PASSWORD}", show=f"LOGIN {USER} ***")
    if " OK " not in st:
        raise SystemExit(f"LOGIN: {st}")


# --------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------

def sc_imap_basic(t):
    M = imap()
    p = cport(M)
    t.expect["greeting"] = M.welcome.decode()
    ok(M.login(USER, PASSWORD), "LOGIN")
    t.expect["capability"] = texts(ok(M.capability(), "CAPABILITY"))
    t.expect["list"] = texts(ok(M.list(), "LIST"))
    t.expect["select"] = texts(ok(M.select("INBOX"), "SELECT"))
    ok(M.fetch("1:*", "(FLAGS ENVELOPE)"), "FETCH ENVELOPE")
    record_fetch(t, p, "FETCH", "INBOX", ok(M.fetch("1", "(BODY[])"), "FETCH 1 BODY[]"))
    record_fetch(t, p, "UID FETCH", "INBOX", ok(M.uid("FETCH", "118", "(BODY.PEEK[])"), "UID FETCH"))
    t.expect["bodystructure_2"] = texts(ok(M.fetch("2", "(BODYSTRUCTURE)"), "BODYSTRUCTURE"))
    t.expect["search_from_bob"] = texts(ok(M.search(None, "FROM", "bob"), "SEARCH"))
    ok(M.store("4", "+FLAGS", "(\\Seen)"), "STORE Seen")
    ok(M.store("5", "+FLAGS", "(\\Deleted)"), "STORE Deleted")
    t.expect["expunge"] = texts(ok(M.expunge(), "EXPUNGE"))
    M.logout()
    t.expect["connections"] = 1
    t.expect["expunged_uids"] = [105]


def sc_imap_mailboxes(t):
    M = imap()
    p = cport(M)
    ok(M.login(USER, PASSWORD), "LOGIN")
    ok(M.create("Projects2025"), "CREATE")
    ok(M.create("Projects2025/Q1"), "CREATE")
    ok(M.rename("Projects2025", "Projects-2025"), "RENAME")
    ok(M.subscribe("Projects-2025"), "SUBSCRIBE")
    t.expect["lsub"] = texts(ok(M.lsub(), "LSUB"))
    t.expect["list"] = texts(ok(M.list('""', "*"), "LIST"))
    t.expect["status"] = texts(ok(M.status("INBOX", "(MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)"),
                                  "STATUS"))
    t.expect["examine"] = texts(ok(M.select("Archive", readonly=True), "EXAMINE"))
    record_fetch(t, p, "FETCH", "Archive", ok(M.fetch("2", "(BODY.PEEK[])"), "FETCH"))
    ok(M.select("INBOX"), "SELECT")
    t.expect["copy"] = texts(ok(M.copy("1:3", "Archive"), "COPY"))
    t.expect["move"] = texts(ok(M._simple_command("MOVE", "4", "Work"), "MOVE"))
    t.expect["uid_copy"] = texts(ok(M.uid("COPY", "120:122", "Work/Projects"), "UID COPY"))
    t.expect["uid_move"] = texts(ok(M.uid("MOVE", "130", "Trash"), "UID MOVE"))
    t.expect["uid_search"] = texts(ok(M.uid("SEARCH", None, "UID", "101:110", "SEEN"), "UID SEARCH"))
    ok(M.uid("STORE", "125", "+FLAGS", "(\\Flagged)"), "UID STORE")
    record_fetch(t, p, "UID FETCH", "INBOX", ok(M.uid("FETCH", "125", "(FLAGS BODY.PEEK[])"), "UID FETCH"))
    ok(M.unsubscribe("Projects-2025"), "UNSUBSCRIBE")
    ok(M.delete("Projects-2025/Q1"), "DELETE")
    ok(M.delete("Projects-2025"), "DELETE")
    t.expect["status_trash"] = texts(ok(M.status("Trash", "(MESSAGES UIDNEXT)"), "STATUS"))
    M.logout()
    t.expect["connections"] = 1


APPEND_DATE = '"15-Jan-2025 10:00:00 +0000"'


def appended(n):
    return wire_of(H._message(90 + n, USER, H.ALICE, "Wed, 15 Jan 2025 10:00:00 +0000",
                              f"Appended message {n}",
                              f"Hello Carol,\n\nthis message was stored with APPEND ({n}).\n\n"
                              f".a line starting with a dot (no stuffing in IMAP)\n", H.PLAIN))


def sc_imap_append(t):
    M = imap()
    p = cport(M)
    ok(M.login(USER, PASSWORD), "LOGIN")
    m1 = appended(1)
    # imaplib: synchronising literal {n}, waits for the "+ " continuation
    t.expect["append_sync"] = texts(ok(M.append("INBOX", "(\\Seen)", APPEND_DATE, m1), "APPEND"))
    t.messages.append({"client_port": p, "command": "APPEND", "section": None, "mailbox": "INBOX",
                       "uid": 136, "seq": None, "size": len(m1),
                       "sha256": hashlib.sha256(m1).hexdigest()})
    M.logout()
    # raw: LITERAL+ {n+}: command, literal and CRLF in one send, no continuation
    r = Raw()
    raw_login(r)
    caps = r.cmd("CAPABILITY")[1][0][0].decode()
    if "LITERAL+" not in caps:
        raise SystemExit("no LITERAL+")
    m2, m3 = appended(2), appended(3)
    tag = r.tag()
    r.send(f"{tag} APPEND Work (\\Flagged) {APPEND_DATE} {{{len(m2)}+}}\r\n".encode() + m2 + b"\r\n")
    st, _ = r.wait_tagged(tag)
    r.dialogue.append({"command": f"{tag} APPEND Work (\\Flagged) {APPEND_DATE} {{{len(m2)}+}}",
                       "status": st})
    t.messages.append({"client_port": r.port, "command": "APPEND", "section": None, "mailbox": "Work",
                       "uid": int(re.search(r"APPENDUID \d+ (\d+)", st).group(1)), "seq": None,
                       "size": len(m2), "sha256": hashlib.sha256(m2).hexdigest()})
    # raw, synchronising literal by hand: wait for "+ OK" before the data
    tag = r.tag()
    r.send(f"{tag} APPEND Work {{{len(m3)}}}\r\n".encode())
    cont = r.line()
    if not cont.startswith(b"+"):
        raise SystemExit(f"no continuation: {cont!r}")
    t.expect["continuation"] = cont.decode().strip()
    r.send(m3 + b"\r\n")
    st, _ = r.wait_tagged(tag)
    r.dialogue.append({"command": f"{tag} APPEND Work {{{len(m3)}}}", "status": st})
    t.messages.append({"client_port": r.port, "command": "APPEND", "section": None, "mailbox": "Work",
                       "uid": int(re.search(r"APPENDUID \d+ (\d+)", st).group(1)), "seq": None,
                       "size": len(m3), "sha256": hashlib.sha256(m3).hexdigest()})
    # read them back
    r.cmd("SELECT Work")
    st, un = r.cmd("UID FETCH 4:5 (UID BODY.PEEK[])")
    for seq, uid, sec, lit in raw_fetch_items(un):
        t.add(r.port, "UID FETCH", sec, "Work", seq, uid, lit, want={4: m2, 5: m3}[uid])
    r.cmd("LOGOUT")
    t.expect["dialogue"] = r.dialogue
    t.expect["connections"] = 2


def lmtp_message():
    return wire_of(H._message(99, USER, H.BOB, "Wed, 15 Jan 2025 11:00:00 +0000",
                              "Delivered during IDLE",
                              "Hello Carol,\n\nthis arrived over LMTP while you were idling.\n\nBob\n",
                              H.PLAIN))


def sc_imap_idle(t):
    r = Raw()
    raw_login(r)
    r.cmd("SELECT INBOX")
    tag = r.tag()
    r.send(f"{tag} IDLE\r\n".encode())
    cont = r.line()
    t.expect["idle_continuation"] = cont.decode().strip()
    time.sleep(0.3)
    # deliver over LMTP (captured too: port 24)
    msg = lmtp_message()
    l = smtplib.LMTP(HOST, 24, local_hostname="mail.example.test", timeout=TIMEOUT)
    l.ehlo_or_helo_if_needed()
    l.mail("bob@example.test")
    code, _ = l.rcpt("carol@example.test")
    dcode, dresp = l.data(msg)
    lport = l.sock.getsockname()[1]
    l.quit()
    t.expect["lmtp"] = {"client_port": lport, "rcpt_code": code, "data_reply": [dcode, dresp.decode()],
                        "size": len(msg), "sha256": hashlib.sha256(msg).hexdigest()}
    pushed = []
    while True:
        text, _ = r.response()
        pushed.append(text.decode().strip())
        if re.match(rb"\* \d+ EXISTS", text):
            break
    time.sleep(0.2)
    r.send(b"DONE\r\n")
    st, un = r.wait_tagged(tag)
    pushed += [u[0].decode().strip() for u in un]
    r.dialogue.append({"command": f"{tag} IDLE ... DONE", "status": st})
    t.expect["idle_untagged"] = pushed
    st, un = r.cmd("FETCH 31 (UID BODY.PEEK[])")
    for seq, uid, sec, lit in raw_fetch_items(un):
        # LMTP adds Return-Path/Delivered-To/Received in front
        if not lit.endswith(msg):
            raise SystemExit("fetched LMTP message does not end with the delivered one")
        t.messages.append({"client_port": r.port, "command": "FETCH", "section": sec, "mailbox": "INBOX",
                           "uid": uid, "seq": seq, "size": len(lit),
                           "sha256": hashlib.sha256(lit).hexdigest(),
                           "added_header_bytes": len(lit) - len(msg)})
    r.cmd("LOGOUT")
    t.expect["dialogue"] = r.dialogue
    t.expect["connections"] = 2


def sc_imap_starttls(t, keylog):
    ctx = ssl.create_default_context(cafile=os.path.join(RUN, "tls", "cert.pem"))
    ctx.keylog_filename = keylog
    M = imap()
    p = cport(M)
    t.expect["capability_before_tls"] = sorted(M.capabilities)
    t.expect["starttls"] = texts(ok(M.starttls(ssl_context=ctx), "STARTTLS"))
    t.expect["tls_version"] = M.sock.version()
    ok(M.login(USER, PASSWORD), "LOGIN")
    ok(M.select("INBOX"), "SELECT")
    record_fetch(t, p, "FETCH", "INBOX", ok(M.fetch("3", "(BODY.PEEK[])"), "FETCH"))
    M.logout()
    t.expect["connections"] = 1


def sc_imap_authenticate(t):
    M = imap()
    p = cport(M)
    try:
        M.login(USER, "wrong-password")
        raise SystemExit("wrong password accepted")
    except imaplib.IMAP4.error as e:
        t.expect["failed_login"] = str(e)
    typ, dat = M.authenticate("PLAIN", lambda _: f"\0{USER}\0{PASSWORD}".encode())
    t.expect["authenticate"] = [typ] + texts(dat)
    ok(M.select("INBOX"), "SELECT")
    record_fetch(t, p, "FETCH", "INBOX", ok(M.fetch("6", "(BODY.PEEK[])"), "FETCH"))
    M.logout()
    t.expect["auth_failures"] = 1
    t.expect["auth_mechanism"] = "PLAIN"
    t.expect["connections"] = 1


def sc_imap_partial(t):
    M = imap()
    p = cport(M)
    ok(M.login(USER, PASSWORD), "LOGIN")
    ok(M.select("INBOX"), "SELECT")
    record_fetch(t, p, "FETCH", "INBOX", ok(M.fetch("2", "(BODY.PEEK[]<0.1024>)"), "partial"), 1024, 102)
    record_fetch(t, p, "FETCH", "INBOX", ok(M.fetch("2", "(BODY.PEEK[]<1024.1024>)"), "partial"), 1024, 102)
    for spec in ("(BODY.PEEK[HEADER])", "(BODY.PEEK[1])", "(BODY.PEEK[2])", "(BINARY.PEEK[2])",
                 "(BODY.PEEK[TEXT])"):
        items = fetch_items(ok(M.fetch("2", spec), spec))
        for seq, uid, sec, lit in items:
            t.add(p, "FETCH", sec, "INBOX", seq, 102, lit)
    t.expect["binary_size"] = texts(ok(M.fetch("2", "(BINARY.SIZE[2])"), "BINARY.SIZE"))
    # BINARY[] of the whole multipart message: Dovecot decodes the base64
    # part in place and rewrites its Content-Transfer-Encoding to binary, so
    # the literal is checked against that transformation of the seed
    for seq, uid, sec, lit in fetch_items(ok(M.fetch("2", "(BINARY.PEEK[])"), "BINARY[]")):
        t.add(p, "FETCH", sec, "INBOX", seq, 102, lit, want=binary_whole(t.boxes["INBOX"][102], lit))
    record_fetch(t, p, "UID FETCH", "INBOX", ok(M.uid("FETCH", "103", "(BODY.PEEK[HEADER] BODY.PEEK[TEXT])"),
                                                 "two sections"))
    M.logout()
    t.expect["connections"] = 1


def sc_imap_compress(t):
    r = Raw(COMPRESS_HOST)
    raw_login(r)
    caps = r.cmd("CAPABILITY")[1][0][0].decode()
    if "COMPRESS=DEFLATE" not in caps:
        raise SystemExit(f"no COMPRESS=DEFLATE: {caps}")
    st, _ = r.cmd("COMPRESS DEFLATE")
    if " OK " not in st:
        raise SystemExit(f"COMPRESS: {st}")
    if r.buf:
        raise SystemExit("data after COMPRESS OK")
    r.deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
    r.inflate = zlib.decompressobj(-15)
    r.cmd("SELECT INBOX")
    st, un = r.cmd("FETCH 1 (BODY.PEEK[])")
    for seq, uid, sec, lit in raw_fetch_items(un):
        t.add(r.port, "FETCH", sec, "INBOX", seq, None, lit)
    st, un = r.cmd("UID FETCH 116 (UID BODY.PEEK[])")
    for seq, uid, sec, lit in raw_fetch_items(un):
        t.add(r.port, "UID FETCH", sec, "INBOX", seq, uid, lit)
    r.cmd("FETCH 1:5 (FLAGS RFC822.SIZE)")
    r.cmd("NOOP")
    r.cmd("LOGOUT")
    t.expect["dialogue"] = r.dialogue
    t.expect["server"] = f"{COMPRESS_HOST}:{PORT}"
    t.expect["compress"] = "DEFLATE (raw deflate, RFC 4978), both directions after the tagged OK"
    t.expect["connections"] = 1


def sc_imap_mbsync(t):
    d = os.path.join(RUN, "work", "mbsync")
    os.makedirs(d, exist_ok=True)
    conf = os.path.join(RUN, "work", "mbsyncrc")
    with open(conf, "w") as f:
        f.write(f"""IMAPAccount carol
Host {HOST}
Port {PORT}
User {USER}
Pass {PASSWORD}
SSLType None
AuthMechs LOGIN

IMAPStore remote
Account carol

MaildirStore local
Path {d}/
Inbox {d}/INBOX
SubFolders Verbatim

Channel carol
Far :remote:
Near :local:
Patterns *
Create Near
Sync Pull
SyncState *
""")
    res = subprocess.run([MBSYNC, "-c", conf, "-a"], capture_output=True, text=True, timeout=60)
    t.expect["mbsync_stdout"] = res.stdout.strip().splitlines()
    if res.returncode != 0:
        raise SystemExit(f"mbsync failed {res.returncode}: {res.stderr}")
    # what it stored: LF line endings plus an X-TUID header; map back to the
    # wire bytes the server sent (whole message, BODY.PEEK[])
    stored = {}
    for root, dirs, files in os.walk(d):
        for fn in files:
            if os.path.basename(root) not in ("cur", "new"):
                continue
            rel = os.path.relpath(os.path.dirname(root), d)
            box = "INBOX" if rel == "INBOX" else rel
            with open(os.path.join(root, fn), "rb") as fh:
                data = fh.read()
            data = re.sub(rb"^X-TUID: [^\n]*\n", b"", data, flags=re.M).replace(b"\n", b"\r\n")
            stored.setdefault(box, []).append(data)
    for box, msgs in mailboxes().items():
        seqs = {uid: i for i, (uid, _) in enumerate(msgs, 1)}
        got = stored.get(box, [])
        if len(got) != len(msgs):
            raise SystemExit(f"mbsync stored {len(got)} of {len(msgs)} messages of {box}")
        for data in got:
            uid = t.find_uid(box, data)
            if uid is None:
                raise SystemExit(f"mbsync stored an unknown message in {box}")
            t.messages.append({"client_port": None, "command": "UID FETCH", "section": "BODY[]",
                               "mailbox": box, "uid": uid, "seq": seqs[uid], "size": len(data),
                               "sha256": hashlib.sha256(data).hexdigest()})
    t.messages.sort(key=lambda m: (list(FOLDER_UIDVALIDITY).index(m["mailbox"]), m["uid"]))
    t.expect["note"] = ("client_port filled in from the capture; sha256 is of the message as the "
                        "server sent it (mbsync stores LF and adds X-TUID)")
    t.expect["connections"] = 1


CURL = "/usr/bin/curl"


def curl_imap(url, outfile, *extra):
    """One curl 7.88 connection (AUTHENTICATE, CRAM-MD5 unless --login-options
    says otherwise); returns its local port.  -o gets what curl writes: the
    untagged responses for LIST/SEARCH/custom commands, the literal for a
    FETCH."""
    res = subprocess.run(
        [CURL, "-sS", "--max-time", str(TIMEOUT), "-u", f"{USER}:{PASSWORD}", *extra,
         "-o", outfile, "-w", "%{local_port}", url],
        check=True, capture_output=True, text=True)
    return int(res.stdout.strip())


def sc_imap_curl(t):
    """curl 7.88 URLs, one connection each.  For the fetches the -o file is
    checked against the seeded message here; after the capture `wire`
    compares it with the literal's bytes in the capture itself."""
    work = os.path.join(RUN, "work")
    conns = []

    def text_of(path):
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace").splitlines()

    out = os.path.join(work, "curl-list.out")
    conns.append({"url": f"imap://{HOST}/", "client_port": curl_imap(f"imap://{HOST}/", out),
                  "auth": "CRAM-MD5", "commands": ['LIST "" *']})
    t.expect["list"] = text_of(out)

    out = os.path.join(work, "curl-search.out")
    url = f"imap://{HOST}/INBOX?ALL"
    conns.append({"url": url, "client_port": curl_imap(url, out), "auth": "CRAM-MD5",
                  "commands": ["SELECT INBOX", "SEARCH ALL"]})
    t.expect["search_all"] = text_of(out)

    out = os.path.join(work, "curl-examine.out")
    url = f"imap://{HOST}/"
    conns.append({"url": url + " -X 'EXAMINE INBOX'",
                  "client_port": curl_imap(url, out, "-X", "EXAMINE INBOX"), "auth": "CRAM-MD5",
                  "commands": ["EXAMINE INBOX"]})
    t.expect["examine"] = text_of(out)

    fetches = [  # (URL path, extra curl options, section, uid)
        ("INBOX;UID=101", [], "BODY[]", 101),
        ("INBOX;UID=102/;SECTION=1", ["--login-options", "AUTH=PLAIN"], "BODY[1]", 102),
        ("INBOX;UID=118/;SECTION=HEADER", [], "BODY[HEADER]", 118),
    ]
    for i, (path, extra, section, uid) in enumerate(fetches, 1):
        out = os.path.join(work, f"curl-fetch{i}.out")
        url = f"imap://{HOST}/{path}"
        port = curl_imap(url, out, *extra)
        conns.append({"url": url + ("" if not extra else " " + " ".join(extra)), "client_port": port,
                      "auth": "PLAIN" if extra else "CRAM-MD5",
                      "commands": ["SELECT INBOX", f"UID FETCH {uid} {section}"],
                      "output": os.path.basename(out)})
        with open(out, "rb") as f:
            data = f.read()
        want, _ = expected_section(t.boxes["INBOX"][uid], section)
        # provisional: the -o file; `wire` checks the capture's literal
        # against the seeded message, takes seq from the FETCH response and
        # replaces size/sha256 with the literal's if curl's file differs
        t.messages.append({"client_port": port, "command": "UID FETCH", "section": section,
                           "mailbox": "INBOX", "uid": uid, "seq": None, "size": len(data),
                           "sha256": hashlib.sha256(data).hexdigest()})
        if data != want:
            sys.stderr.write(f"curl -o {path}: {len(data)} bytes, the seeded {section} has {len(want)}\n")
    t.expect["curl"] = conns
    t.expect["connections"] = len(conns)


SCENARIOS = {
    "imap-basic": sc_imap_basic,
    "imap-mailboxes": sc_imap_mailboxes,
    "imap-append": sc_imap_append,
    "imap-idle": sc_imap_idle,
    "imap-starttls": sc_imap_starttls,
    "imap-authenticate": sc_imap_authenticate,
    "imap-partial": sc_imap_partial,
    "imap-mbsync": sc_imap_mbsync,
    "imap-compress": sc_imap_compress,
    "imap-curl": sc_imap_curl,
}


# --------------------------------------------------------------------------
# Client ports from a capture (mbsync does not tell its port)
# --------------------------------------------------------------------------

def syn_ports(pcap, server_port):
    ports = []
    with open(pcap, "rb") as f:
        gh = f.read(24)
        endian = "<" if gh[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        linktype = struct.unpack(endian + "I", gh[20:24])[0]
        while True:
            ph = f.read(16)
            if len(ph) < 16:
                break
            incl = struct.unpack(endian + "IIII", ph)[2]
            pkt = f.read(incl)
            off = 14 if linktype == 1 else 0
            ip = pkt[off:]
            if ip[0] >> 4 != 4 or ip[9] != 6:
                continue
            tcp = ip[(ip[0] & 15) * 4:]
            sport, dport = struct.unpack("!HH", tcp[:4])
            flags = tcp[13]
            if flags & 0x02 and not flags & 0x10 and dport == server_port:
                ports.append(sport)
    return ports


def server_streams(pcap, server_port):
    """Reassembled server-to-client bytes per client port (IPv4/TCP in an
    Ethernet or raw capture), placed by sequence number so that a
    retransmission cannot duplicate data; a hole makes it fail."""
    segs, isn = {}, {}
    with open(pcap, "rb") as f:
        gh = f.read(24)
        endian = "<" if gh[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        linktype = struct.unpack(endian + "I", gh[20:24])[0]
        while True:
            ph = f.read(16)
            if len(ph) < 16:
                break
            incl = struct.unpack(endian + "IIII", ph)[2]
            pkt = f.read(incl)
            ip = pkt[14 if linktype == 1 else 0:]
            if ip[0] >> 4 != 4 or ip[9] != 6:
                continue
            ip = ip[:struct.unpack("!H", ip[2:4])[0]]
            tcp = ip[(ip[0] & 15) * 4:]
            sport, dport, seq = struct.unpack("!HHI", tcp[:8])
            if sport != server_port:
                continue
            if tcp[13] & 0x02:
                isn[dport] = seq
            payload = tcp[(tcp[12] >> 4) * 4:]
            if payload:
                segs.setdefault(dport, []).append((seq, payload))
    out = {}
    for port, lst in segs.items():
        buf = bytearray()
        for seq, payload in sorted(lst, key=lambda x: (x[0] - isn[port] - 1) % 2**32):
            off = (seq - isn[port] - 1) % 2**32
            if off > len(buf):
                raise SystemExit(f"port {port}: hole in the server's stream at {len(buf)}")
            buf[off:off + len(payload)] = payload
        out[port] = bytes(buf)
    return out


FETCH_LITERAL = re.compile(rb"\* (\d+) FETCH \(([^{\r\n]*?)(BODY\[[^\]]*\](?:<\d+>)?) \{(\d+)\}\r\n")


def wire_truth(name, truth_path, pcap):
    """Check each fetched literal in the capture against the truth written
    from curl's -o file, and take the sequence number from the response."""
    with open(truth_path) as f:
        truth = json.load(f)
    streams = server_streams(pcap, PORT)
    boxes = Truth().boxes
    for m in truth["messages"]:
        s = streams.get(m["client_port"])
        if s is None:
            raise SystemExit(f"{name}: no server data for client port {m['client_port']}")
        lits = []
        for mm in FETCH_LITERAL.finditer(s):
            n = int(mm.group(4))
            mu = re.search(rb"UID (\d+)", mm.group(2))
            lits.append((int(mm.group(1)), int(mu.group(1)) if mu else None, mm.group(3).decode(),
                         s[mm.end():mm.end() + n]))
        if len(lits) != 1:
            raise SystemExit(f"{name}: port {m['client_port']}: {len(lits)} FETCH literals")
        seq, uid, section, lit = lits[0]
        if (uid, section) != (m["uid"], m["section"]):
            raise SystemExit(f"{name}: wire has UID {uid} {section}, truth {m['uid']} {m['section']}")
        want, _ = expected_section(boxes[m["mailbox"]][uid], section)
        if lit != want:
            raise SystemExit(f"{name}: UID {uid} {section}: the literal ({len(lit)}) is not the "
                             f"seeded one ({len(want)})")
        m["seq"] = seq
        equal = (len(lit), hashlib.sha256(lit).hexdigest()) == (m["size"], m["sha256"])
        m["curl_output_equals_literal"] = equal
        if not equal:
            # the literal as on the wire is the truth; say what curl saved
            m["curl_output"] = {"size": m["size"], "sha256": m["sha256"]}
            m["size"], m["sha256"] = len(lit), hashlib.sha256(lit).hexdigest()
    truth["expect"]["note"] = (
        "size/sha256: the literal's bytes in the capture (server stream reassembled by sequence "
        "number, the {n} octets after the FETCH line), checked against the seeded message; "
        "curl_output_equals_literal: whether curl's -o file was byte-identical to it; seq from "
        "the FETCH response")
    with open(truth_path, "w") as f:
        json.dump(truth, f, indent=2, ensure_ascii=False)
        f.write("\n")


def main(argv):
    global RUN
    if len(argv) == 2 and argv[0] == "seed":
        seed(argv[1])
        return 0
    if len(argv) == 4 and argv[0] == "run":
        name, truth_path, RUN = argv[1], argv[2], argv[3]
        t = Truth()
        if name == "imap-starttls":
            SCENARIOS[name](t, os.path.join(RUN, "work", name + ".keylog"))
        else:
            SCENARIOS[name](t)
        t.write(truth_path)
        return 0
    if len(argv) == 4 and argv[0] == "ports":
        name, truth_path, pcap = argv[1:]
        with open(truth_path) as f:
            truth = json.load(f)
        ports = syn_ports(pcap, PORT)
        if len(ports) != 1:
            raise SystemExit(f"{name}: {len(ports)} connections to {PORT}")
        for m in truth["messages"]:
            if m["client_port"] is None:
                m["client_port"] = ports[0]
        with open(truth_path, "w") as f:
            json.dump(truth, f, indent=2, ensure_ascii=False)
            f.write("\n")
        return 0
    if len(argv) == 4 and argv[0] == "wire":
        wire_truth(*argv[1:])
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
