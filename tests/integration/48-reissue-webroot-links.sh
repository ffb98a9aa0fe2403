#!/bin/sh
# The webroot is written without following links. The webroot's owner (a
# real unprivileged user here) plants .well-known, or
# .well-known/acme-challenge, as a symbolic link to a root-only directory;
# s2sguard-reissue, run as root, refuses with one line naming the link and
# never creates, writes or removes anything in the link's target.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/pebble.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root to create the hostile user"
need_cmd useradd userdel setpriv
HU=s2sw$(printf '%s' "$T" | md5sum | cut -c1-8)
useradd -r -M -d /nonexistent -s /usr/sbin/nologin "$HU" > /dev/null || fail "useradd $HU"
at_exit "userdel $HU; groupdel $HU"
as_hostile() { setpriv --reuid="$HU" --regid="$HU" --clear-groups --no-new-privs -- "$@"; }

pebble_start
pebble_root "$T/pebble-root.pem"
pebble_serve_webroot "$T/www"
P=$(pki)
chown "$HU:$HU" "$T/www"
mkdir -m 700 "$T/rootonly"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/account.pem" 2>/dev/null
mkdir "$T/out"

try() {	# try CASE PATTERN: one refused run, the root-only directory untouched
	before=$(stat -c '%y %z' "$T/rootonly")
	sleep 1	# a change in the same clock tick would not show
	set +e
	s2sguard-reissue --server "$PEBBLE_DIR" --tls-ca-file "$PEBBLE_TLS_CA" \
		--ca-file "$T/pebble-root.pem" --account-key "$T/account.pem" --agree-tos \
		--cert "$P/leaf-both.pem" --key "$P/leaf-both.key" --webroot "$T/www" \
		--out-fullchain "$T/out/fullchain.pem" --timeout 60 > "$T/$1.out" 2> "$T/$1.err"
	rc=$?
	set -e
	[ -z "$(ls -A "$T/rootonly")" ] || fail "$1: written through the link: $(ls -A "$T/rootonly")"
	[ "$(stat -c '%y %z' "$T/rootonly")" = "$before" ] ||
		fail "$1: root created and removed the token in the link's target (exit $rc)"
	[ "$rc" -eq 3 ] || fail "$1: exit $rc, not 3: $(cat "$T/$1.err")"
	grep -qF -- "$2" "$T/$1.err" || fail "$1: '$2' not in: $(cat "$T/$1.err")"
	[ "$(wc -l < "$T/$1.err")" -eq 1 ] || fail "$1: not one line: $(cat "$T/$1.err")"
	[ ! -e "$T/out/fullchain.pem" ] || fail "$1: installed a certificate"
	say "$1: exit 3: $(cat "$T/$1.err")"
}

as_hostile ln -s "$T/rootonly" "$T/www/.well-known"
try well-known "$T/www/.well-known: is a symbolic link; refusing to write the http-01 token"

as_hostile rm "$T/www/.well-known"
as_hostile mkdir "$T/www/.well-known"
as_hostile ln -s "$T/rootonly" "$T/www/.well-known/acme-challenge"
try acme-challenge "$T/www/.well-known/acme-challenge: is a symbolic link; refusing"

# The same webroot without links validates, and is left as it was found.
as_hostile rm "$T/www/.well-known/acme-challenge"
expect_exit 0 s2sguard-reissue --server "$PEBBLE_DIR" --tls-ca-file "$PEBBLE_TLS_CA" \
	--ca-file "$T/pebble-root.pem" --account-key "$T/account.pem" --agree-tos \
	--cert "$P/leaf-both.pem" --key "$P/leaf-both.key" --webroot "$T/www" \
	--out-fullchain "$T/out/fullchain.pem" --timeout 60 > /dev/null 2> "$T/ok.err"
[ -s "$T/out/fullchain.pem" ] || fail "no certificate installed from the clean webroot"
[ "$(find "$T/www" | sort | tr '\n' ' ')" = "$T/www $T/www/.well-known " ] ||
	fail "webroot not left as found: $(find "$T/www")"
say "clean webroot: validated, token and created directory removed"
