#!/bin/sh
# The federation peers other tests rely on really run: the strict ejabberd
# and the Prosody peer accept s2s STARTTLS (and direct TLS) on their ports
# and present their own test certificate, which verifies under the test root.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/ejabberd.sh"
. "$TOP/tests/peers/prosody.sh"
need_cmd openssl ejabberdctl prosody
P=$(pki)

# tls_subject MODE DOMAIN PORT: the server's leaf subject CN, after checking
# that the handshake completed and the chain verifies under root.pem.
tls_subject() {
	if [ "$1" = starttls ]; then
		set -- "$2" "$3" -starttls xmpp-server -xmpphost "$2"
	else
		set -- "$2" "$3" -servername "$2" -alpn xmpp-server
	fi
	_d=$1 _p=$2; shift 2
	echo | timeout 15 openssl s_client "$@" -connect "127.0.0.1:$_p" \
		-CAfile "$P/root.pem" -verify_hostname "$_d" >"$T/s_client.out" 2>&1 || true
	grep -q 'Verify return code: 0 (ok)' "$T/s_client.out" ||
		{ cat "$T/s_client.out"; fail "TLS to $_d on $_p did not verify"; }
	sed -n 's/^subject=.*CN *= *\([^,/]*\).*/\1/p' "$T/s_client.out" | head -n 1
}

ej_port=$(free_port) ej_dtls=$(free_port)
ejabberd_start "$T/ej" ej.peer.test "$ej_port" --direct-tls "$ej_dtls"
say "ejabberd started in ${EJABBERD_START_MS} ms"
pr_port=$(free_port) pr_dtls=$(free_port)
prosody_start "$T/pr" pr.peer.test "$pr_port" --direct-tls "$pr_dtls" --vhosts 3
say "prosody started in ${PROSODY_START_MS} ms"

[ "$(tls_subject starttls ej.peer.test "$ej_port")" = ej.peer.test ] || fail "ejabberd STARTTLS cert"
[ "$(tls_subject direct ej.peer.test "$ej_dtls")" = ej.peer.test ] || fail "ejabberd direct TLS cert"
[ "$(tls_subject starttls pr.peer.test "$pr_port")" = pr.peer.test ] || fail "prosody STARTTLS cert"
[ "$(tls_subject direct pr.peer.test "$pr_dtls")" = pr.peer.test ] || fail "prosody direct TLS cert"
# extra virtual hosts share the wildcard certificate
[ "$(tls_subject starttls vhost003.peer.test "$pr_port")" = '*.peer.test' ] || fail "prosody vhost cert"

# both ask the initiator for a client certificate (SASL EXTERNAL needs it)
echo | timeout 15 openssl s_client -starttls xmpp-server -xmpphost ej.peer.test \
	-connect "127.0.0.1:$ej_port" -cert "$P/leaf-both.pem" -key "$P/leaf-both.key" \
	-CAfile "$P/root.pem" >"$T/ccert.out" 2>&1 || true
assert_grep 'Acceptable client certificate CA names|Requested Signature Algorithms|Client Certificate Types' "$T/ccert.out"

# the helpers report what a test needs
ejabberd_ctl "$T/ej" incoming_s2s_number >"$T/n.out" 2>&1 || fail "ejabberd_ctl: $(cat "$T/n.out")"
assert_grep '^[0-9]+' "$T/n.out"
prosody_ctl "$T/pr" shell s2s show >"$T/s2s.out" 2>&1 || fail "prosody_ctl: $(cat "$T/s2s.out")"
assert_grep 'OK: 0 s2s connections shown' "$T/s2s.out"

t0=$(date +%s%3N); ejabberd_stop "$T/ej"; say "ejabberd stopped in $(( $(date +%s%3N) - t0 )) ms"
! wait_port "$ej_port" 1 || fail "ejabberd still listening after ejabberd_stop"
prosody_stop "$T/pr"
! wait_port "$pr_port" 1 || fail "prosody still listening after prosody_stop"
say ok
