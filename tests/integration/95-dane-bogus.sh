#!/bin/sh
# DANE with expired signatures: the answer is bogus, DANE peers cannot
# connect at all. Reported loudly (exit 5), even though the record would
# match the new certificate.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/dnssec.sh"
P=$(pki_copy)
sh "$TOP/tests/pki/mkpki.sh" leaf "$P" renewed --domain xmpp.example.test --key "$P/leaf-both.key"

dnssec_zone example.test
dnssec_rr example.test "_5269._tcp.xmpp.example.test. 300 IN TLSA 3 1 1 $(dnssec_tlsa_of "$P/leaf-both.pem")"
dnssec_sign example.test expired
dnssec_start
I="s2sguard-inspect --ca-file $P/root.pem --dane xmpp.example.test --resolver $DNSSEC_RESOLVER --trust-anchor $DNSSEC_ANCHORS --previous $P/leaf-both.fullchain.pem"

expect_exit 5 $I "$P/renewed.fullchain.pem" > "$T/out"
assert_grep '^DANE xmpp.example.test: bogus \(DNSSEC validation or lookup failed' "$T/out"
expect_exit 5 $I --json "$P/renewed.fullchain.pem" > "$T/r.json"
python3 - "$T/r.json" <<'PY' || fail "JSON report"
import json, sys
r = json.load(open(sys.argv[1]))
d = r["dane"][0]
assert r["exit"] == 5 and d["verdict"] == "bogus", d
assert all(n["verdict"] == "bogus" and n["why"] for n in d["names"]), d["names"]
assert d["new_visible"] is False, d
PY

# Our own resolver path cannot validate the root (here: a root anchor the
# test resolver cannot answer for): an error about us, exit 3, instead of
# calling every domain bogus.
printf '. IN DS 20326 8 2 %s\n' "$(printf '%064d' 0)" > "$T/root-only.key"
expect_exit 3 s2sguard-inspect --ca-file "$P/root.pem" --dane xmpp.example.test \
	--resolver "$DNSSEC_RESOLVER" --trust-anchor "$T/root-only.key" \
	"$P/renewed.fullchain.pem" > "$T/out" 2> "$T/err"
assert_grep 'resolver 127\.0\.0\.1@[0-9]+ cannot serve DNSSEC for validation \(root DNSKEY: SERVFAIL' "$T/err"
[ ! -s "$T/out" ] || fail "a report despite the error"
say ok
