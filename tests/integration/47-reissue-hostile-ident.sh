#!/bin/sh
# The ACME server is not trusted with names: an authorization whose
# identifier is not one of the ordered names ("xmpp.example.test$(id)\nevil",
# or just another domain) fails the order with one line naming it, before
# any challenge hook runs or any webroot file is written. Real pebble's
# authorizations, a wildcard one included (RFC 8555 7.1.4: "example.test"
# with "wildcard": true for an ordered "*.Example.test"), still pass.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/fakeacme.sh"
. "$TOP/tests/peers/pebble.sh"
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

# pebble: an order for *.Example.test and example.test, solved by dns-01.
pebble_start
pebble_root "$T/pebble-root.pem"
cat > "$T/dns-hook.sh" <<'HOOK'
#!/bin/sh
echo "$1 $2 $3" >> "$HOOK_LOG"
[ "$2" = dns-01 ] || exit 1
case $1 in
begin) curl -sf -X POST -d "{\"host\":\"_acme-challenge.$3.\",\"value\":\"$5\"}" "$PEBBLE_CHALL_MGMT/set-txt" ;;
done|failed) curl -sf -X POST -d "{\"host\":\"_acme-challenge.$3.\"}" "$PEBBLE_CHALL_MGMT/clear-txt" ;;
esac
HOOK
chmod 755 "$T/dns-hook.sh"
export HOOK_LOG="$T/dns-hook.log"
expect_exit 0 s2sguard-reissue --server "$PEBBLE_DIR" --tls-ca-file "$PEBBLE_TLS_CA" \
	--ca-file "$T/pebble-root.pem" --account-key "$T/account.pem" --agree-tos --timeout 120 \
	--key "$P/leaf-both.key" --domain '*.Example.test' --domain example.test \
	--challenge-hook "$T/dns-hook.sh" --out-fullchain "$T/out/wild.pem" > /dev/null 2> "$T/wild.err"
[ "$(grep -c '^done dns-01 example.test$' "$HOOK_LOG")" -eq 2 ] ||
	fail "want two dns-01 authorizations for example.test: $(cat "$HOOK_LOG")"
openssl x509 -in "$T/out/wild.pem" -noout -ext subjectAltName | grep -qi 'DNS:\*\.example\.test' ||
	fail "the certificate lacks the wildcard name"
say "pebble: the wildcard and the plain authorization for example.test are accepted"
