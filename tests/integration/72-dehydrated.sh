#!/bin/sh
# dehydrated 0.7 calls the hook for real: the self-test and every other
# verb (startup_hook, deploy_challenge, ...) exit 0 with no output, so
# dehydrated carries on; deploy_cert deploys pebble's certificate (it keeps
# clientAuth) into the configured target and reloads.
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
echo "\$1" >> $T/verbs
exec s2sguard-hook --config $T/s2sguard.conf "\$@"
SH
chmod 755 "$T/hook.sh"
cat > "$T/dehydrated.conf" <<CONF
CA="$PEBBLE_DIR"
CURL_OPTS="--cacert $PEBBLE_TLS_CA"
BASEDIR="$T/dehydrated"
WELLKNOWN="$T/www/.well-known/acme-challenge"
HOOK="$T/hook.sh"
CHALLENGETYPE="http-01"
KEY_ALGO=prime256v1
CONF
dehydrated -f "$T/dehydrated.conf" --register --accept-terms > "$T/d1.log" 2>&1 || { cat "$T/d1.log"; fail "register"; }
dehydrated -f "$T/dehydrated.conf" -c -d xmpp.example.test > "$T/d2.log" 2>&1 || { cat "$T/d2.log"; fail "dehydrated -c"; }
cat "$T/d2.log"
grep -q deploy_cert "$T/verbs" || fail "deploy_cert never reached the hook"
grep -q deploy_challenge "$T/verbs" || fail "no other verb reached the hook"
cmp -s "$T/srv/xmpp.example.test.crt" "$T/dehydrated/certs/xmpp.example.test/fullchain.pem" || fail "not deployed"
cmp -s "$T/srv/xmpp.example.test.key" "$T/dehydrated/certs/xmpp.example.test/privkey.pem" || fail "key not deployed"
[ "$(cat "$T/reloads")" = reloaded ] || fail "not reloaded once"
# the other verbs print nothing (dehydrated takes generate_csr's stdout as a CSR)
out=$(s2sguard-hook --config "$T/s2sguard.conf" deploy_challenge xmpp.example.test tok val 2>&1)
[ -z "$out" ] || fail "deploy_challenge printed: $out"
out=$(s2sguard-hook this_hookscript_is_broken__dehydrated_is_working_fine__please_ignore_unknown_hooks_in_your_script 2>&1)
[ -z "$out" ] || fail "self-test printed: $out"
say ok
