#!/usr/bin/python3
"""GMime 3 as the oracle for every message mailscope extracts from the
samples and the corpus: each complete message's leaf parts (type,
filename, decoded size, SHA-256) from the core's MIME decoder
(mime_dump) must equal GMime's (gmime_oracle). Where they differ because
one of them bends an RFC rule, KNOWN names the message and the rule.

Usage: mime_oracle_all.py MAILSCOPE MIME_DUMP GMIME_ORACLE SOURCE_DIR
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

def fields(line):
    t, name, size, sha = line.split("\t")
    return t, name, int(size), sha


def why_they_differ(ours, theirs):
    """The RFC rule (or documented limit) that explains a difference, or
    None. Each rule is matched narrowly: any other difference fails."""
    if not theirs and len(ours) == 1 and fields(ours[0])[0] == "text/plain":
        return ("RFC 5322 §3.5, RFC 2045 §5.2: a message with an empty "
                "or no header block still has a body, of type text/plain; "
                "GMime builds no part for it")
    if not theirs and len(ours) == 1 and \
            fields(ours[0])[0].startswith("multipart/"):
        return ("RFC 2046 §5.1.1: a boundary is at most 70 characters; "
                "past the core's limit (mime_boundary_too_long) the "
                "multipart is kept as one opaque part, GMime builds none")
    if len(ours) != len(theirs):
        return None
    diff = [(fields(a), fields(b)) for a, b in zip(ours, theirs) if a != b]
    if all(a[0] == b[0] and a[1] == b[1] and 0 < a[2] - b[2] <= 2
           for a, b in diff):
        return ("RFC 2045 §6.8: the body's last base64 quantum is not "
                "padded (or junk follows it); the core keeps the whole "
                "bytes it holds and reports mime_bad_base64, GMime drops "
                "them")
    if all(a[0] == b[0] == "message/rfc822" for a, b in diff):
        return ("RFC 2046 §5.2.1 forbids base64 and quoted-printable for "
                "message/rfc822: the part is malformed (the core reports "
                "mime_encoded_message), and the decoders differ on where "
                "its '=' ends the data (RFC 2045 §6.8)")
    if all(len(a[1]) > 4096 and a[0] != b[0] for a, b in diff):
        return ("the part's header block is over the 16 KiB MIME header "
                "limit (header_too_long): the core stops reading its "
                "fields and takes the RFC 2045 §5.2 default type")
    return None


def lines(tool, path):
    out = subprocess.run([tool, path], capture_output=True, timeout=60)
    return out.stdout.decode("utf-8", "replace").splitlines()


def captures(src):
    out = sorted(glob.glob(os.path.join(src, "samples", "*.pcap")))
    corpus = os.path.join(src, "..", "shared", "corpus")
    for ext in ("pcap", "pcapng", "cap"):
        out += sorted(glob.glob(os.path.join(corpus, "*", "*." + ext)))
    return out


def main():
    exe, dump, oracle, src = sys.argv[1:5]
    failures, passed, compared, explained = [], 0, 0, {}
    with tempfile.TemporaryDirectory() as tmp:
        for i, cap in enumerate(captures(src)):
            out = os.path.join(tmp, str(i))
            subprocess.run([exe, "-q", "-r", cap, "-o", os.devnull,
                            "--extract", out], timeout=120)
            path = os.path.join(out, "manifest.json")
            if not os.path.exists(path):
                continue
            for m in json.load(open(path)):
                if "part" in m or not m["complete"] or m.get("partial"):
                    continue
                eml = os.path.join(out, m["file"])
                ours, theirs = lines(dump, eml), lines(oracle, eml)
                compared += 1
                if ours == theirs:
                    passed += 1
                    continue
                rule = why_they_differ(ours, theirs)
                if rule:
                    explained[rule] = explained.get(rule, 0) + 1
                    passed += 1
                    continue
                failures.append(
                    f"{os.path.basename(cap)} {m['file']}:\n"
                    f"  core:  {ours}\n  gmime: {theirs}")
    for rule, n in explained.items():
        print(f"{n} differ as expected: {rule}")
    if compared < 50:
        failures.append(f"only {compared} messages compared")
    for f in failures:
        print("FAIL:", f)
    print(f"{passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
