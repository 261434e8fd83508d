#!/usr/bin/env python3
"""Compares ms_mime (mime_dump) with GMime 3 (gmime_oracle) over .eml files.

usage: mime_oracle.py MIME_DUMP GMIME_ORACLE DIR

Both print one line per leaf part: type/subtype, filename, decoded size,
SHA-256. Every message must give identical lines, except the messages in
DIFFERS, where the RFC decides for ms_mime; for those the lines must
differ exactly on the listed part, so a change on either side shows.
"""
import pathlib
import subprocess
import sys

# message -> (0-based part index that differs, the rule that decides)
DIFFERS = {
    "base64-junk.eml": (
        1,
        "RFC 2045 §6.8: a body ending in an unpadded quantum is malformed; "
        "ms_mime decodes the whole bytes it holds and reports "
        "mime_bad_base64, GMime drops them",
    ),
    "qp-trailing-space.eml": (
        0,
        "RFC 2045 §6.7 rule (3): trailing white space on a line is deleted "
        "when decoding, and '=' followed by white space is a soft line "
        "break; GMime keeps the white space",
    ),
}


def parts(tool, path):
    out = subprocess.run([tool, str(path)], capture_output=True, check=True)
    return out.stdout.decode("utf-8", "replace").splitlines()


def main():
    dump, oracle, folder = sys.argv[1:4]
    failed = 0
    for path in sorted(pathlib.Path(folder).glob("*.eml")):
        ours, ref = parts(dump, path), parts(oracle, path)
        expect = DIFFERS.get(path.name)
        if expect is None:
            ok = ours == ref
            verdict = "agree" if ok else "DISAGREE"
        else:
            idx, rule = expect
            diff = [i for i in range(max(len(ours), len(ref)))
                    if i >= len(ours) or i >= len(ref) or ours[i] != ref[i]]
            ok = diff == [idx]
            verdict = ("differ as documented (%s)" % rule if ok
                       else "UNEXPECTED: parts %s differ" % diff)
        print("%-28s %s" % (path.name, verdict))
        if not ok:
            failed += 1
            print("  ms_mime:", *ours, sep="\n    ")
            print("  gmime:  ", *ref, sep="\n    ")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
