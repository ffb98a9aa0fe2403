#!/bin/sh
# DANE with SRV (RFC 7673): the TLSA names are those of the signed SRV
# targets (_PORT._tcp.TARGET in another zone), not _5269._tcp.DOMAIN; an
# unsigned SRV answer means peers use no DANE for its targets.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/dnssec.sh"
P=$(pki_copy)
sh "$TOP/tests/pki/mkpki.sh" leaf "$P" rotated --domain xmpp.example.test
old=$(dnssec_tlsa_of "$P/leaf-both.pem")
new=$(dnssec_tlsa_of "$P/rotated.pem")

dnssec_zone example.test
dnssec_rr example.test "_xmpp-server._tcp.xmpp.example.test. 300 IN SRV 0 5 5270 s2s.hosting.test."
dnssec_rr example.test "_xmpps-server._tcp.xmpp.example.test. 300 IN SRV 0 5 5223 s2s.hosting.test."
# a decoy a DANE peer never looks at, since SRV records exist
dnssec_rr example.test "_5269._tcp.xmpp.example.test. 300 IN TLSA 3 1 1 $new"
# "." for direct TLS only: peers fall back to _5269._tcp.DOMAIN
dnssec_rr example.test "_xmpps-server._tcp.nodirect.example.test. 300 IN SRV 0 0 0 ."
dnssec_rr example.test "_5269._tcp.nodirect.example.test. 300 IN TLSA 3 1 1 $old"
# "." for s2s: no service, nothing to check
dnssec_rr example.test "_xmpp-server._tcp.noservice.example.test. 300 IN SRV 0 0 0 ."
dnssec_rr example.test "_5269._tcp.noservice.example.test. 300 IN TLSA 3 1 1 $old"
dnssec_sign example.test
dnssec_zone hosting.test
dnssec_rr hosting.test "_5270._tcp.s2s.hosting.test. 600 IN TLSA 3 1 1 $old"
dnssec_rr hosting.test "_5223._tcp.s2s.hosting.test. 300 IN TLSA 3 1 1 $new"
dnssec_sign hosting.test
dnssec_zone plain.test
dnssec_rr plain.test "_xmpp-server._tcp.xmpp.plain.test. 300 IN SRV 0 5 5270 s2s.hosting.test."
dnssec_start
I="s2sguard-inspect --ca-file $P/root.pem --resolver $DNSSEC_RESOLVER --trust-anchor $DNSSEC_ANCHORS --previous $P/leaf-both.fullchain.pem"

expect_exit 4 $I --dane xmpp.example.test "$P/rotated.fullchain.pem" > "$T/out"
assert_grep '^DANE xmpp.example.test: matches-deployed-only' "$T/out"
assert_grep '_5270\._tcp\.s2s\.hosting\.test +secure +600 +matches-deployed-only' "$T/out"
assert_grep '_5223\._tcp\.s2s\.hosting\.test +secure +(29[0-9]|300) +matches-new' "$T/out"
assert_grep 'via SRV _xmpp-server\._tcp\.xmpp\.example\.test' "$T/out"
assert_grep "_5270\._tcp\.s2s\.hosting\.test\. IN TLSA 3 1 1 $new" "$T/out"
assert_grep '2 x 600 s' "$T/out"
assert_no_grep '_5269\._tcp' "$T/out"

expect_exit 0 $I --dane xmpp.plain.test --json "$P/rotated.fullchain.pem" > "$T/plain.json"
python3 - "$T/plain.json" <<'PY' || fail "unsigned SRV"
import json, sys
d = json.load(open(sys.argv[1]))["dane"][0]
assert d["verdict"] == "insecure", d
n = d["names"]
assert len(n) == 1 and n[0]["name"] == "_xmpp-server._tcp.xmpp.plain.test", n
assert "not DNSSEC-signed" in n[0]["why"], n
PY

expect_exit 4 $I --dane nodirect.example.test --dane noservice.example.test --json \
	"$P/rotated.fullchain.pem" > "$T/dot.json"
python3 - "$T/dot.json" <<'PY' || fail "SRV target ."
import json, sys
a, b = json.load(open(sys.argv[1]))["dane"]
assert [n["name"] for n in a["names"]] == ["_5269._tcp.nodirect.example.test"], a
assert a["verdict"] == "matches-deployed-only", a
assert b["names"] == [] and b["verdict"] == "no-tlsa", b
PY

# both domains in one run: one table each, the worst decides the exit
expect_exit 4 $I --dane xmpp.plain.test --dane xmpp.example.test --json \
	"$P/rotated.fullchain.pem" > "$T/both.json"
python3 - "$T/both.json" <<'PY' || fail "two domains"
import json, sys
r = json.load(open(sys.argv[1]))
assert [d["verdict"] for d in r["dane"]] == ["insecure", "matches-deployed-only"], r["dane"]
assert r["exit"] == 4
PY
say ok
