#!/bin/sh
# DANE: the domain pins its CA with 2 1 1; the renewal kept the key but
# came from another intermediate (a CA chain change). Exit 4, the 2 1 1
# record of the new issuer to publish, and advice about intermediates (none
# about keys: the key is the same).
# A 3 1 1 record beside it makes the same renewal safe.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/dnssec.sh"
P=$(pki_copy)
sh "$TOP/tests/pki/mkpki.sh" resign "$P" "$P/leaf-both.pem" "$P/leaf-both.key" newca \
	--issuer inter-both --eku serverAuth,clientAuth
# the same key re-issued under inter-server (the other intermediate)
sh "$TOP/tests/pki/mkpki.sh" resign "$P" "$P/leaf-both.pem" "$P/leaf-both.key" moved \
	--issuer inter-server --eku serverAuth,clientAuth
ta_old=$(dnssec_tlsa_of "$P/inter-both.pem")
ta_new=$(dnssec_tlsa_of "$P/inter-server.pem")

dnssec_zone example.test
dnssec_rr example.test "_5269._tcp.xmpp.example.test. 300 IN TLSA 2 1 1 $ta_old"
dnssec_sign example.test
dnssec_start
I="s2sguard-inspect --ca-file $P/root.pem --dane xmpp.example.test --resolver $DNSSEC_RESOLVER --trust-anchor $DNSSEC_ANCHORS --previous $P/leaf-both.fullchain.pem"

# same CA: still matches (depth 1, the intermediate)
expect_exit 0 $I --json "$P/newca.fullchain.pem" > "$T/same.json"
python3 - "$T/same.json" <<'PY' || fail "same CA"
import json, sys
d = json.load(open(sys.argv[1]))["dane"][0]
assert d["verdict"] == "matches-new", d
assert d["names"][0]["records"][0]["depth"] == 1, d
PY

# the chain changed: exit 4 (the inspection alone says 1: inter-server lacks clientAuth)
expect_exit 4 $I "$P/moved.fullchain.pem" > "$T/out"
assert_grep '^DANE xmpp.example.test: matches-deployed-only' "$T/out"
assert_grep "IN TLSA 2 1 1 $ta_new" "$T/out"
assert_no_grep 'IN TLSA 3 1 1' "$T/out"
assert_grep 'Advice: the issuing CA changed' "$T/out"
assert_no_grep 'reuse-key' "$T/out"
expect_exit 4 $I --json "$P/moved.fullchain.pem" > "$T/r.json"
python3 - "$T/r.json" <<'PY' || fail "JSON report"
import json, sys
d = json.load(open(sys.argv[1]))["dane"][0]
assert d["issuer_changed"] and not d["key_changed"], d
assert d["advice"].startswith("the issuing CA changed") and d["rollover"], d
assert [p["record"][:6] for p in d["publish"]] == ["2 1 1 "], d["publish"]
PY

# a 3 1 1 record of the (unchanged) key beside it: safe for DANE, and the
# exit status is the inspection's own again
dnssec_rr example.test "_5269._tcp.xmpp.example.test. 300 IN TLSA 3 1 1 $(dnssec_tlsa_of "$P/leaf-both.pem")"
dnssec_restart
expect_exit 1 $I "$P/moved.fullchain.pem" > "$T/out"
assert_grep '^DANE xmpp.example.test: matches-new' "$T/out"
say ok
