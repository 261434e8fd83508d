#!/usr/bin/python3
"""What a user sees from the mailscope command: errors, warnings, options.

Usage: cli.py MAILSCOPE SOURCE_DIR
"""
import json
import os
import re
import subprocess
import sys
import tempfile

EXE, SRC = sys.argv[1], sys.argv[2]
BASIC = os.path.join(SRC, "samples", "pop3-basic.pcap")
failures = []
passed = 0


def run(*args, stdin=None):
    return subprocess.run([EXE, *args], capture_output=True, timeout=60,
                          input=stdin)


def check(name, cond, detail=""):
    global passed
    if cond:
        passed += 1
    else:
        failures.append(f"{name}: {detail}")


def events(out):
    return [json.loads(l) for l in out.splitlines()]


def test_missing_file():
    p = run("-r", "missing.pcap")
    err = p.stderr.decode()
    check("missing file exit", p.returncode == 1, p.returncode)
    check("missing file one line", err.count("\n") == 1, repr(err))
    check("missing file says why",
          "missing.pcap" in err and "No such file" in err, repr(err))
    check("missing file no stdout", p.stdout == b"", p.stdout[:100])


def test_truncated_file(tmp):
    data = open(BASIC, "rb").read()
    cut = os.path.join(tmp, "cut.pcap")
    # 24-byte header; cut 10 bytes into the record that starts at 2/3
    recs, off = [], 24
    while off < len(data):
        recs.append(off)
        off += 16 + int.from_bytes(data[off + 8:off + 12], "little")
    cut_at = recs[2 * len(recs) // 3] + 16 + 10
    open(cut, "wb").write(data[:cut_at])
    p = run("-r", cut)
    err = p.stderr.decode()
    check("truncated exit 0", p.returncode == 0, p.returncode)
    check("truncated one warning line",
          err.count("\n") == 1 and "warning" in err and "truncated" in err,
          repr(err))
    ev = events(p.stdout)
    ends = [e for e in ev if e["event"] == "session_end"]
    check("truncated analysed up to the cut",
          len(ends) == 1 and ends[0]["reason"] == "end_of_capture" and
          ev[-1]["event"] == "stats" and
          any(e["event"] == "message" for e in ev), [e["event"] for e in ev])
    check("truncated quiet", run("-q", "-r", cut).stderr == b"")


def test_help_documents_every_option():
    p = run("--help")
    text = p.stdout.decode()
    check("help exit 0", p.returncode == 0)
    src = open(os.path.join(SRC, "cli", "options.c")).read()
    names = re.findall(r'\{"([a-z0-9-]+)", (?:no|required)_argument', src)
    check("help: options found in source", len(names) > 20, names)
    for n in names:
        check(f"help documents --{n}", f"--{n}" in text)


def test_usage_errors():
    for args in (["--no-such-option"], [], ["-r", BASIC, "-i", "lo"],
                 ["-r", BASIC, "--max-flows", "0"],
                 ["-r", BASIC, "--max-line", "abc"],
                 ["-r", BASIC, "--port", "ftp:21"],
                 ["-r", BASIC, "--transcript", "-o", "-"]):
        p = run(*args)
        check(f"usage error {args}",
              p.returncode == 2 and p.stderr.decode().count("\n") == 1 and
              p.stdout == b"", (p.returncode, p.stderr))


def test_outputs(tmp):
    out = os.path.join(tmp, "ev.ndjson")
    p = run("-r", BASIC, "-o", out, "--transcript", "--color", "never")
    check("-o and --transcript", p.returncode == 0 and
          p.stdout.startswith(b"== session 1 pop3") and
          events(open(out, "rb").read())[0]["event"] == "session_start",
          p.stdout[:80])
    p = run("-r", BASIC, "--stats")
    check("--stats on stderr", b'"packets":36' in p.stderr.replace(b" ", b""),
          p.stderr[:200])
    p = run("-r", "-", stdin=open(BASIC, "rb").read())
    check("stdin", p.returncode == 0 and
          events(p.stdout) == events(run("-r", BASIC).stdout))
    p = run("-r", BASIC, "tcp", "port", "9999")
    ev = events(p.stdout)
    check("BPF filter words", p.returncode == 0 and len(ev) == 1 and
          ev[0]["event"] == "stats" and ev[0]["packets"] == 0, ev)
    p = run("-r", BASIC, "--show-credentials")
    auth = [e for e in events(p.stdout) if e["event"] == "auth"][0]
    check("--show-credentials", auth.get("password") == "alice-secret", auth)
    check("credentials hidden by default",
          b"alice-secret" not in run("-r", BASIC).stdout and
          b"alice-secret" not in run("-r", BASIC, "-t").stdout)
    p = run("-r", BASIC, "-o", os.path.join(tmp, "no", "such", "dir"))
    check("unwritable output", p.returncode == 1 and
          p.stderr.decode().count("\n") == 1, p.stderr)
    p = run("-r", BASIC, "--port", "pop3:9999")
    check("--port", p.returncode == 0 and
          events(p.stdout)[0]["event"] == "session_start")


def test_summary_and_several_files(tmp):
    other = os.path.join(SRC, "samples", "pop3-apop.pcap")
    p = run("-r", BASIC, "-r", other, "-o", os.devnull, "--summary")
    out = p.stdout.decode()
    check("two files, one summary", p.returncode == 0 and
          "2 sessions, 3 messages" in out and "(APOP)" in out and
          "(USER)" in out, out)
    p = run("-r", BASIC, "--summary")
    check("summary beside JSON goes to stderr",
          b"mailscope summary" in p.stderr and
          all(l.startswith(b"{") for l in p.stdout.splitlines()),
          p.stderr[:100])
    p = run("-r", BASIC, "-r", "missing.pcap")
    check("a missing second file", p.returncode == 1 and
          b"missing.pcap" in p.stderr and
          events(p.stdout)[-1]["event"] == "stats", p.stderr)
    p = run("-r", BASIC, "--summary=nowhere")
    check("bad --summary", p.returncode == 2, p.returncode)


def test_findings_on_odd_traffic():
    """Behaviours no sample exercises: captures of one side, a full flow
    table, an attached message hidden behind base64."""
    corpus = os.path.join(SRC, "..", "shared", "corpus")
    one = os.path.join(corpus, "zeek", "smtp-one-side-only.pcap")
    if os.path.exists(one):
        ends = [e for e in events(run("-r", one).stdout)
                if e["event"] == "session_end"]
        check("one_sided", ends and
              all(e.get("one_sided") == "to_server" for e in ends), ends)
    ev = events(run("-r", os.path.join(SRC, "samples", "smtp-helo.pcap"),
                    "--max-flows", "1").stdout)
    evicted = [e for e in ev if e["event"] == "session_end" and
               e["reason"] == "evicted"]
    flagged = {e["session"] for e in ev if e["event"] == "anomaly" and
               e["code"] == "limit_flows"}
    check("eviction is an anomaly of the evicted session", evicted and
          {e["session"] for e in evicted} == flagged, (evicted, flagged))
    encap = os.path.join(corpus, "suricata-verify",
                         "mime__smtp-mime-encap-8649-combined.pcap")
    if os.path.exists(encap):
        codes = [e["code"] for e in events(run("-r", encap).stdout)
                 if e["event"] == "anomaly"]
        check("base64 message/rfc822 flagged",
              "mime_encoded_message" in codes, codes)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        test_missing_file()
        test_truncated_file(tmp)
        test_help_documents_every_option()
        test_usage_errors()
        test_outputs(tmp)
        test_summary_and_several_files(tmp)
        test_findings_on_odd_traffic()
    for f in failures:
        print("FAIL:", f)
    print(f"{passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
