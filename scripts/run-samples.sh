#!/bin/sh
# `make run`: analyse every bundled sample and show what mailscope sees:
# the dialogue of each session, the events of the first capture, and a
# summary of them all.
set -eu
exe=${1:-build/mailscope}
cd "$(dirname "$0")/.."
set --
for pcap in samples/*.pcap; do
	printf '\n##### %s\n' "$pcap"
	"$exe" -r "$pcap" --transcript
	set -- "$@" -r "$pcap"
done
printf '\n##### JSON events of samples/pop3-basic.pcap\n'
"$exe" -r samples/pop3-basic.pcap
printf '\n##### Summary of all samples\n'
"$exe" "$@" -o /dev/null --summary=stdout
