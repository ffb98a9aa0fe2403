#!/bin/sh
# DANE: a renewal that kept the key (certbot --reuse-key) still matches the
# domain's signed 3 1 1 record: verdict matches-new, exit as the inspection.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/dnssec.sh"
P=$(pki_copy)
sh "$TOP/tests/pki/mkpki.sh" leaf "$P" renewed --domain xmpp.example.test --key "$P/leaf-both.key"

dnssec_zone example.test
dnssec_rr example.test "_5269._tcp.xmpp.example.test. 300 IN TLSA 3 1 1 $(dnssec_tlsa_of "$P/leaf-both.pem")"
dnssec_sign example.test
dnssec_start
I="s2sguard-inspect --ca-file $P/root.pem --dane xmpp.example.test --resolver $DNSSEC_RESOLVER --trust-anchor $DNSSEC_ANCHORS"

expect_exit 0 $I --previous "$P/leaf-both.fullchain.pem" "$P/renewed.fullchain.pem" > "$T/out"
assert_grep '^DANE xmpp.example.test: matches-new' "$T/out"
assert_grep '_5269\._tcp\.xmpp\.example\.test +secure +(29[0-9]|300) +matches-new' "$T/out"
assert_no_grep 'Publish now' "$T/out"

expect_exit 0 $I --json --previous "$P/leaf-both.fullchain.pem" "$P/renewed.fullchain.pem" > "$T/r.json"
python3 - "$T/r.json" <<'PY' || fail "JSON report"
import json, sys
d = json.load(open(sys.argv[1]))["dane"][0]
assert d["verdict"] == "matches-new" and not d["regression"], d
# the resolver's cache counts the TTL down between the two runs
assert d["key_changed"] is False and d["new_visible"] is True and 290 <= d["ttl"] <= 300, d
assert d["new_preexisting"] is True, d
n = d["names"][0]
assert n["name"] == "_5269._tcp.xmpp.example.test" and n["via"] is None, n
assert n["security"] == "secure", n
r = n["records"][0]
assert r["matches_new"] and r["matches_deployed"] and r["depth"] == 0, r
assert d["publish"] == [] and d["advice"] is None and d["rollover"] is None, d
PY
say ok
