#!/bin/sh
# acme-hook for dehydrated and acme.sh. dehydrated 0.7 issues a real
# certificate from pebble with HOOK set to a script that calls
# s2sguard-hook: ok; the same certificate with HOOK unset, or with a hook
# that only copies into Prosody's certificate directory: fail. acme.sh is
# not packaged: its domain conf is written as acme.sh writes it (the reload
# command base64-wrapped), and an acme.sh that reloads through
# s2sguard-hook is ok, one that reloads Prosody itself fails, and one that
# also copies into the server's files (--fullchain-file) warns.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/pebble.sh"
need_cmd dehydrated s2sguard-doctor
PEBBLE_WFE_NONCEREJECT=0 pebble_start
pebble_serve_webroot "$T/www"
R=$T/root
mkdir -p "$T/srv" "$T/www/.well-known/acme-challenge" "$T/dehydrated" "$R/etc/dehydrated/conf.d"
cat > "$T/s2sguard.conf" <<CONF
[s2sguard]
state_dir = $T/state
dane = off
[domain xmpp.example.test]
target = prosody
certs_dir = $T/srv
reload = true
peers = pr.peer.test
[domain acme.example.test]
target = files
cert = $T/srv/acme.crt
key = $T/srv/acme.key
reload = true
peers = pr.peer.test
CONF
acme() {	# acme DOMAIN -> "status|detail" of acme-hook
	set +e
	s2sguard-doctor --config "$T/s2sguard.conf" --root "$R" --domain "$1" --json > "$T/d.json"
	set -e
	python3 -c 'import json,sys
c=[c for c in json.load(open(sys.argv[1]))["checks"] if c["name"]=="acme-hook"][0]
print(c["status"] + "|" + c["detail"])' "$T/d.json"
}
# dehydrated: its hook script passes every verb to s2sguard-hook
cat > "$T/hook.sh" <<SH
#!/bin/sh
case \$1 in deploy_cert) echo "\$@" >> $T/deployed ;; esac
exit 0   # (the real hook is put in below)
SH
chmod 755 "$T/hook.sh"
cat > "$R/etc/dehydrated/config" <<CONF
CA="$PEBBLE_DIR"
CURL_OPTS="--cacert $PEBBLE_TLS_CA"
BASEDIR="$T/dehydrated"
WELLKNOWN="$T/www/.well-known/acme-challenge"
CHALLENGETYPE="http-01"
KEY_ALGO=prime256v1
CONFIG_D="$R/etc/dehydrated/conf.d"
CONF
case $(acme xmpp.example.test) in skip*) ;; *) fail "before any certificate: $(acme xmpp.example.test)" ;; esac
echo "HOOK=$T/hook.sh" > "$R/etc/dehydrated/conf.d/hook.sh"
dehydrated -f "$R/etc/dehydrated/config" --register --accept-terms > "$T/d1.log" 2>&1 || { cat "$T/d1.log"; fail "register"; }
dehydrated -f "$R/etc/dehydrated/config" -c -d xmpp.example.test > "$T/d2.log" 2>&1 || { cat "$T/d2.log"; fail "dehydrated -c"; }
[ -d "$T/dehydrated/certs/xmpp.example.test" ] && [ -s "$T/deployed" ] || fail "dehydrated did not issue and deploy"
# the script does not name s2sguard-hook yet: fail
r=$(acme xmpp.example.test)
say "hook without s2sguard: $r"
case $r in "fail|dehydrated renews it ($T/dehydrated/certs/xmpp.example.test), but HOOK=$T/hook.sh does not call s2sguard-hook"*) ;;
*) fail "hook without s2sguard: $r" ;; esac
sed -i 's|^exit 0 .*|exec s2sguard-hook "$@"|' "$T/hook.sh"
r=$(acme xmpp.example.test)
case $r in "ok|dehydrated ($T/dehydrated/certs/xmpp.example.test) calls s2sguard-hook through HOOK=$T/hook.sh") ;;
*) fail "hook with s2sguard: $r" ;; esac
rm "$R/etc/dehydrated/conf.d/hook.sh"
case $(acme xmpp.example.test) in "fail|"*"HOOK is not set"*) ;; *) fail "no HOOK: $(acme xmpp.example.test)" ;; esac

# acme.sh: /root/.acme.sh/DOMAIN_ecc/DOMAIN.conf, as acme.sh --install-cert writes it
acmesh_conf() {	# acmesh_conf RELOADCMD [FULLCHAIN_PATH]
	d=$R/root/.acme.sh/acme.example.test_ecc
	mkdir -p "$d"
	{
		echo "Le_Domain='acme.example.test'"
		echo "Le_Alt='no'"
		echo "Le_Keylength='ec-256'"
		echo "Le_RealFullChainPath='${2:-}'"
		echo "Le_ReloadCmd='__ACME_BASE64__START_$(printf '%s' "$1" | base64 -w0)__ACME_BASE64__END_'"
		echo "Le_NextRenewTime='1777777777'"
	} > "$d/acme.example.test.conf"
}
acmesh_conf "s2sguard-hook -- systemctl reload prosody"
case $(acme acme.example.test) in "ok|acme.sh (/root/.acme.sh/acme.example.test_ecc/acme.example.test.conf) reloads through s2sguard-hook") ;;
*) fail "acme.sh with the hook: $(acme acme.example.test)" ;; esac
acmesh_conf "systemctl reload prosody"
case $(acme acme.example.test) in "fail|"*"its reload command is 'systemctl reload prosody'"*) ;;
*) fail "acme.sh without the hook: $(acme acme.example.test)" ;; esac
acmesh_conf "s2sguard-hook -- systemctl reload prosody" "$T/srv/acme.crt"
case $(acme acme.example.test) in "warn|"*"Le_RealFullChainPath=$T/srv/acme.crt"*) ;;
*) fail "acme.sh copying: $(acme acme.example.test)" ;; esac
say "dehydrated and acme.sh hooks told apart"
