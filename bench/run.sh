#!/bin/sh
# The benchmark: a Release build, a synthetic capture (bench/gen.py), then
# throughput for JSON output, and instruction counts when perf or
# valgrind can give them. Numbers go to stdout; nothing here is a test.
# Usage: bench/run.sh [MEGABYTES]
set -eu
cd "$(dirname "$0")/.."
mb=${1:-200}
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DMS_WERROR=ON >/dev/null
cmake --build build-release -j "$(nproc)" --target mailscope >/dev/null
cap=build-release/bench-$mb.pcap
[ -f "$cap" ] || /usr/bin/python3 bench/gen.py "$cap" "$mb"
exe=build-release/mailscope
bytes=$(stat -c %s "$cap")
for mode in "-o /dev/null" "-o /dev/null --extract build-release/bench-x"; do
	rm -rf build-release/bench-x
	start=$(date +%s.%N)
	# shellcheck disable=SC2086
	$exe -q -r "$cap" $mode
	end=$(date +%s.%N)
	echo "$mode: $(echo "$bytes $start $end" |
		awk '{printf "%.0f MB in %.2f s: %.0f MB/s", $1/1e6, $3-$2, $1/1e6/($3-$2)}')"
done
rm -rf build-release/bench-x
if perf stat -e instructions true >/dev/null 2>&1; then
	perf stat -e instructions,cycles $exe -q -r "$cap" -o /dev/null 2>&1 |
		grep -E 'instructions|cycles|elapsed'
fi
