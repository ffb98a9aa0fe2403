#!/bin/sh
# Benchmark DANE checks: 1,000 XMPP domains, each with a signed 3 1 1
# record, served by NSD and validated by a local unbound (tests/peers/
# dnssec.sh). Figures: checks and lookups per second with cold and warm
# caches, the time one renewal's check takes with a fresh libunbound
# context (as each hook run has), and the whole-process time s2sguard-inspect
# adds with --dane. Prints figures; asserts nothing.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/dnssec.sh"
N=${DANE_BENCH_DOMAINS:-1000}
P=$(pki_copy)
sh "$TOP/tests/pki/mkpki.sh" leaf "$P" renewed --domain xmpp.example.test --key "$P/leaf-both.key"
hex=$(dnssec_tlsa_of "$P/leaf-both.pem")

dnssec_zone bench.test
i=0
while [ "$i" -lt "$N" ]; do
	printf '_5269._tcp.xmpp%04d.bench.test. 3600 IN TLSA 3 1 1 %s\n' "$i" "$hex"
	i=$((i + 1))
done >> "$DNSSEC_DIR/bench.test.zone"
dnssec_sign bench.test
dnssec_start
echo "$N domains, resolver $DNSSEC_RESOLVER, $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg)"
"$BUILD/bench/dane_throughput" "$DNSSEC_RESOLVER" "$DNSSEC_ANCHORS" \
	"$P/renewed.fullchain.pem" "$P/leaf-both.fullchain.pem" "$N"

I="$BUILD/s2sguard-inspect --json --ca-file $P/root.pem --previous $P/leaf-both.fullchain.pem"
D="--dane xmpp0001.bench.test --resolver $DNSSEC_RESOLVER --trust-anchor $DNSSEC_ANCHORS"
if command -v hyperfine >/dev/null 2>&1; then
	hyperfine -N -i --warmup 10 --runs 200 --export-json "$T/h.json" \
		"$I $P/renewed.fullchain.pem" "$I $D $P/renewed.fullchain.pem" >/dev/null
	python3 - "$T/h.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
a, b = r[0]["median"] * 1e3, r[1]["median"] * 1e3
print(f"s2sguard-inspect process, median of 200: {a:.2f} ms without --dane, {b:.2f} ms "
      f"with: --dane adds {b - a:.2f} ms per renewal (warm resolver cache)")
PY
fi
