#!/bin/sh
# SIGKILL the hook at random points while it deploys (alternating two
# renewals into a Prosody-style cert/key pair and into an ejabberd PEM):
# after every kill the server's paths hold a complete pair whose key
# matches the certificate, old or new, never a mix or a partial file.
. "$(dirname "$0")/../lib.sh"
P=$(pki)
mkdir -p "$T/srv"
cat > "$T/s2sguard.conf" <<CONF
[s2sguard]
state_dir = $T/state
ca_file = $P/root.pem

[domain xmpp.example.test]
target = files
cert = $T/srv/x.crt
key = $T/srv/x.key
probe = never

[domain conference.xmpp.example.test]
target = files
pem = $T/srv/c.pem
probe = never
CONF
# matches CERT KEY: the key belongs to the certificate (both readable, complete)
matches() {
	a=$(openssl x509 -in "$1" -noout -pubkey 2>/dev/null | sha256sum) || return 1
	b=$(openssl pkey -in "$2" -pubout 2>/dev/null | sha256sum) || return 1
	[ -n "$a" ] && [ "$a" = "$b" ] && openssl pkey -in "$2" -noout 2>/dev/null
}
i=0 kills=0 complete=
while [ $i -lt 80 ]; do
	if [ $((i / 2 % 2)) -eq 0 ]; then leaf=leaf-both; else leaf=leaf-p384; fi
	if [ $((i % 2)) -eq 0 ]; then dom=xmpp.example.test; else dom=conference.xmpp.example.test; fi
	s2sguard-hook --config "$T/s2sguard.conf" --quiet --cert "$P/$leaf.fullchain.pem" \
		--key "$P/$leaf.key" --domain $dom >/dev/null 2>&1 &
	pid=$!
	# 0 to 30 ms: inside the deploy more often than not (a run takes ~20 ms)
	sleep "0.0$(shuf -i 0-30 -n 1 | sed 's/^\(.\)$/0\1/')"
	kill -9 $pid 2>/dev/null && kills=$((kills + 1))
	wait $pid 2>/dev/null || true
	if [ -e "$T/srv/x.crt" ] && [ -e "$T/srv/x.key" ]; then
		complete=1
		matches "$T/srv/x.crt" "$T/srv/x.key" || fail "round $i: x.crt and x.key do not match"
	elif [ -n "$complete" ]; then
		fail "round $i: a deployed pair lost a file"
	fi
	# (before the first complete deploy, a kill between the two links may
	# leave one of them: never a mismatch, and the next run completes it)
	if [ -e "$T/srv/c.pem" ]; then
		matches "$T/srv/c.pem" "$T/srv/c.pem" || fail "round $i: c.pem is not a complete matching pair"
	fi
	i=$((i + 1))
done
[ -n "$complete" ] && [ -e "$T/srv/c.pem" ] || fail "never deployed"
say "$kills of $i runs killed, the pair always matched"
