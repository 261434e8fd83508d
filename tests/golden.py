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


def check_truth(name, events, truth):
    msgs = [e for e in events if e["event"] == "message"]
    ports = {}
    for e in events:
        if e["event"] == "session_start":
            ports[e["session"]] = e["client"]["port"]
    seen = {(ports[m["session"]], m["via"], m.get("number")): m for m in msgs}
    problems = []
    for t in truth.get("messages", []):
        key = (t["client_port"], t["command"], t["number"])
        m = seen.get(key)
        if m is None:
            problems.append(f"{name}: message {key} not reported")
            continue
        if (m["size"], m["sha256"]) != (t["size"], t["sha256"]):
            problems.append(f"{name}: message {key}: {m['size']} "
                            f"{m['sha256']} != client's {t['size']} "
                            f"{t['sha256']}")
        if not m["complete"]:
            problems.append(f"{name}: message {key} not complete")
    expect = truth.get("expect", {})
    starts = [e for e in events if e["event"] == "session_start"]
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
    if len(msgs) != len(truth.get("messages", [])):
        problems.append(f"{name}: {len(msgs)} messages reported, client "
                        f"received {len(truth.get('messages', []))}")
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
    print(f"golden: {count} samples, {len(problems)} problems")
    print(f"{count - len({p.split(':')[0] for p in problems})} passed, "
          f"{len({p.split(':')[0] for p in problems})} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
