#!/bin/sh
# DANE in the hook and the timer job: the renewal rotated the key and the
# signed 3 1 1 record pins only the old one. The hook (dane = hold, the
# default) keeps the deployed pair, exits 2 (held) and names the record to
# publish and the one to keep. Once the new record is published beside the
# old, s2sguard-check keeps holding until twice the TLSA TTL has passed
# since it first saw the new record with a secure answer, then deploys.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/dnssec.sh"
P=$(pki_copy)
sh "$TOP/tests/pki/mkpki.sh" leaf "$P" rotated --domain xmpp.example.test
old=$(dnssec_tlsa_of "$P/leaf-both.pem")
new=$(dnssec_tlsa_of "$P/rotated.pem")

dnssec_zone example.test
dnssec_rr example.test "_5269._tcp.xmpp.example.test. 300 IN TLSA 3 1 1 $old"
dnssec_sign example.test
dnssec_start

mkdir -p "$T/srv"
cp "$P/leaf-both.fullchain.pem" "$T/srv/x.crt"
cp "$P/leaf-both.key" "$T/srv/x.key"
cat > "$T/s2sguard.conf" <<CONF
[s2sguard]
state_dir = $T/state
ca_file = $P/root.pem
dane_resolver = $DNSSEC_RESOLVER
dane_trust_anchor = $DNSSEC_ANCHORS

[domain xmpp.example.test]
target = files
cert = $T/srv/x.crt
key = $T/srv/x.key
probe = never
reload = echo reloaded >> $T/reloads
CONF

t0=$(date +%s)
expect_exit 2 s2sguard-hook --config "$T/s2sguard.conf" --now "$t0" \
	--cert "$P/rotated.fullchain.pem" --key "$P/rotated.key" --domain xmpp.example.test > "$T/hook.log" 2>&1
cat "$T/hook.log"
cmp -s "$T/srv/x.crt" "$P/leaf-both.fullchain.pem" || fail "deployed despite the DANE regression"
[ ! -e "$T/reloads" ] || fail "reloaded during a hold"
assert_grep '^DANE xmpp.example.test: matches-deployed-only' "$T/hook.log"
assert_grep 'decision hold' "$T/hook.log"
assert_grep "Publish now.*" "$T/hook.log"
assert_grep "_5269\._tcp\.xmpp\.example\.test\. IN TLSA 3 1 1 $new" "$T/hook.log"
assert_grep "Keep until .*" "$T/hook.log"
assert_grep "_5269\._tcp\.xmpp\.example\.test\. IN TLSA 3 1 1 $old" "$T/hook.log"
assert_grep 'Rollover: .*2 x 300 s = 600 s' "$T/hook.log"
[ -f "$T/state/xmpp.example.test/pending/cert.pem" ] || fail "no pending certificate"

# The operator publishes the new record beside the old one.
dnssec_rr example.test "_5269._tcp.xmpp.example.test. 300 IN TLSA 3 1 1 $new"
dnssec_restart
t1=$((t0 + 60))
expect_exit 2 s2sguard-check --config "$T/s2sguard.conf" --now "$t1" --json > "$T/c1.json"
cmp -s "$T/srv/x.crt" "$P/leaf-both.fullchain.pem" || fail "deployed before twice the TTL"
python3 - "$T/c1.json" "$T/state/xmpp.example.test.json" "$t1" <<'PY' || fail "check while waiting"
import json, sys
r = json.load(open(sys.argv[1]))
st = json.load(open(sys.argv[2]))
t1 = int(sys.argv[3])
d = r["dane"][0]
assert d["verdict"] == "matches-new" and d["new_visible"] and not d["new_preexisting"], d
assert d["decision"]["action"] == "hold", d["decision"]
assert r["decision"]["action"] == "hold", r["decision"]
assert st["dane"]["first_seen"] == t1 and st["dane"]["ttl"] == 300, st["dane"]
assert "pending" in st, st
PY

# 599 s after it was first seen: still inside twice the TTL.
expect_exit 2 s2sguard-check --config "$T/s2sguard.conf" --now $((t1 + 599)) --quiet
cmp -s "$T/srv/x.crt" "$P/leaf-both.fullchain.pem" || fail "deployed before twice the TTL"
# 600 s: deployed.
expect_exit 0 s2sguard-check --config "$T/s2sguard.conf" --now $((t1 + 600)) > "$T/c2.log" 2>&1
cat "$T/c2.log"
cmp -s "$T/srv/x.crt" "$P/rotated.fullchain.pem" || fail "not deployed after twice the TTL"
cmp -s "$T/srv/x.key" "$P/rotated.key" || fail "key not deployed"
assert_grep 'decision deploy ' "$T/c2.log"
[ "$(cat "$T/reloads")" = reloaded ] || fail "not reloaded once"
[ ! -e "$T/state/xmpp.example.test/pending/cert.pem" ] || fail "pending left behind"
say ok
