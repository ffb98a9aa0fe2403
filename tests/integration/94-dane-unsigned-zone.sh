#!/bin/sh
# DANE in an unsigned zone is not in force: TLSA records that match only
# the deployed key are reported as insecure, and nothing is held (exit as
# the inspection alone).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/dnssec.sh"
P=$(pki_copy)
sh "$TOP/tests/pki/mkpki.sh" leaf "$P" rotated --domain xmpp.example.test

dnssec_zone plain.test
dnssec_rr plain.test "_5269._tcp.xmpp.plain.test. 300 IN TLSA 3 1 1 $(dnssec_tlsa_of "$P/leaf-both.pem")"
dnssec_start
I="s2sguard-inspect --ca-file $P/root.pem --dane xmpp.plain.test --resolver $DNSSEC_RESOLVER --trust-anchor $DNSSEC_ANCHORS --previous $P/leaf-both.fullchain.pem"

expect_exit 0 $I "$P/rotated.fullchain.pem" > "$T/out"
assert_grep '^DANE xmpp.plain.test: insecure \(not DNSSEC-signed' "$T/out"
assert_grep '_5269\._tcp\.xmpp\.plain\.test +insecure +(29[0-9]|300) +insecure' "$T/out"
assert_no_grep 'Publish now' "$T/out"
expect_exit 0 $I --json "$P/rotated.fullchain.pem" > "$T/r.json"
python3 - "$T/r.json" <<'PY' || fail "JSON report"
import json, sys
d = json.load(open(sys.argv[1]))["dane"][0]
assert d["verdict"] == "insecure" and not d["regression"] and d["publish"] == [], d
r = d["names"][0]["records"][0]
assert r["matches_deployed"] and not r["matches_new"], r
PY

# a missing trust anchor is an error, never a quiet "insecure"
expect_exit 3 s2sguard-inspect --ca-file "$P/root.pem" --dane xmpp.plain.test \
	--resolver "$DNSSEC_RESOLVER" --trust-anchor "$T/nonexistent.key" "$P/rotated.fullchain.pem" \
	> "$T/out" 2> "$T/err"
assert_grep 'nonexistent.key' "$T/err"
[ ! -s "$T/out" ] || fail "output despite the error"

# not a domain name: a usage error, no lookup
expect_exit 64 $I --dane 'xmpp plain.test' "$P/rotated.fullchain.pem" > /dev/null 2> "$T/err"
assert_grep 'not a domain name' "$T/err"
# --resolver without --dane says so
expect_exit 64 s2sguard-inspect --resolver "$DNSSEC_RESOLVER" "$P/rotated.fullchain.pem" 2> "$T/err"
say ok
