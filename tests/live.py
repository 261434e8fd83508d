#!/usr/bin/python3
"""Live capture, end to end: mailscope -i lo inside a network namespace
made for this test (only lo inside, nothing can leave the machine), while
a scripted POP3 server and client talk on 127.0.0.1:110 there. Stops only
the processes it started, by PID, and removes the namespace even when a
check fails.

Usage: live.py MAILSCOPE
"""
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

EXE = sys.argv[1]
NS = f"ms-live-{os.getpid()}"
MESSAGE = (b"From: Bob <bob@example.test>\r\nTo: alice@example.test\r\n"
           b"Subject: live\r\n\r\nHello from a live capture.\r\n"
           b"..a stuffed line\r\n")

# The server and the client in one Python process inside the namespace.
DIALOGUE = r'''
import socket, threading
msg = %r
wire = msg.replace(b"\r\n.", b"\r\n..")
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 110)); srv.listen(1)
def serve():
    c, _ = srv.accept(); f = c.makefile("rb")
    c.sendall(b"+OK ready\r\n")
    for line in f:
        v = line.split()[0].upper()
        if v == b"RETR":
            c.sendall(b"+OK %%d octets\r\n" %% len(msg) + wire + b".\r\n")
        elif v == b"QUIT":
            c.sendall(b"+OK bye\r\n"); break
        else:
            c.sendall(b"+OK\r\n")
    c.close()
t = threading.Thread(target=serve); t.start()
s = socket.create_connection(("127.0.0.1", 110)); f = s.makefile("rb")
f.readline()
for cmd in (b"USER alice", b"PASS secret", b"RETR 1", b"QUIT"):
    s.sendall(cmd + b"\r\n")
    line = f.readline()
    if cmd.startswith(b"RETR"):
        while f.readline() != b".\r\n":
            pass
s.close(); t.join()
''' % MESSAGE


def sh(*args):
    subprocess.run(args, check=True, capture_output=True, timeout=30)


def main():
    if os.geteuid() != 0:
        print("live: needs root for a network namespace\n"
              "0 passed, 0 failed, 1 skipped")
        return 0
    failures, passed = [], 0
    proc = None
    tmp = tempfile.mkdtemp()
    out = os.path.join(tmp, "live.ndjson")
    sh("ip", "netns", "add", NS)
    try:
        sh("ip", "netns", "exec", NS, "ip", "link", "set", "lo", "up")
        links = subprocess.run(["ip", "netns", "exec", NS, "ip", "-o",
                                "link", "show"], capture_output=True,
                               text=True).stdout.splitlines()
        assert len(links) == 1 and ": lo:" in links[0], links
        proc = subprocess.Popen(["ip", "netns", "exec", NS, EXE, "-i", "lo",
                                 "-o", out, "tcp", "port", "110"],
                                stderr=subprocess.PIPE, text=True)
        banner = proc.stderr.readline()
        if "listening on lo" not in banner:
            failures.append(f"no listening notice: {banner!r}")
        time.sleep(0.3)
        subprocess.run(["ip", "netns", "exec", NS, "/usr/bin/python3", "-c",
                        DIALOGUE], check=True, timeout=30)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        rc = proc.wait(timeout=15)
        if rc != 0:
            failures.append(f"exit status {rc}: {proc.stderr.read()!r}")
        events = [json.loads(l) for l in open(out)]
        kinds = [e["event"] for e in events]
        msgs = [e for e in events if e["event"] == "message"]
        checks = {
            "session seen": kinds.count("session_start") == 1,
            "login seen": any(e["event"] == "auth" and e["user"] == "alice"
                              and e["success"] for e in events),
            "message hash": len(msgs) == 1 and msgs[0]["sha256"] ==
            hashlib.sha256(MESSAGE).hexdigest() and msgs[0]["complete"],
            "session ended by quit": any(e["event"] == "session_end" and
                                         e["reason"] == "quit"
                                         for e in events),
            "live stats": kinds[-1] == "stats" and
            events[-1].get("pcap_received", 0) > 0,
        }
        for name, ok in checks.items():
            if ok:
                passed += 1
            else:
                failures.append(f"{name}: {kinds}")
    finally:
        if proc and proc.poll() is None:
            proc.kill()
            proc.wait()
        pids = subprocess.run(["ip", "netns", "pids", NS],
                              capture_output=True, text=True).stdout.split()
        for pid in pids:  # only ours can be in a namespace we made
            os.kill(int(pid), signal.SIGKILL)
        subprocess.run(["ip", "netns", "del", NS])
        for f in os.listdir(tmp):
            os.unlink(os.path.join(tmp, f))
        os.rmdir(tmp)
    for f in failures:
        print("FAIL:", f)
    print(f"{passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
