#!/usr/bin/python3
"""Writes a large synthetic capture for the benchmark: many POP3 and SMTP
sessions, each carrying messages with a base64 attachment, as 1448-byte
segments on Ethernet/IPv4 (checksums left 0: mailscope does not verify
them, as captures from the sending host have them wrong anyway).

Usage: gen.py OUT.pcap [MEGABYTES]   (default 200)
"""
import base64
import random
import struct
import sys

MSS = 1448


class Writer:
    def __init__(self, path):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0,
                                 262144, 1))
        self.t = 1700000000.0
        self.bytes = 0

    def packet(self, src, dst, sport, dport, seq, ack, flags, data=b""):
        tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xffffffff,
                          ack & 0xffffffff, 5 << 4, flags, 65535, 0, 0)
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) +
                         len(data), 0, 0x4000, 64, 6, 0, src, dst)
        frame = b"\0\1\2\3\4\5\6\7\x08\x09\x0a\x0b\x08\x00" + ip + tcp + data
        self.t += 0.0001
        sec = int(self.t)
        self.f.write(struct.pack("<IIII", sec, int((self.t - sec) * 1e6),
                                 len(frame), len(frame)))
        self.f.write(frame)
        self.bytes += len(frame) + 16


def session(w, n, port, turns):
    c = bytes([10, 1, (n >> 8) & 255, n & 255])
    s = bytes([10, 2, 0, 1])
    cp = 1024 + n % 60000
    seq = {0: 1000, 1: 900000}
    w.packet(c, s, cp, port, seq[0], 0, 0x02)
    w.packet(s, c, port, cp, seq[1], seq[0] + 1, 0x12)
    seq[0] += 1
    seq[1] += 1
    for side, data in turns:
        src, dst, sp, dp = (c, s, cp, port) if side == 0 else \
            (s, c, port, cp)
        for i in range(0, len(data), MSS):
            piece = data[i:i + MSS]
            w.packet(src, dst, sp, dp, seq[side], seq[1 - side], 0x18,
                     piece)
            seq[side] += len(piece)
    w.packet(c, s, cp, port, seq[0], seq[1], 0x11)
    w.packet(s, c, port, cp, seq[1], seq[0] + 1, 0x11)


def message(rng, n):
    body = base64.encodebytes(rng.randbytes(rng.randint(2000, 150000)))
    text = b"".join(b"Line %d of the message text.\r\n" % i
                    for i in range(rng.randint(5, 200)))
    return (b"From: Sender %d <s%d@example.test>\r\nTo: r@example.test\r\n"
            b"Subject: =?UTF-8?B?QmVuY2ggw7w=?= %d\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=BB\r\n\r\n--BB\r\n"
            b"Content-Type: text/plain\r\n\r\n" % (n, n, n) + text +
            b"--BB\r\nContent-Type: application/octet-stream\r\n"
            b"Content-Disposition: attachment; filename=\"d%d.bin\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" % n +
            body.replace(b"\n", b"\r\n") + b"--BB--\r\n")


def pop3(rng, n):
    turns = [(1, b"+OK ready\r\n"), (0, b"USER u%d\r\n" % n), (1, b"+OK\r\n"),
             (0, b"PASS secret\r\n"), (1, b"+OK Logged in.\r\n")]
    for i in range(1, rng.randint(1, 3) + 1):
        m = message(rng, n)
        turns += [(0, b"RETR %d\r\n" % i),
                  (1, b"+OK %d octets\r\n" % len(m) + m + b".\r\n")]
    return turns + [(0, b"QUIT\r\n"), (1, b"+OK bye\r\n")]


def smtp(rng, n):
    turns = [(1, b"220 mx ESMTP\r\n"), (0, b"EHLO c\r\n"),
             (1, b"250-mx\r\n250 PIPELINING\r\n")]
    for _ in range(rng.randint(1, 3)):
        m = message(rng, n)
        turns += [(0, b"MAIL FROM:<s%d@example.test>\r\nRCPT TO:<r@example."
                   b"test>\r\nDATA\r\n" % n),
                  (1, b"250 Ok\r\n250 Ok\r\n354 go\r\n"), (0, m + b".\r\n"),
                  (1, b"250 Ok: queued as Q%d\r\n" % n)]
    return turns + [(0, b"QUIT\r\n"), (1, b"221 Bye\r\n")]


def main():
    out = sys.argv[1]
    limit = float(sys.argv[2] if len(sys.argv) > 2 else 200) * 1e6
    rng = random.Random(1)
    w = Writer(out)
    n = 0
    while w.bytes < limit:
        n += 1
        if n % 2:
            session(w, n, 110, pop3(rng, n))
        else:
            session(w, n, 25, smtp(rng, n))
    print(f"{out}: {w.bytes / 1e6:.0f} MB, {n} sessions")


if __name__ == "__main__":
    main()
