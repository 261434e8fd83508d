#!/usr/bin/python3
"""Hostile input: the samples with random bytes overwritten (headers,
payloads, lengths alike), run through the whole command with every
output on. Any exit but 0/1, a sanitizer report or a hang fails. The
seed is fixed, so a failure reproduces; in the ASan+UBSan build this is
where memory errors show.

Usage: mutate.py MAILSCOPE SAMPLES_DIR [RUNS]
"""
import glob
import os
import random
import shutil
import subprocess
import sys
import tempfile


def main():
    exe, samples = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 80
    rng = random.Random(7)
    files = sorted(f for f in glob.glob(os.path.join(samples, "*.pcap"))
                   if os.path.getsize(f) < 200000)
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        pcap = os.path.join(tmp, "m.pcap")
        for n in range(runs):
            src = rng.choice(files)
            data = bytearray(open(src, "rb").read())
            for _ in range(rng.randint(1, 300)):
                data[rng.randrange(24, len(data))] = rng.randrange(256)
            open(pcap, "wb").write(data)
            out = os.path.join(tmp, "x")
            p = subprocess.run([exe, "-q", "-r", pcap, "-o", os.devnull,
                                "--transcript", "--summary=stdout",
                                "--extract", out],
                               capture_output=True, timeout=60)
            shutil.rmtree(out, ignore_errors=True)
            err = p.stderr.decode(errors="replace")
            if p.returncode not in (0, 1) or "Sanitizer" in err or \
                    "runtime error" in err:
                failures.append(f"run {n} ({os.path.basename(src)}): "
                                f"exit {p.returncode}: {err[-300:]}")
    for f in failures:
        print("FAIL:", f)
    print(f"{runs - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
