#!/bin/sh
# state-dir and probe-user, with real accounts and a state directory a real
# hold filled: the owner and mode of the state directory and its stashed
# keys decide (others writing, or another user owning it, fail), and the
# probe user must exist, not be root, and not be the XMPP server's account.
. "$(dirname "$0")/../lib.sh"
need_cmd s2sguard-doctor s2sguard-hook
getent passwd prosody >/dev/null || skip "no prosody user (make deps installs prosody)"
P=$(pki)
mkdir -p "$T/srv"
cp "$P/leaf-both.fullchain.pem" "$T/srv/xmpp.example.test.crt"
cp "$P/leaf-both.key" "$T/srv/xmpp.example.test.key"
conf() {	# conf PROBE_USER STATE_DIR
	cat > "$T/s2sguard.conf" <<CONF
[s2sguard]
state_dir = $2
probe_user = $1
ca_file = $P/root.pem
dane = off
[domain xmpp.example.test]
target = prosody
certs_dir = $T/srv
reload = true
policy = hold
probe = never
verify_served = no
CONF
}
line() {	# line CHECK: the doctor's line for it
	set +e
	s2sguard-doctor --config "$T/s2sguard.conf" --root "$T/root" > "$T/out" 2>&1
	set -e
	grep "^$1 " "$T/out" || { cat "$T/out"; fail "no $1 line"; }
}
expect() {	# expect CHECK STATUS PATTERN
	l=$(line "$1")
	case $l in *" $2 "*) ;; *) fail "$1: want $2, got: $l" ;; esac
	printf '%s\n' "$l" | grep -qE -- "$3" || fail "$1: '$3' not in: $l"
}

S=$T/state
conf nobody "$S"
expect state-dir warn "$S: No such file"
[ ! -e "$S" ] || fail "the doctor created the state directory"
# a real hold fills the state directory (0700, keys 0600)
expect_exit 2 s2sguard-hook --config "$T/s2sguard.conf" --cert "$P/leaf-server.fullchain.pem" \
	--key "$P/leaf-server.key" --domain xmpp.example.test > "$T/hook.log" 2>&1
expect state-dir ok "uid 0, mode 0700"
chmod 0750 "$S"; expect state-dir ok "mode 0750"
chmod 0755 "$S"; expect state-dir warn "mode 0755: everyone can read"
chmod 0770 "$S"; expect state-dir fail "mode 0770: others can write"
chmod 0700 "$S"
chmod 0644 "$S/xmpp.example.test/pending/key.pem"
expect state-dir fail "pending/key.pem can be read by others"
chmod 0600 "$S/xmpp.example.test/pending/key.pem"
chown prosody "$S"; expect state-dir fail "belongs to uid $(id -u prosody)"
chown root "$S"
ln -s "$S" "$T/state-link"; conf nobody "$T/state-link"
expect state-dir fail "is a symlink"

conf nobody "$S";            expect probe-user ok "probe_user 'nobody' \(uid $(id -u nobody)\)"
conf root "$S";              expect probe-user fail "has uid 0"
conf prosody "$S";           expect probe-user warn "is the XMPP server's account"
conf no-such-user-s2s "$S";  expect probe-user fail "does not exist"
say "state-dir and probe-user judged from real owners, modes and accounts"
