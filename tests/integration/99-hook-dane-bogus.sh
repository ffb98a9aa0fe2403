#!/bin/sh
# DANE in the hook, bogus answers: the zone's signatures have expired, so a
# validating peer cannot check the TLSA records (and cannot connect). Under
# dane = hold nothing is deployed: the hook holds (exit 2) and says why
# loudly; the timer job keeps holding while the answers stay bogus, until
# the deployed certificate is down to hold_min_days. Under dane = warn a
# renewal is deployed with a warning (exit 1).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/dnssec.sh"
P=$(pki_copy)
sh "$TOP/tests/pki/mkpki.sh" leaf "$P" renewed --domain xmpp.example.test --key "$P/leaf-both.key"

dnssec_zone example.test
dnssec_rr example.test "_5269._tcp.xmpp.example.test. 300 IN TLSA 3 1 1 $(dnssec_tlsa_of "$P/leaf-both.pem")"
dnssec_sign example.test expired
dnssec_start

mkdir -p "$T/srv"
cp "$P/leaf-both.fullchain.pem" "$T/srv/x.crt"
cp "$P/leaf-both.key" "$T/srv/x.key"
conf() {
	cat > "$T/s2sguard.conf" <<CONF
[s2sguard]
state_dir = $T/state
ca_file = $P/root.pem
dane = $1
dane_resolver = $DNSSEC_RESOLVER
dane_trust_anchor = $DNSSEC_ANCHORS

[domain xmpp.example.test]
target = files
cert = $T/srv/x.crt
key = $T/srv/x.key
probe = never
reload = echo reloaded >> $T/reloads
CONF
}
conf hold
expect_exit 2 s2sguard-hook --config "$T/s2sguard.conf" \
	--cert "$P/renewed.fullchain.pem" --key "$P/renewed.key" --domain xmpp.example.test > "$T/out" 2>&1
cat "$T/out"
cmp -s "$T/srv/x.crt" "$P/leaf-both.fullchain.pem" || fail "deployed despite bogus DNSSEC"
[ ! -e "$T/reloads" ] || fail "reloaded"
assert_grep '^DANE xmpp.example.test: bogus \(DNSSEC validation or lookup failed' "$T/out"
assert_grep 'decision hold' "$T/out"
assert_grep '  - DANE: .* is bogus \(validation failure' "$T/out"

expect_exit 2 s2sguard-check --config "$T/s2sguard.conf" --now $(($(date +%s) + 86400)) --json > "$T/c.json"
cmp -s "$T/srv/x.crt" "$P/leaf-both.fullchain.pem" || fail "check deployed despite bogus DNSSEC"
python3 - "$T/c.json" "$T/state/xmpp.example.test.json" <<'PY' || fail "check JSON"
import json, sys
r = json.load(open(sys.argv[1]))
st = json.load(open(sys.argv[2]))
assert r["dane"][0]["verdict"] == "bogus", r["dane"]
dd = r["dane"][0]["decision"]
assert dd["mode"] == "hold" and dd["action"] == "hold" and dd["ready_at"] is None, dd
assert r["decision"]["action"] == "hold" and r["exit"] == 2, r["decision"]
assert "pending" in st and "dane" not in st, st
PY

# Never let the deployed certificate expire while a newer valid one
# exists: with hold_min_days (7) left, the held one goes in, with a warning.
end=$(date -d "$(openssl x509 -in "$P/leaf-both.pem" -noout -enddate | cut -d= -f2)" +%s)
expect_exit 1 s2sguard-check --config "$T/s2sguard.conf" --now $((end - 6 * 86400)) > "$T/out" 2>&1
cmp -s "$T/srv/x.crt" "$P/renewed.fullchain.pem" || fail "held past hold_min_days"
assert_grep 'decision deploy-warn' "$T/out"
assert_grep 'DANE hold refused: the deployed certificate has [0-9]+ day\(s\) left' "$T/out"
[ "$(cat "$T/reloads")" = reloaded ] || fail "not reloaded once"

# dane = warn: the next renewal is deployed at once, with a warning.
sh "$TOP/tests/pki/mkpki.sh" leaf "$P" again --domain xmpp.example.test --key "$P/leaf-both.key"
conf warn
expect_exit 1 s2sguard-hook --config "$T/s2sguard.conf" \
	--cert "$P/again.fullchain.pem" --key "$P/again.key" --domain xmpp.example.test > "$T/out" 2>&1
cmp -s "$T/srv/x.crt" "$P/again.fullchain.pem" || fail "dane = warn did not deploy"
assert_grep 'decision deploy-warn' "$T/out"
assert_grep '  - DANE: .* is bogus' "$T/out"
say ok
