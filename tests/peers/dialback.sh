# tests/peers/dialback.sh: what the probe says about a peer's dialback,
# beside what a real stanza from our Prosody did (tests 28, 29). Sourced
# after tests/lib.sh and tests/peers/prosody.sh. Our domain is
# xmpp.example.test, presenting $P/leaf-server (serverAuth only); DB_DNS
# is the port of the test unbound that resolves every server.
#
#   dialback_verdict PEER
#       s2sguard-probe's verdict for PEER (its JSON in $T/PEER.json).
#   dialback_delivered HOMEDIR PEER
#       "delivered" when an XEP-0199 ping from our Prosody (HOMEDIR) to
#       PEER gets its pong, else "not delivered" (output in $T/ping.out).
#   dialback_check HOMEDIR LABEL PEER VERDICT DELIVERY
#       Both, a row in $T/table, and the test fails unless they are
#       VERDICT and DELIVERY.

dialback_verdict() {
	s2sguard-probe --from xmpp.example.test --ca-file "$P/root.pem" \
		--resolver "127.0.0.1@$DB_DNS" --timeout 10 --json \
		--cert "$P/leaf-server.fullchain.pem" --key "$P/leaf-server.key" \
		"$1" > "$T/$1.json" || true
	python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["probes"][0]; print(p["verdict"])' \
		"$T/$1.json"
}

dialback_delivered() {
	prosody_ctl "$1" shell "xmpp:ping('xmpp.example.test', '$2', 15)" > "$T/ping.out" 2>&1 || true
	if grep -q 'pong from' "$T/ping.out"; then echo delivered; else echo "not delivered"; fi
}

dialback_check() {
	_dbc_v=$(dialback_verdict "$3")
	_dbc_d=$(dialback_delivered "$1" "$3")
	printf '%-28s %-20s %s\n' "$2" "$_dbc_v" "$_dbc_d" >> "$T/table"
	say "$2: probe says $_dbc_v; the real ping was $_dbc_d"
	[ "$_dbc_d" = "$5" ] || fail "$2: ping $_dbc_d, expected $5: $(cat "$T/ping.out")"
	[ "$_dbc_v" = "$4" ] || fail "$2: probe says $_dbc_v, expected $4: $(cat "$T/$3.json")"
}
