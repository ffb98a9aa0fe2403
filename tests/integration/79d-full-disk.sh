#!/bin/sh
# A full disk changes nothing: certs_dir on a 12 KiB tmpfs. A first deploy
# writes everything before it switches a path: when the new version does
# not fit (ENOSPC) the hook removes what it wrote, leaves the server's
# files as they were, never reloads, records nothing and exits 3 saying
# so. When it fits, it is deployed whole. The exit status tells the truth.
. "$(dirname "$0")/../lib.sh"
P=$(pki)
mkdir "$T/certs" "$T/certs2"
mount -t tmpfs -o size=12k,mode=755 s2s-full "$T/certs" 2>/dev/null || skip "cannot mount a tmpfs"
at_exit "umount $T/certs"
mount -t tmpfs -o size=12k,mode=755 s2s-full "$T/certs2" || fail "cannot mount a second tmpfs"
at_exit "umount $T/certs2"
printf '#!/bin/sh\necho reloaded >> %s/reloads\n' "$T" > "$T/reload.sh"
chmod 755 "$T/reload.sh"
conf() {
	cat > "$T/$1.conf" <<CONF
[s2sguard]
state_dir = $T/state-$1
ca_file = $P/root.pem

[domain xmpp.example.test]
target = files
cert = $T/$1/x.crt
key = $T/$1/x.key
reload = $T/reload.sh
CONF
}

say "1. the old pair fills the disk: the new version cannot be written"
conf certs
cp "$P/leaf-both.fullchain.pem" "$T/certs/x.crt"
cp "$P/leaf-both.key" "$T/certs/x.key"
expect_exit 3 s2sguard-hook --config "$T/certs.conf" --cert "$P/leaf-p384.fullchain.pem" \
	--key "$P/leaf-p384.key" --domain xmpp.example.test > "$T/1.log" 2>&1
cat "$T/1.log"
assert_grep 'FAIL deploy: .*No space left on device; the server.s files are as they were' "$T/1.log"
[ -f "$T/certs/x.crt" ] && [ ! -L "$T/certs/x.crt" ] && [ ! -L "$T/certs/x.key" ] ||
	fail "the server's paths were switched"
cmp -s "$T/certs/x.crt" "$P/leaf-both.fullchain.pem" && cmp -s "$T/certs/x.key" "$P/leaf-both.key" ||
	fail "the old pair changed"
left=$(ls -A "$T/certs" | grep -v '^x\.crt$\|^x\.key$' || true)
[ -z "$left" ] || fail "left behind: $left"
[ ! -e "$T/reloads" ] || fail "reloaded after a failed deploy"
! grep -q '"deployed"' "$T/state-certs/xmpp.example.test.json" 2>/dev/null ||
	fail "a failed deploy was recorded as deployed"

say "2. an empty 12 KiB disk: the first deploy fits, and is whole"
conf certs2
set +e
s2sguard-hook --config "$T/certs2.conf" --cert "$P/leaf-p384.fullchain.pem" \
	--key "$P/leaf-p384.key" --domain xmpp.example.test > "$T/2.log" 2>&1
rc=$?
set -e
cat "$T/2.log"
case $rc in
0)	cmp -s "$T/certs2/x.crt" "$P/leaf-p384.fullchain.pem" && cmp -s "$T/certs2/x.key" "$P/leaf-p384.key" ||
		fail "exit 0, but the new pair is not what the paths lead to"
	[ "$(cat "$T/reloads")" = reloaded ] || fail "exit 0 without one reload" ;;
3)	[ -z "$(ls -A "$T/certs2")" ] || fail "exit 3 (nothing changed), but left: $(ls -A "$T/certs2")"
	[ ! -e "$T/reloads" ] || fail "reloaded after a failed deploy" ;;
*)	fail "exit $rc" ;;
esac
say ok
