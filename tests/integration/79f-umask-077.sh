#!/bin/sh
# Under the umask dehydrated gives its hooks and s2sguard-check.service's
# UMask (0077), what s2sguard deploys is still readable by the server's
# account: every directory and file mode is set explicitly. Read as that
# user through the server's paths, for both layouts.
. "$(dirname "$0")/../lib.sh"
P=$(pki)
test_user; U=$TU
mask=$(sed -n 's/^UMask=//p' "$TOP/packaging/systemd/s2sguard-check.service")
[ -n "$mask" ] || fail "no UMask= in s2sguard-check.service"
mkdir "$T/srv" && chmod 755 "$T/srv"
cat > "$T/s2sguard.conf" <<CONF
[s2sguard]
state_dir = $T/state
ca_file = $P/root.pem

[domain xmpp.example.test]
target = files
cert = $T/srv/x.crt
key = $T/srv/x.key
group = $U
key_mode = 0640

[domain conference.xmpp.example.test]
target = files
pem = $T/srv/c.pem
group = $U
key_mode = 0640
CONF
for d in xmpp.example.test conference.xmpp.example.test; do
	(umask "$mask" && s2sguard-hook --config "$T/s2sguard.conf" --cert "$P/leaf-both.fullchain.pem" \
		--key "$P/leaf-both.key" --domain "$d") > "$T/$d.log" 2>&1 ||
		{ cat "$T/$d.log"; fail "deploy of $d under umask $mask failed"; }
done
as_user "$U" cat "$T/srv/x.crt" > "$T/read.crt" 2>"$T/err" || fail "$U cannot read x.crt: $(cat "$T/err")"
as_user "$U" cat "$T/srv/x.key" > "$T/read.key" 2>"$T/err" || fail "$U cannot read x.key: $(cat "$T/err")"
as_user "$U" cat "$T/srv/c.pem" > "$T/read.pem" 2>"$T/err" || fail "$U cannot read c.pem: $(cat "$T/err")"
cmp -s "$T/read.crt" "$P/leaf-both.fullchain.pem" || fail "x.crt is not the deployed certificate"
cmp -s "$T/read.key" "$P/leaf-both.key" || fail "x.key is not the deployed key"
# and nobody else: the key is not world-readable
[ "$(stat -L -c %a "$T/srv/x.key")" = 640 ] || fail "x.key mode $(stat -L -c %a "$T/srv/x.key"), want 640"
say ok
