#!/bin/sh
# DANE in the hook, unsigned zone: a 3 1 1 record pinning only the old key
# in a zone without DNSSEC is not in force (no DANE peer uses it), so the
# default dane = hold changes nothing: verdict insecure, the rotated key is
# deployed, no state kept for a rollover. Bad DANE settings are refused
# with the file, the line and the problem.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/dnssec.sh"
P=$(pki_copy)
sh "$TOP/tests/pki/mkpki.sh" leaf "$P" rotated --domain xmpp.plain.test
sh "$TOP/tests/pki/mkpki.sh" leaf "$P" again --domain xmpp.plain.test

dnssec_zone plain.test
dnssec_rr plain.test "_5269._tcp.xmpp.plain.test. 300 IN TLSA 3 1 1 $(dnssec_tlsa_of "$P/leaf-both.pem")"
dnssec_start

mkdir -p "$T/srv"
cp "$P/leaf-both.fullchain.pem" "$T/srv/x.crt"
cp "$P/leaf-both.key" "$T/srv/x.key"
cat > "$T/s2sguard.conf" <<CONF
[s2sguard]
state_dir = $T/state
ca_file = $P/root.pem

[domain xmpp.plain.test]
match = xmpp.example.test
target = files
cert = $T/srv/x.crt
key = $T/srv/x.key
probe = never
dane = hold
dane_resolver = $DNSSEC_RESOLVER
dane_trust_anchor = $DNSSEC_ANCHORS
reload = echo reloaded >> $T/reloads
CONF

expect_exit 0 s2sguard-hook --config "$T/s2sguard.conf" --json \
	--cert "$P/rotated.fullchain.pem" --key "$P/rotated.key" --domain xmpp.plain.test > "$T/r.json"
cmp -s "$T/srv/x.crt" "$P/rotated.fullchain.pem" || fail "not deployed"
[ "$(cat "$T/reloads")" = reloaded ] || fail "not reloaded once"
python3 - "$T/r.json" "$T/state/xmpp.plain.test.json" <<'PY' || fail "JSON report"
import json, sys
r = json.load(open(sys.argv[1]))
st = json.load(open(sys.argv[2]))
d = r["dane"][0]
assert d["verdict"] == "insecure" and not d["regression"] and d["publish"] == [], d
assert d["decision"]["action"] == "deploy", d["decision"]
assert r["decision"]["action"] == "deploy", r["decision"]
assert "dane" not in st and "pending" not in st, st
PY

# Configuration errors: file, line, problem; nothing deployed.
cp "$T/s2sguard.conf" "$T/good.conf"
sed 's/^dane = hold$/dane = maybe/' "$T/good.conf" > "$T/s2sguard.conf"
expect_exit 3 s2sguard-hook --config "$T/s2sguard.conf" \
	--cert "$P/leaf-both.fullchain.pem" --key "$P/leaf-both.key" --domain xmpp.plain.test 2> "$T/err"
assert_grep "s2sguard.conf:11: dane 'maybe': want off, warn or hold" "$T/err"
sed 's/^dane_resolver = .*/dane_resolver = resolver.example/' "$T/good.conf" > "$T/s2sguard.conf"
expect_exit 3 s2sguard-hook --config "$T/s2sguard.conf" \
	--cert "$P/leaf-both.fullchain.pem" --key "$P/leaf-both.key" --domain xmpp.plain.test 2> "$T/err"
assert_grep "s2sguard.conf:12: dane_resolver 'resolver.example': want an IP address" "$T/err"
sed 's/^dane_trust_anchor = .*/dane_trust_anchor = root.key/' "$T/good.conf" > "$T/s2sguard.conf"
expect_exit 3 s2sguard-hook --config "$T/s2sguard.conf" \
	--cert "$P/leaf-both.fullchain.pem" --key "$P/leaf-both.key" --domain xmpp.plain.test 2> "$T/err"
assert_grep "s2sguard.conf:13: dane_trust_anchor 'root.key': want an absolute path" "$T/err"
cmp -s "$T/srv/x.crt" "$P/rotated.fullchain.pem" || fail "a bad configuration changed the deployed pair"

# A trust anchor file that does not exist: the check is reported as not
# done and, with dane set explicitly, the deploy carries a warning.
sed 's|^dane_trust_anchor = .*|dane_trust_anchor = /nonexistent/root.key|' "$T/good.conf" > "$T/s2sguard.conf"
expect_exit 1 s2sguard-hook --config "$T/s2sguard.conf" \
	--cert "$P/again.fullchain.pem" --key "$P/again.key" --domain xmpp.plain.test > "$T/out" 2>&1
assert_grep 'FAIL dane: TLSA records not checked: .*/nonexistent/root.key' "$T/out"
assert_grep 'DANE not checked' "$T/out"
cmp -s "$T/srv/x.crt" "$P/again.fullchain.pem" || fail "not deployed"
say ok
