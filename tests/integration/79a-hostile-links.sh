#!/bin/sh
# The server's account owns the certificate directory and plants links to
# a root-only secret: before the first deploy (NAME.crt -> a.crt, NAME.key
# -> the secret), and on a deployed target before a renewal whose reload
# fails (rollback). s2sguard follows no link out of its own store: the
# secret is never copied where that user can read it, and the rollback
# comes from s2sguard's own copies.
. "$(dirname "$0")/../lib.sh"
P=$(pki)
test_user; U=$TU

install -m 600 "$P/leaf-rsa.key" "$T/secret.key"	# another service's key, root only
marker=$(sed -n 2p "$T/secret.key")
printf '#!/bin/sh\n[ ! -e %s/fail ]\n' "$T" > "$T/reload.sh"
chmod 755 "$T/reload.sh"
conf() {	# conf NAME: a [domain] deploying into $T/NAME, owned by the user
	mkdir "$T/$1" && chown "$U:$U" "$T/$1" && chmod 750 "$T/$1"
	cat > "$T/$1.conf" <<CONF
[s2sguard]
state_dir = $T/state-$1
ca_file = $P/root.pem

[domain xmpp.example.test]
target = files
cert = $T/$1/x.crt
key = $T/$1/x.key
group = $U
key_mode = 0640
reload = $T/reload.sh
CONF
}
hook() {	# hook NAME PAIR
	s2sguard-hook --config "$T/$1.conf" --cert "$P/$2.fullchain.pem" --key "$P/$2.key" \
		--domain xmpp.example.test
}
leaks() { as_user "$U" grep -rlF -- "$marker" "$T/$1" 2>/dev/null || true; }

say "1. links planted before the first deploy"
conf first
cp "$P/leaf-both.fullchain.pem" "$T/first/a.crt" && chown "$U" "$T/first/a.crt"
as_user "$U" ln -s a.crt "$T/first/x.crt"
as_user "$U" ln -s "$T/secret.key" "$T/first/x.key"
set +e; hook first leaf-p384 > "$T/first.log" 2>&1; rc=$?; set -e
cat "$T/first.log"
[ -z "$(leaks first)" ] || fail "the secret was copied where $U reads it: $(leaks first)"
[ "$rc" -eq 0 ] || fail "first deploy exited $rc"
as_user "$U" cat "$T/first/x.key" | cmp -s - "$P/leaf-p384.key" || fail "$U does not read the new key"
assert_grep 'x.crt: a link to a.crt, outside s2sguard.s store: not followed' "$T/first.log"

say "2. the key link replaced on a deployed target, then a failing reload"
conf second
expect_exit 0 hook second leaf-p384 > "$T/second0.log" 2>&1
as_user "$U" ln -sfn "$T/secret.key" "$T/second/x.key"
touch "$T/fail"
set +e; hook second leaf-both > "$T/second.log" 2>&1; rc=$?; set -e
cat "$T/second.log"
[ -z "$(leaks second)" ] || fail "the rollback put the secret where $U reads it: $(leaks second)"
[ "$rc" -eq 5 ] || fail "expected exit 5 (rolled back), got $rc"
assert_grep 'baseline is its last-good copy' "$T/second.log"
# the rollback restored s2sguard's own previous pair, not what the link led to
cmp -s "$T/second/x.crt" "$P/leaf-p384.fullchain.pem" || fail "previous certificate not restored"
cmp -s "$T/second/x.key" "$P/leaf-p384.key" || fail "previous key not restored"
say ok
