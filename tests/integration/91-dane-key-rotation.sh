#!/bin/sh
# DANE: the ACME client rotated the key (certbot's default) and the signed
# 3 1 1 record pins the old one: deploying would break DANE peers. Exit 4,
# the 3 1 1 record to publish now, the rollover rule and the reuse-key
# advice. Once the new record is published beside the old, it is safe.
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
I="s2sguard-inspect --ca-file $P/root.pem --dane xmpp.example.test --resolver $DNSSEC_RESOLVER --trust-anchor $DNSSEC_ANCHORS --previous $P/leaf-both.fullchain.pem"

expect_exit 4 $I "$P/rotated.fullchain.pem" > "$T/out"
assert_grep '^DANE xmpp.example.test: matches-deployed-only' "$T/out"
assert_grep "_5269\._tcp\.xmpp\.example\.test\. IN TLSA 3 1 1 $new" "$T/out"
assert_grep "Keep until .*" "$T/out"
assert_grep "_5269\._tcp\.xmpp\.example\.test\. IN TLSA 3 1 1 $old" "$T/out"
assert_grep 'Rollover: .*2 x 300 s = 600 s' "$T/out"
assert_grep 'Advice: .*certbot --reuse-key' "$T/out"
# no TA records in use: nothing to say about the issuer
assert_no_grep 'IN TLSA 2 1 1' "$T/out"

expect_exit 4 $I --json "$P/rotated.fullchain.pem" > "$T/r.json"
python3 - "$T/r.json" "$new" <<'PY' || fail "JSON report"
import json, sys
r = json.load(open(sys.argv[1]))
d = r["dane"][0]
assert r["exit"] == 4, r["exit"]
assert d["regression"] and d["key_changed"] and not d["issuer_changed"], d
assert d["publish"] == [{"name": "_5269._tcp.xmpp.example.test", "record": "3 1 1 " + sys.argv[2]}], d["publish"]
assert d["new_visible"] is False and 290 <= d["ttl"] <= 300, d  # cached TTLs count down
PY

# The operator publishes the new record beside the old one: safe now.
dnssec_rr example.test "_5269._tcp.xmpp.example.test. 300 IN TLSA 3 1 1 $new"
dnssec_restart
expect_exit 0 $I --json "$P/rotated.fullchain.pem" > "$T/r2.json"
python3 - "$T/r2.json" <<'PY' || fail "JSON after publishing"
import json, sys
d = json.load(open(sys.argv[1]))["dane"][0]
assert d["verdict"] == "matches-new" and d["new_visible"] is True, d
assert d["new_preexisting"] is False, d  # a new record: the rollover wait applies
assert len(d["keep"]) == 1 and d["publish"] == [], d
PY
say ok
