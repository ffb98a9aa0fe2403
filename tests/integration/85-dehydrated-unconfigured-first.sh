#!/bin/sh
# Real dehydrated with three certificates in domains.txt: web.example.test,
# which s2sguard is not configured for, first; held.example.test, whose
# renewal loses clientAuth (re-signed serverAuth-only by the hook script)
# and is held under policy hold; then xmpp.example.test. dehydrated aborts
# its whole run on a non-zero deploy_cert hook, so the hook exits 0 toward
# it for not configured (detailed 4) and held (detailed 2): all three are
# processed and xmpp.example.test is deployed.
# With exit_codes = detailed, the detailed 4 stops dehydrated after the
# first certificate, as documented.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/pebble.sh"
need_cmd dehydrated
PEBBLE_WFE_NONCEREJECT=0 pebble_start
pebble_serve_webroot "$T/www"
pebble_root "$T/pebble-root.pem"
W=$(pki_copy)
sh "$TOP/tests/pki/mkpki.sh" leaf "$W" held --domain held.example.test
cat "$T/pebble-root.pem" "$W/root.pem" > "$T/roots.pem"
mkdir -p "$T/srv" "$T/www/.well-known/acme-challenge" "$T/dehydrated"
cat > "$T/s2sguard.conf" <<CONF
[s2sguard]
state_dir = $T/state
ca_file = $T/roots.pem

[domain xmpp.example.test]
target = prosody
certs_dir = $T/srv
reload = echo reloaded >> $T/reloads

[domain held.example.test]
target = prosody
certs_dir = $T/srv
policy = hold
probe = never
reload = echo reloaded held >> $T/reloads
CONF
# held.example.test is deployed already (serverAuth and clientAuth)
expect_exit 0 s2sguard-hook --config "$T/s2sguard.conf" --quiet \
	--cert "$W/held.fullchain.pem" --key "$W/held.key" --domain held.example.test
held_before=$(sha256sum < "$T/srv/held.example.test.crt")
rm "$T/reloads"
cat > "$T/hook.sh" <<SH
#!/bin/sh
[ "\$1" = deploy_cert ] && echo "\$2" >> $T/deployed
if [ "\$1" = deploy_cert ] && [ "\$2" = held.example.test ]; then
	# the renewal lost clientAuth, as a 2026 Let's Encrypt renewal does
	sh $TOP/tests/pki/mkpki.sh resign $W "\$(realpath "\$4")" "\$(realpath "\$3")" so --issuer inter-server
	cat $W/so.fullchain.pem > "\$(realpath "\$5")"
fi
s2sguard-hook --config $T/s2sguard.conf "\$@"
rc=\$?
[ "\$1" = deploy_cert ] && echo "\$2 \$rc" >> $T/status
exit \$rc
SH
chmod 755 "$T/hook.sh"
printf 'web.example.test\nheld.example.test\nxmpp.example.test\n' > "$T/dehydrated/domains.txt"
cat > "$T/dehydrated.conf" <<CONF
CA="$PEBBLE_DIR"
CURL_OPTS="--cacert $PEBBLE_TLS_CA"
BASEDIR="$T/dehydrated"
DOMAINS_TXT="$T/dehydrated/domains.txt"
WELLKNOWN="$T/www/.well-known/acme-challenge"
HOOK="$T/hook.sh"
CHALLENGETYPE="http-01"
KEY_ALGO=prime256v1
CONF
dehydrated -f "$T/dehydrated.conf" --register --accept-terms > "$T/d1.log" 2>&1 || { cat "$T/d1.log"; fail "register"; }
dehydrated -f "$T/dehydrated.conf" -c > "$T/d2.log" 2>&1 || { cat "$T/d2.log"; fail "dehydrated -c exited non-zero"; }
cat "$T/d2.log"
cat "$T/status"
[ "$(cat "$T/deployed" | tr '\n' ' ')" = "web.example.test held.example.test xmpp.example.test " ] ||
	fail "deploy_cert ran for: $(cat "$T/deployed" | tr '\n' ' ')"
[ "$(cat "$T/status" | tr '\n' ' ')" = "web.example.test 0 held.example.test 0 xmpp.example.test 0 " ] ||
	fail "statuses toward dehydrated: $(cat "$T/status" | tr '\n' ' ')"
# the detailed outcomes stay in the reports
for dn in web.example.test:4 held.example.test:2 xmpp.example.test:0; do
	r=$(ls "$T/state/reports/"*-"${dn%:*}"-hook.json | tail -n 1)
	python3 -c 'import json,sys; r = json.load(open(sys.argv[1])); assert r["exit"] == int(sys.argv[2]), (sys.argv[1], r["exit"])' \
		"$r" "${dn#*:}"
done
[ "$(sha256sum < "$T/srv/held.example.test.crt")" = "$held_before" ] || fail "the held renewal was deployed"
[ -f "$T/state/held.example.test/pending/cert.pem" ] || fail "held.example.test: nothing pending"
cmp -s "$T/srv/xmpp.example.test.crt" "$T/dehydrated/certs/xmpp.example.test/fullchain.pem" ||
	fail "xmpp.example.test not deployed"
[ "$(cat "$T/reloads")" = reloaded ] || fail "not reloaded exactly once (xmpp.example.test only)"
[ ! -e "$T/srv/web.example.test.crt" ] || fail "the unconfigured certificate was deployed"
# dehydrated runs its hooks under umask 077: the server's account still
# reads the pair s2sguard deployed (issue 13.1)
for f in xmpp.example.test.crt xmpp.example.test.key; do
	as_user prosody cat "$T/srv/$f" > /dev/null 2>"$T/err" ||
		fail "prosody cannot read $f deployed under dehydrated: $(cat "$T/err")"
done

# exit_codes = detailed: the 4 of the unconfigured certificate stops dehydrated
sed -i 's/^\[s2sguard\]$/[s2sguard]\nexit_codes = detailed/' "$T/s2sguard.conf"
rm -f "$T/deployed" "$T/status"
set +e
dehydrated -f "$T/dehydrated.conf" -c -x > "$T/d3.log" 2>&1
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "dehydrated exited 0 although the hook exited 4 (exit_codes = detailed)"
[ "$(cat "$T/status")" = "web.example.test 4" ] || fail "want only 'web.example.test 4', got: $(cat "$T/status")"
say ok
