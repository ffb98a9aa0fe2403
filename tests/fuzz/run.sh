#!/bin/sh
# tests/fuzz/run.sh SECONDS FUZZER...: run each libFuzzer target for SECONDS
# on its corpus (build/fuzz/corpus-NAME, seeded from tests/fuzz/seed.sh when
# empty) and print the number of executions.
set -eu
secs=$1; shift
top=$(cd "$(dirname "$0")/../.." && pwd)
for f in "$@"; do
	name=$(basename "$f")
	corpus=$top/build/fuzz/corpus-$name
	mkdir -p "$corpus"
	if [ -z "$(ls -A "$corpus")" ] && [ -x "$top/tests/fuzz/seed-$name.sh" ]; then
		"$top/tests/fuzz/seed-$name.sh" "$corpus"
	fi
	log=$top/build/fuzz/$name.log
	"$f" -max_total_time="$secs" -rss_limit_mb=2048 -max_len=65536 \
		-artifact_prefix="$top/build/fuzz/$name-" "$corpus" > "$log" 2>&1 || {
		echo "$name: FAILED, see $log"; tail -n 30 "$log"; exit 1; }
	runs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 executions in \2 s/p' "$log")
	echo "$name: ${runs:-?} (corpus: $(ls "$corpus" | wc -l) inputs)"
done
