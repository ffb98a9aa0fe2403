#!/bin/sh
# served-certificate with a real Prosody as the local server, reading
# s2sguard's target: every endpoint (s2s STARTTLS, direct TLS, c2s) presents
# the deployed certificate: ok. After a deploy whose reload command reloads
# nothing, Prosody still presents the certificate deployed before: fail,
# saying the reload did not take; after a real reload (SIGHUP): ok again.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/prosody.sh"
need_cmd prosody s2sguard-doctor s2sguard-hook
P=$(pki)
s2s=$(free_port) dtls=$(free_port) c2s=$(free_port)
prosody_start "$T/own" xmpp.example.test "$s2s" --direct-tls "$dtls" --c2s "$c2s" \
	--cert "$P/leaf-both.fullchain.pem" --key "$P/leaf-both.key"
mkdir -p "$T/root"
cat > "$T/s2sguard.conf" <<CONF
[s2sguard]
state_dir = $T/state
ca_file = $P/root.pem
dane = off

[domain xmpp.example.test]
target = prosody
certs_dir = $T/own/pki
group = prosody
reload = true
# the served check retries within it: the reload that reloads nothing
# costs these seconds, not the default 60
reload_timeout = 6
policy = warn
probe = never
peers = pr.peer.test
server = 127.0.0.1:$s2s 127.0.0.1:$dtls/tls 127.0.0.1:$c2s/c2s
CONF
served() {
	set +e
	s2sguard-doctor --config "$T/s2sguard.conf" --root "$T/root" --json > "$T/d.json"
	set -e
	python3 -c 'import json,sys
c=[c for c in json.load(open(sys.argv[1]))["checks"] if c["name"]=="served-certificate"][0]
print(c["status"] + "|" + c["detail"] + "|" + c["fix"])' "$T/d.json"
}
r=$(served)
say "before: $r"
case $r in "ok|3 endpoint(s) present the certificate in $T/own/pki/xmpp.example.test.crt"*) ;; *) fail "before: $r" ;; esac

# a renewal deployed, but the reload command reloads nothing
expect_exit 1 s2sguard-hook --config "$T/s2sguard.conf" --cert "$P/leaf-server.fullchain.pem" \
	--key "$P/leaf-server.key" --domain xmpp.example.test > "$T/hook.log" 2>&1
cmp -s "$T/own/pki/xmpp.example.test.crt" "$P/leaf-server.fullchain.pem" || fail "not deployed"
r=$(served)
say "no reload: $r"
case $r in "fail|"*"presents the certificate deployed before"*"the reload did not make the server use the new certificate"*) ;;
*) fail "after a reload that did nothing: $r" ;; esac

# a real reload
kill -HUP "$(cat "$T/own/prosody.pid")"
n=50
until case $(served) in ok*) true ;; *) false ;; esac; do
	n=$((n - 1)); [ "$n" -gt 0 ] || fail "after SIGHUP: $(served)"
	sleep 0.2
done
say "after SIGHUP: $(served)"
