#!/bin/sh
# Benchmark s2sguard-inspect: whole-process time against
# `openssl x509 -noout -ext extendedKeyUsage` on the same full chain, and
# in-process inspections per second. Prints figures; asserts nothing.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
sh "$top/tests/pki/mkpki.sh" "$tmp"
for name in leaf-both leaf-rsa; do
	fc=$tmp/$name.fullchain.pem
	echo "-- $name ($(openssl x509 -in "$fc" -noout -text | sed -n 's/.*Public Key Algorithm: //p' | head -n 1))"
	if command -v hyperfine >/dev/null 2>&1; then
		hyperfine -N --warmup 20 --runs 300 --export-json "$tmp/h.json" \
			"$top/build/s2sguard-inspect --json --ca-file $tmp/root.pem --domain xmpp.example.test $fc" \
			"openssl x509 -noout -ext extendedKeyUsage -in $fc" >/dev/null
		python3 - "$tmp/h.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
a, b = r[0]["mean"] * 1e3, r[1]["mean"] * 1e3
print(f"process: s2sguard-inspect --json {a:.2f} ms, openssl x509 -ext {b:.2f} ms, ratio {a/b:.2f}")
PY
	fi
	"$top/build/bench/inspect_throughput" "$fc" "$tmp/root.pem" 3
done
