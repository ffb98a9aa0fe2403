#!/bin/sh
# Real dehydrated with two certificates in domains.txt: web.example.test,
# which s2sguard is not configured for, first, then xmpp.example.test.
# dehydrated aborts its whole run on a non-zero deploy_cert hook, so the
# hook exits 0 for "not configured" (and for held, warned) toward it:
# both certificates are processed and xmpp.example.test is deployed.
# With exit_codes = detailed, the detailed 4 stops dehydrated after the
# first certificate, as documented.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/pebble.sh"
need_cmd dehydrated
PEBBLE_WFE_NONCEREJECT=0 pebble_start
pebble_serve_webroot "$T/www"
pebble_root "$T/pebble-root.pem"
mkdir -p "$T/srv" "$T/www/.well-known/acme-challenge" "$T/dehydrated"
cat > "$T/s2sguard.conf" <<CONF
[s2sguard]
state_dir = $T/state
ca_file = $T/pebble-root.pem

[domain xmpp.example.test]
target = prosody
certs_dir = $T/srv
reload = echo reloaded >> $T/reloads
CONF
cat > "$T/hook.sh" <<SH
#!/bin/sh
[ "\$1" = deploy_cert ] && echo "\$2" >> $T/deployed
s2sguard-hook --config $T/s2sguard.conf "\$@"
rc=\$?
[ "\$1" = deploy_cert ] && echo "\$2 \$rc" >> $T/status
exit \$rc
SH
chmod 755 "$T/hook.sh"
printf 'web.example.test\nxmpp.example.test\n' > "$T/dehydrated/domains.txt"
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
[ "$(cat "$T/deployed" | tr '\n' ' ')" = "web.example.test xmpp.example.test " ] ||
	fail "deploy_cert ran for: $(cat "$T/deployed" | tr '\n' ' ')"
grep -qx 'web.example.test 0' "$T/status" || fail "the unconfigured certificate did not exit 0"
cmp -s "$T/srv/xmpp.example.test.crt" "$T/dehydrated/certs/xmpp.example.test/fullchain.pem" ||
	fail "xmpp.example.test not deployed"
[ "$(cat "$T/reloads")" = reloaded ] || fail "not reloaded once"
[ ! -e "$T/srv/web.example.test.crt" ] || fail "the unconfigured certificate was deployed"

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
