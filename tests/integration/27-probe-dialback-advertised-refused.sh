#!/bin/sh
# A peer that advertises dialback but does not serve it (Metronome 4.0.5
# with s2s_secure_auth and mod_dialback disabled, as measured: EXTERNAL
# refused with invalid-mechanism, <dialback><errors/></dialback> still in
# the features) is never called dialback-only: a stream error in answer to
# our <db:result/> is dialback-refused with the peer's condition, silence
# is dialback-unverified once --timeout runs out. Metronome is not packaged
# in Debian, so tests/peers/hostile.py plays it, over a real TLS session.
. "$(dirname "$0")/../lib.sh"
need_cmd python3

P=$(pki_copy)
sh "$TOP/tests/pki/mkpki.sh" leaf "$P" metronome --domain metronome.peer.test \
	--domain metronome-silent.peer.test --eku serverAuth >/dev/null 2>&1 ||
	fail "mkpki.sh leaf metronome"
python3 "$TOP/tests/peers/hostile.py" "$T/ports" --cert "$P/metronome.fullchain.pem" \
	--key "$P/metronome.key" metronome metronome-silent > "$T/hostile.log" 2>&1 &
hpid=$!
at_exit "kill $hpid"
n=100
while [ ! -f "$T/ports" ] && [ "$n" -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
[ -f "$T/ports" ] || fail "hostile peer did not start: $(cat "$T/hostile.log")"
port() { sed -n "s/^$1 //p" "$T/ports"; }

# probe MODE TIMEOUT: the serverAuth-only chain Metronome refuses, one peer
probe() {
	s2sguard-probe --from xmpp.example.test --ca-file "$P/root.pem" \
		--cert "$P/leaf-server.fullchain.pem" --key "$P/leaf-server.key" \
		--timeout "$2" --json --peer "$1.peer.test=127.0.0.1:$(port "$1")"
}

# check JSON VERDICT DBCONDITION REASON-WORDS
check() {
	python3 - "$@" <<'PY'
import json, sys
path, verdict, dbcond, words = sys.argv[1:]
r = json.load(open(path))
p = r["probes"][0]
db = p["dialback"] or {}
print("%s: %s: %s" % (p["peer"], p["verdict"], p["reason"]))
bad = []
if p["verdict"] == "dialback-only":
    bad.append("dialback-only for a peer that does not serve dialback")
if p["verdict"] != verdict:
    bad.append("verdict %s, want %s" % (p["verdict"], verdict))
if p["peer_cert"] != "trusted":
    bad.append("peer_cert %s: the TLS session is not the real one" % p["peer_cert"])
if not (p["features"]["external"] and p["features"]["dialback"]):
    bad.append("features not seen: %s" % p["features"])
if p["condition"] != "invalid-mechanism":
    bad.append("SASL condition %r" % p["condition"])
if db.get("result") != "none" or db.get("condition", "") != dbcond:
    bad.append("dialback %s, want result none, condition %r" % (db, dbcond))
if words not in p["reason"] or "invalid-mechanism" not in p["reason"]:
    bad.append("reason lacks %r" % words)
if r["exit"] != 1:
    bad.append("exit %s in the JSON" % r["exit"])
if bad:
    sys.exit("; ".join(bad))
PY
}

# metronome: stream error unsupported-stanza-type for our <db:result/>
expect_exit 1 probe metronome 5 > "$T/metronome.json"
check "$T/metronome.json" dialback-refused unsupported-stanza-type \
	"dialback refused: stream error unsupported-stanza-type" ||
	fail "metronome: $(cat "$T/metronome.json")"

# metronome-silent: no answer; unverified when the 2 s per peer run out
expect_exit 1 probe metronome-silent 2 > "$T/silent.json"
check "$T/silent.json" dialback-unverified "" \
	"dialback unverified: no answer to our request within the deadline" ||
	fail "metronome-silent: $(cat "$T/silent.json")"
