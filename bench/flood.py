#!/usr/bin/python3
"""Captures that attack memory, for measuring it (bench/, not a test).

  flood.py syn OUT N       N SYNs from spoofed sources to port 25
  flood.py open OUT N      N connections to port 110 that each carry a
                           greeting and a command, and never close
"""
import struct
import sys


def writer(path):
    f = open(path, "wb")
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    return f


def packet(f, i, src, dst, sport, dport, seq, ack, flags, data=b""):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags,
                      65535, 0, 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40 + len(data), 0, 0x4000,
                     64, 6, 0, src, dst)
    frame = b"\0" * 12 + b"\x08\x00" + ip + tcp + data
    f.write(struct.pack("<IIII", 1700000000 + i // 100000, i % 100000 * 10,
                        len(frame), len(frame)) + frame)


def main():
    kind, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    f = writer(out)
    dst = bytes([10, 0, 0, 1])
    for i in range(n):
        src = struct.pack("!I", 0x0b000000 + i)
        if kind == "syn":
            packet(f, i, src, dst, 1024 + i % 60000, 25, i, 0, 0x02)
        else:
            packet(f, 3 * i, src, dst, 40000, 110, 1000, 0, 0x02)
            packet(f, 3 * i + 1, dst, src, 110, 40000, 5000, 1001, 0x12,
                   b"+OK ready\r\n")
            packet(f, 3 * i + 2, src, dst, 40000, 110, 1001, 5012, 0x18,
                   b"USER someone\r\n")


if __name__ == "__main__":
    main()
