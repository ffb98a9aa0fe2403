#!/bin/sh
# s2sguard-doctor changes nothing: the whole tree it looks at (the
# configuration, the state directory with a held renewal in it, the
# deployed files, a certbot layout with its hook link, the XMPP server's
# configuration, the timer link) has the same names, contents, modes,
# owners and modification times before and after every kind of run, and
# a missing state directory is not created.
. "$(dirname "$0")/../lib.sh"
need_cmd s2sguard-doctor s2sguard-hook
P=$(pki)
W=$T/tree
mkdir -p "$W/srv" "$W/root/etc/prosody" "$W/root/var/lib" \
	"$W/root/etc/letsencrypt/renewal-hooks/deploy" "$W/root/etc/letsencrypt/renewal" \
	"$W/root/etc/letsencrypt/live/xmpp.example.test" \
	"$W/root/etc/systemd/system/timers.target.wants"
cp "$P/leaf-both.fullchain.pem" "$W/srv/xmpp.example.test.crt"
cp "$P/leaf-both.key" "$W/srv/xmpp.example.test.key"
cp /etc/prosody/prosody.cfg.lua "$W/root/etc/prosody/"
ln -s /var/lib/dpkg "$W/root/var/lib/dpkg"
cp "$P/leaf-server.pem" "$W/root/etc/letsencrypt/live/xmpp.example.test/cert.pem"
printf 'version = 2.1.0\n[renewalparams]\nauthenticator = webroot\n' \
	> "$W/root/etc/letsencrypt/renewal/xmpp.example.test.conf"
ln -s /usr/bin/s2sguard-hook "$W/root/etc/letsencrypt/renewal-hooks/deploy/00-s2sguard"
ln -s /lib/systemd/system/s2sguard-check.timer \
	"$W/root/etc/systemd/system/timers.target.wants/s2sguard-check.timer"
conf() {
	cat <<CONF
[s2sguard]
state_dir = $1
ca_file = $P/root.pem
dane = hold
dane_trust_anchor = $W/no-such-anchor

[domain xmpp.example.test]
target = prosody
certs_dir = $W/srv
reload = true
policy = hold
probe = never
; nothing listens there: the served-certificate check connects and is refused
server = 127.0.0.1:1
CONF
}
conf "$W/state" > "$W/s2sguard.conf"
conf "$W/no-state" > "$W/s2sguard-nostate.conf"

# a held renewal: pending pair, state file, report
expect_exit 2 s2sguard-hook --config "$W/s2sguard.conf" --cert "$P/leaf-server.fullchain.pem" \
	--key "$P/leaf-server.key" --domain xmpp.example.test > "$T/hook.log" 2>&1
[ -f "$W/state/xmpp.example.test/pending/cert.pem" ] || fail "no pending certificate to look at"

snapshot() {
	# everything but access times; file contents by hash
	( cd "$W" && find . -printf '%p %y %m %U %G %s %T@ %l\n' | sort &&
	  find . -type f -print0 | sort -z | xargs -0 sha256sum ) > "$1"
}
snapshot "$T/before"
run() { set +e; s2sguard-doctor --root "$W/root" "$@" > "$T/out" 2>&1; rc=$?; set -e
	case $rc in 0|1|2|3) ;; *) cat "$T/out"; fail "exit $rc: $*" ;; esac; }
run --config "$W/s2sguard.conf"
cat "$T/out"
assert_grep '^expiry .*pending certificate \(held since' "$T/out"
assert_grep '^acme-hook .*ok .*certbot \(lineage xmpp.example.test\)' "$T/out"
assert_grep '^dane-anchor .*fail .*no-such-anchor' "$T/out"
run --config "$W/s2sguard.conf" --json
run --config "$W/s2sguard.conf" --domain xmpp.example.test --now 1900000000
run --config "$W/s2sguard-nostate.conf"
assert_grep '^state-dir .*warn' "$T/out"
run --config "$W/missing.conf"
run --config "$W/s2sguard.conf" --domain nope.example.test
snapshot "$T/after"
if ! cmp -s "$T/before" "$T/after"; then
	diff "$T/before" "$T/after" | head -20
	fail "s2sguard-doctor changed the tree"
fi
[ ! -e "$W/no-state" ] || fail "the doctor created the missing state directory"
say "$(wc -l < "$T/before") entries unchanged after 6 runs"
