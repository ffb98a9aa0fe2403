#!/bin/sh
# A reload command that fails after the deploy: the previous pair is put
# back, the server reloaded again, exit 5.
. "$(dirname "$0")/../lib.sh"
P=$(pki)

mkdir -p "$T/srv"
cp "$P/leaf-both.fullchain.pem" "$T/srv/x.crt"
cp "$P/leaf-both.key" "$T/srv/x.key"
# fails the first time (the new pair), succeeds the second (the old one)
cat > "$T/reload.sh" <<SH
#!/bin/sh
n=\$(cat $T/count 2>/dev/null || echo 0); n=\$((n + 1)); echo \$n > $T/count
openssl x509 -in $T/srv/x.crt -noout -serial >> $T/reloads
[ \$n -ge 2 ] || { echo "config check failed: bad certificate"; exit 1; }
SH
chmod 755 "$T/reload.sh"
cat > "$T/s2sguard.conf" <<CONF
[s2sguard]
state_dir = $T/state
ca_file = $P/root.pem

[domain xmpp.example.test]
target = files
cert = $T/srv/x.crt
key = $T/srv/x.key
reload = $T/reload.sh
CONF
expect_exit 5 s2sguard-hook --config "$T/s2sguard.conf" \
	--cert "$P/leaf-p384.fullchain.pem" --key "$P/leaf-p384.key" \
	--domain xmpp.example.test > "$T/out.log" 2>&1
cat "$T/out.log"
cmp -s "$T/srv/x.crt" "$P/leaf-both.fullchain.pem" || fail "old certificate not restored"
cmp -s "$T/srv/x.key" "$P/leaf-both.key" || fail "old key not restored"
[ "$(cat "$T/count")" = 2 ] || fail "reload ran $(cat "$T/count") times, want 2"
new=$(openssl x509 -in "$P/leaf-p384.pem" -noout -serial)
old=$(openssl x509 -in "$P/leaf-both.pem" -noout -serial)
[ "$(sed -n 1p "$T/reloads")" = "$new" ] || fail "first reload did not see the new certificate"
[ "$(sed -n 2p "$T/reloads")" = "$old" ] || fail "second reload did not see the old certificate"
assert_grep 'FAIL reload: after deploy: exit 1: config check failed' "$T/out.log"
assert_grep 'ok   rollback' "$T/out.log"
say ok
