#!/bin/sh
# acme.sh's reload command "s2sguard-hook -- RELOAD..." with the
# configuration gone (package removed, file deleted): the hook runs the
# wrapped reload alone and exits with its status, so the server is still
# reloaded after a renewal and a failing reload still shows as one.
# Without "--" a missing --config file stays an error (3).
. "$(dirname "$0")/../lib.sh"
P=$(pki)
d=$T/acme/xmpp.example.test_ecc
mkdir -p "$d"
cat "$P/leaf-server.pem" > "$d/xmpp.example.test.cer"
cat "$P/leaf-server.key" > "$d/xmpp.example.test.key"
cat "$P/leaf-server.chain.pem" > "$d/ca.cer"
cat "$P/leaf-server.fullchain.pem" > "$d/fullchain.cer"
# acmesh_reload RELOADCMD: acme.sh's way of running its reload command
acmesh_reload() {
	(
		cd "$d"
		export CERT_PATH="$d/xmpp.example.test.cer" CERT_KEY_PATH="$d/xmpp.example.test.key" \
			CA_CERT_PATH="$d/ca.cer" CERT_FULLCHAIN_PATH="$d/fullchain.cer" \
			Le_Domain=xmpp.example.test DOMAIN_PATH="$d" LE_WORKING_DIR="$T/acme"
		eval "$1"
	)
}
set +e
acmesh_reload "s2sguard-hook --config $T/gone.conf -- sh -c 'echo reloaded >> $T/reloads'" > "$T/a1.log" 2>&1
rc=$?
set -e
cat "$T/a1.log"
[ "$rc" -eq 0 ] || fail "exit $rc, want the wrapped reload's 0"
[ "$(cat "$T/reloads")" = reloaded ] || fail "the wrapped reload did not run once"
assert_grep "no $T/gone.conf: running the wrapped command" "$T/a1.log"
[ ! -e "$T/state" ] || fail "wrote state without a configuration"

set +e
acmesh_reload "s2sguard-hook --config $T/gone.conf -- sh -c 'echo failed >> $T/reloads; exit 7'" > "$T/a2.log" 2>&1
rc=$?
set -e
[ "$rc" -eq 7 ] || fail "exit $rc, want the wrapped reload's 7"
[ "$(sed -n 2p "$T/reloads")" = failed ] || fail "the failing reload did not run"

expect_exit 3 s2sguard-hook --config "$T/gone.conf" --cert "$P/leaf-server.fullchain.pem" \
	--key "$P/leaf-server.key" --domain xmpp.example.test > "$T/a3.log" 2>&1
assert_grep 'gone.conf' "$T/a3.log"
say ok
