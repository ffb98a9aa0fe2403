#!/bin/sh
# served-certificate when the local Prosody reads certbot's live/ instead
# of s2sguard's target (the mistake that makes every hold a fiction): a
# real certbot lineage from pebble, Prosody's VirtualHost pointed at
# live/xmpp.example.test/, s2sguard's target holding another certificate.
# The doctor fails and names certbot's file; pointed at the target, ok.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/pebble.sh"
. "$TOP/tests/peers/certbot.sh"
. "$TOP/tests/peers/prosody.sh"
need_cmd prosody certbot s2sguard-doctor
certbot_setup
P=$(pki)
certbot_run certonly -d xmpp.example.test > "$T/c1.log" 2>&1 || { cat "$T/c1.log"; fail "certbot certonly"; }
live=$T/certbot/etc/live/xmpp.example.test
# as admins do so that Prosody can read certbot's key
chmod 0755 "$T/certbot" "$T/certbot/etc" "$T/certbot/etc/live" "$T/certbot/etc/archive"
chgrp -R prosody "$T/certbot/etc/archive/xmpp.example.test"
chmod 0750 "$T/certbot/etc/archive/xmpp.example.test"
chmod 0640 "$T/certbot/etc/archive/xmpp.example.test/privkey1.pem"

# s2sguard's target holds another certificate for the domain
mkdir -p "$T/srv" "$T/root/etc"
cp "$P/leaf-both.fullchain.pem" "$T/srv/xmpp.example.test.crt"
cp "$P/leaf-both.key" "$T/srv/xmpp.example.test.key"
chgrp -R prosody "$T/srv"; chmod 0750 "$T/srv"; chmod 0640 "$T/srv/xmpp.example.test.key"
ln -s "$T/certbot/etc" "$T/root/etc/letsencrypt"

# Prosody reading certbot's live/ files
s2s=$(free_port)
prosody_start "$T/own" xmpp.example.test "$s2s" --ca "$CERTBOT_ROOTS" \
	--cert "$live/fullchain.pem" --key "$live/privkey.pem"
cfg=$T/own/prosody.cfg.lua
sed -i "s|certificate = \"[^\"]*\"; key = \"[^\"]*\"|certificate = \"$live/fullchain.pem\"; key = \"$live/privkey.pem\"|" "$cfg"
assert_grep "certificate = \"$live/fullchain.pem\"" "$cfg"
kill -HUP "$(cat "$T/own/prosody.pid")"

cat > "$T/s2sguard.conf" <<CONF
[s2sguard]
state_dir = $T/state
ca_file = $CERTBOT_ROOTS
dane = off

[domain xmpp.example.test]
target = prosody
certs_dir = $T/srv
group = prosody
reload = kill -HUP \$(cat $T/own/prosody.pid)
peers = pr.peer.test
server = 127.0.0.1:$s2s
CONF
served() {
	set +e
	s2sguard-doctor --config "$T/s2sguard.conf" --root "$T/root" --json > "$T/d.json"
	rc=$?
	set -e
	python3 -c 'import json,sys
c=[c for c in json.load(open(sys.argv[1]))["checks"] if c["name"]=="served-certificate"][0]
print(c["status"] + "|" + c["detail"] + "|" + c["fix"])' "$T/d.json"
}
r=$(served)
say "Prosody reads live/: $r"
case $r in "fail|s2s-starttls 127.0.0.1:$s2s presents /etc/letsencrypt/live/xmpp.example.test/cert.pem: the server reads the ACME client's files: a hold cannot hold|point the server's certificate at s2sguard's target ($T/srv/xmpp.example.test.crt)"*) ;;
*) fail "live/: $r" ;; esac
expect_exit 2 s2sguard-doctor --config "$T/s2sguard.conf" --root "$T/root" > /dev/null

# the fix: Prosody reads s2sguard's target
sed -i "s|certificate = \"[^\"]*\"; key = \"[^\"]*\"|certificate = \"$T/srv/xmpp.example.test.crt\"; key = \"$T/srv/xmpp.example.test.key\"|" "$cfg"
kill -HUP "$(cat "$T/own/prosody.pid")"
n=50
until case $(served) in ok*) true ;; *) false ;; esac; do
	n=$((n - 1)); [ "$n" -gt 0 ] || fail "pointed at the target: $(served)"
	sleep 0.2
done
say "pointed at the target: $(served)"
