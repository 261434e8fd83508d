#!/bin/sh
# `make run`: analyse every bundled sample and show what mailscope sees:
# the dialogue of each session, then the events of the first capture.
set -eu
exe=${1:-build/mailscope}
cd "$(dirname "$0")/.."
for pcap in samples/*.pcap; do
	printf '\n##### %s\n' "$pcap"
	"$exe" -r "$pcap" --transcript
done
printf '\n##### JSON events of samples/pop3-basic.pcap\n'
"$exe" -r samples/pop3-basic.pcap
