#!/bin/sh
# A first deploy whose reload outlives the run's deadline (deadline = 10,
# reload = sleep 14): the report names the limit that fired (the deadline,
# not reload_timeout's 60 s), the server's paths go back to what the ACME
# client had there before (its links), nothing is recorded as deployed, and
# the hook exits 5 with a report that says the second reload did not run.
. "$(dirname "$0")/../lib.sh"
P=$(pki)
mkdir "$T/client" "$T/srv"
cp "$P/leaf-both.fullchain.pem" "$T/client/fullchain-1.pem"
cp "$P/leaf-both.key" "$T/client/privkey-1.pem"
ln -s "$T/client/fullchain-1.pem" "$T/srv/x.crt"
ln -s "$T/client/privkey-1.pem" "$T/srv/x.key"
cat > "$T/s2sguard.conf" <<CONF
[s2sguard]
state_dir = $T/state
ca_file = $P/root.pem
deadline = 10

[domain xmpp.example.test]
target = files
cert = $T/srv/x.crt
key = $T/srv/x.key
reload = sleep 14
CONF
expect_exit 5 s2sguard-hook --config "$T/s2sguard.conf" --cert "$P/leaf-p384.fullchain.pem" \
	--key "$P/leaf-p384.key" --domain xmpp.example.test > "$T/out.log" 2>&1
cat "$T/out.log"
assert_grep "FAIL reload: /bin/sh: killed after [0-9]+ ms: the run's deadline passed" "$T/out.log"
assert_no_grep "60000 ms" "$T/out.log"
assert_grep 'ok   rollback: first deploy: the server.s paths are back as they were before it' "$T/out.log"
assert_grep "FAIL reload: after rollback: not run, the run's deadline \(10 s\) has passed" "$T/out.log"
[ "$(readlink "$T/srv/x.crt")" = "$T/client/fullchain-1.pem" ] || fail "x.crt is not the client's link again"
[ "$(readlink "$T/srv/x.key")" = "$T/client/privkey-1.pem" ] || fail "x.key is not the client's link again"
! grep -q '"deployed"' "$T/state/xmpp.example.test.json" || fail "recorded as deployed"
say ok
