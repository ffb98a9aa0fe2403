#!/bin/sh
# The ACME server is not trusted with names: an authorization whose
# identifier is not one of the ordered names ("xmpp.example.test$(id)\nevil",
# or just another domain) fails the order with one line naming it, before
# any challenge hook runs or any webroot file is written.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/fakeacme.sh"
P=$(pki)
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/account.pem" 2>/dev/null
mkdir "$T/out" "$T/www"
cat > "$T/hook.sh" <<HOOK
#!/bin/sh
printf '%s|' "\$@" >> "$T/hook-called"
printf 'ident=%s\n' "\$UACME_IDENT" >> "$T/hook-called"
exit 0
HOOK
chmod 755 "$T/hook.sh"

reissue() {	# reissue MODE EXIT [extra options]
	_mode=$1 _want=$2; shift 2
	fakeacme_start "$_mode"
	expect_exit "$_want" s2sguard-reissue --server "$FAKE_DIR" --tls-ca-file "$FAKE_TLS_CA" \
		--ca-file "$P/root.pem" --account-key "$T/account.pem" --agree-tos \
		--cert "$P/leaf-both.pem" --key "$P/leaf-both.key" \
		--out-fullchain "$T/out/fullchain.pem" --timeout 20 "$@" > "$T/$_mode.out" 2> "$T/$_mode.err"
}

nothing_done() {	# nothing_done MODE PATTERN
	[ ! -e "$T/hook-called" ] || fail "$1: the challenge hook ran: $(cat "$T/hook-called")"
	grep -qF -- "$2" "$T/$1.err" || fail "$1: '$2' not in: $(cat "$T/$1.err")"
	[ "$(wc -l < "$T/$1.err")" -eq 1 ] || fail "$1: not one line: $(cat "$T/$1.err")"
	[ -z "$(ls -A "$T/out")" ] || fail "$1: files written: $(ls -A "$T/out")"
	[ -z "$(ls -A "$T/www")" ] || fail "$1: webroot written: $(find "$T/www")"
	! grep -q '"/chall/' "$FAKE_LOG" || fail "$1: a challenge was answered"
	! grep -q '"/finalize/' "$FAKE_LOG" || fail "$1: the order was finalized"
	say "$1: $(cat "$T/$1.err")"
}

reissue hostileident 1 --challenge-hook "$T/hook.sh"
nothing_done hostileident 'authorization for "xmpp.example.test$(id)\nevil", which is not a name of this order'
reissue hostileident 1 --webroot "$T/www"
nothing_done hostileident 'which is not a name of this order'
reissue otherident 1 --challenge-hook "$T/hook.sh"
nothing_done otherident 'authorization for "other.example.test", which is not a name of this order'

# A CA that names what was ordered, in another letter case, still issues.
reissue casefold 0 --challenge-hook "$T/hook.sh"
grep -q '"/authz/0"' "$FAKE_LOG" || fail "casefold: the authorization was not fetched"
[ -s "$T/out/fullchain.pem" ] || fail "casefold: nothing installed"
say "casefold: authorizations naming the ordered names (upper case) are accepted"
