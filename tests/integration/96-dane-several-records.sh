#!/bin/sh
# DANE with several records at one name (old key, unrelated certificate,
# a CA not in the chain, an unusable record, the new key as SHA-512): one
# match for the new certificate is enough, and the report says which.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/dnssec.sh"
P=$(pki_copy)
sh "$TOP/tests/pki/mkpki.sh" leaf "$P" rotated --domain xmpp.example.test
N=_5269._tcp.xmpp.example.test.
new512=$(dnssec_tlsa_of "$P/rotated.pem" 1 2)

dnssec_zone example.test
dnssec_rr example.test "$N 300 IN TLSA 3 1 1 $(dnssec_tlsa_of "$P/leaf-both.pem")"
dnssec_rr example.test "$N 300 IN TLSA 3 0 0 $(dnssec_tlsa_of "$P/leaf-client.pem" 0 0)"
dnssec_rr example.test "$N 300 IN TLSA 2 1 1 $(dnssec_tlsa_of "$P/inter-server.pem")"
dnssec_rr example.test "$N 300 IN TLSA 3 1 9 00ff"
dnssec_rr example.test "$N 300 IN TLSA 3 1 2 $new512"
dnssec_sign example.test
dnssec_start
I="s2sguard-inspect --ca-file $P/root.pem --dane xmpp.example.test --resolver $DNSSEC_RESOLVER --trust-anchor $DNSSEC_ANCHORS --previous $P/leaf-both.fullchain.pem"

expect_exit 0 $I "$P/rotated.fullchain.pem" > "$T/out"
assert_grep '^DANE xmpp.example.test: matches-new' "$T/out"
expect_exit 0 $I --json "$P/rotated.fullchain.pem" > "$T/r.json"
python3 - "$T/r.json" "$new512" <<'PY' || fail "JSON report"
import json, sys
d = json.load(open(sys.argv[1]))["dane"][0]
recs = d["names"][0]["records"]
assert len(recs) == 5, recs
assert [r["record"] for r in recs if r["matches_new"]] == ["3 1 2 " + sys.argv[2]], recs
assert [r["record"][:6] for r in recs if r["matches_deployed"]] == ["3 1 1 "], recs
assert [r["record"] for r in recs if r["unusable"]] == ["3 1 9 00ff"], recs
assert d["verdict"] == "matches-new" and d["publish"] == [], d
PY
say ok
