#!/bin/sh
# Benchmark: what the DANE stage adds to one s2sguard-hook run. A domain
# with a signed 3 1 1 record matching the renewed certificate (the key was
# reused), the hook in files mode with probe = never, run with dane = off
# and with dane = hold against a local validating unbound (tests/peers/
# dnssec.sh), warm cache. Prints figures; asserts nothing.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/dnssec.sh"
need_cmd hyperfine
P=$(pki_copy)
sh "$TOP/tests/pki/mkpki.sh" leaf "$P" renewed --domain xmpp.example.test --key "$P/leaf-both.key"

dnssec_zone example.test
dnssec_rr example.test "_5269._tcp.xmpp.example.test. 3600 IN TLSA 3 1 1 $(dnssec_tlsa_of "$P/leaf-both.pem")"
dnssec_sign example.test
dnssec_start

mkdir -p "$T/srv"
cp "$P/leaf-both.fullchain.pem" "$T/srv/x.crt"
cp "$P/leaf-both.key" "$T/srv/x.key"
for mode in off hold; do
	cat > "$T/$mode.conf" <<CONF
[s2sguard]
state_dir = $T/state-$mode
ca_file = $P/root.pem
dane = $mode
dane_resolver = $DNSSEC_RESOLVER
dane_trust_anchor = $DNSSEC_ANCHORS

[domain xmpp.example.test]
target = files
cert = $T/srv/x.crt
key = $T/srv/x.key
probe = never
CONF
done
H="$BUILD/s2sguard-hook --cert $P/renewed.fullchain.pem --key $P/renewed.key --domain xmpp.example.test --config"
v=$($H "$T/hold.conf" --json | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["dane"][0]["verdict"], r["decision"]["action"])')
echo "dane = hold: verdict and decision: $v"
echo "resolver $DNSSEC_RESOLVER, $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg)"
hyperfine -N -i --warmup 5 --runs 100 --export-json "$T/h.json" "$H $T/off.conf" "$H $T/hold.conf" >/dev/null
python3 - "$T/h.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
a, b = r[0]["median"] * 1e3, r[1]["median"] * 1e3
print(f"s2sguard-hook run, median of 100: {a:.2f} ms with dane = off, {b:.2f} ms with "
      f"dane = hold: the DANE stage adds {b - a:.2f} ms per renewal (warm resolver cache)")
PY
