#!/bin/sh
# s2sguard-inspect says what each peer family does with a one-sided chain:
# a serverAuth-only chain (Let's Encrypt since 2026) is refused by the
# client-purpose family (ejabberd < 25.07 unpatched, Metronome) and exits 1;
# a clientAuth-only chain is refused by the server-purpose family (Prosody,
# ejabberd >= 25.07, Debian 13's ejabberd) and is no TLS server certificate
# at all: exit 2, never 0. Text and JSON say the same.
. "$(dirname "$0")/../lib.sh"
P=$(pki)
I="s2sguard-inspect --ca-file $P/root.pem --domain xmpp.example.test"

# line FAMILY: the verdict line of that family in $T/out
family_line() { grep -E "^  $1 purpose +" "$T/out" || fail "no '$1 purpose' line in: $(cat "$T/out")"; }

expect_exit 1 $I "$P/leaf-server.fullchain.pem" > "$T/out"
family_line client | grep -q 'REFUSES: leaf CN = xmpp.example.test has EKU serverAuth without clientAuth' ||
	fail "serverAuth-only: client purpose not refused: $(family_line client)"
family_line server | grep -qE 'purpose +accepts$' || fail "serverAuth-only: $(family_line server)"
assert_grep 'ejabberd < 25.07 unpatched.*Metronome' "$T/out"
assert_grep '^Verdict: server-only' "$T/out"

expect_exit 1 $I "$P/leaf-both-under-server.fullchain.pem" > "$T/out"
family_line client | grep -q 'REFUSES: CA certificate CN = s2sguard test inter-server' ||
	fail "serverAuth-only intermediate not named: $(family_line client)"

expect_exit 2 $I "$P/leaf-client.fullchain.pem" > "$T/out"
family_line client | grep -qE 'purpose +accepts$' || fail "clientAuth-only: $(family_line client)"
family_line server | grep -q 'REFUSES: leaf CN = xmpp.example.test has EKU clientAuth without serverAuth' ||
	fail "clientAuth-only: server purpose not refused: $(family_line server)"
assert_grep "Prosody 0.12 and 13" "$T/out"
assert_grep '^Verdict: invalid: not usable as TLS server' "$T/out"

expect_exit 0 $I "$P/leaf-both.fullchain.pem" > "$T/out"
[ "$(grep -cE '^  (client|server) purpose +accepts$' "$T/out")" -eq 2 ] ||
	fail "both EKUs: not accepted by both families: $(cat "$T/out")"

for chain in leaf-server leaf-client leaf-both; do
	set +e; $I --json "$P/$chain.fullchain.pem" > "$T/$chain.json"; set -e
done
python3 - "$T" <<'PY'
import json, sys
t = sys.argv[1]
want = {"leaf-server": (False, True, 1), "leaf-client": (True, False, 2), "leaf-both": (True, True, 0)}
for chain, (client, server, code) in want.items():
    r = json.load(open("%s/%s.json" % (t, chain)))
    fams = {f["family"]: f for f in r["inspection"]["peer_families"]}
    assert set(fams) == {"client-purpose", "server-purpose"}, fams
    c, s = fams["client-purpose"], fams["server-purpose"]
    assert (c["accepts"], s["accepts"], r["exit"]) == (client, server, code), (chain, c, s, r["exit"])
    assert c["check"] == "X509_PURPOSE_SSL_CLIENT" and s["check"] == "X509_PURPOSE_SSL_SERVER"
    for f in (c, s):
        assert ("reason" in f) == (not f["accepts"]), (chain, f)
PY
say "one-sided chains are judged against both peer families"
