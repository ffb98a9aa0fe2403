#!/bin/sh
# s2sguard-check revisits a hold: while the deployed certificate has more
# than hold_min_days left and ejabberd still refuses, the hold continues
# (exit 2); once it is down to hold_min_days, the pending certificate is
# deployed anyway with a warning (exit 1), so the deployed one never expires
# while a newer valid one exists. Metrics describe the deployed certificate:
# during the hold ejabberd accepts it and regresses on the held one; after
# the warned deploy no regression is left over, and the peer verdicts are
# the probe of the certificate deployed now (ejabberd rejects it).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/ejabberd.sh"
need_cmd ejabberdctl
P=$(pki)

ej=$(free_port)
ejabberd_start "$T/ej" ej.peer.test "$ej" --release debian12
mkdir -p "$T/srv"
cp "$P/leaf-both.fullchain.pem" "$T/srv/x.crt"
cp "$P/leaf-both.key" "$T/srv/x.key"
cat > "$T/s2sguard.conf" <<CONF
[s2sguard]
state_dir = $T/state
ca_file = $P/root.pem
metrics = $T/s2sguard.prom

[domain xmpp.example.test]
target = files
cert = $T/srv/x.crt
key = $T/srv/x.key
policy = hold
hold_min_days = 7
reload = echo reloaded >> $T/reloads
peers = ej.peer.test
connect = ej.peer.test=127.0.0.1:$ej
CONF
expect_exit 2 s2sguard-hook --config "$T/s2sguard.conf" --quiet \
	--cert "$P/leaf-server.fullchain.pem" --key "$P/leaf-server.key" --domain xmpp.example.test

end=$(date -d "$(openssl x509 -in "$P/leaf-both.pem" -noout -enddate | cut -d= -f2)" +%s)
# 20 days before the deployed certificate expires: keep holding
expect_exit 2 s2sguard-check --config "$T/s2sguard.conf" --now $((end - 20 * 86400)) > "$T/c1.log" 2>&1
cat "$T/c1.log"
cmp -s "$T/srv/x.crt" "$P/leaf-both.fullchain.pem" || fail "deployed during the hold"
assert_grep '^s2sguard_hold\{domain="xmpp.example.test"\} 1$' "$T/s2sguard.prom"
assert_grep '^s2sguard_peers\{domain="xmpp.example.test",verdict="accepted"\} 1$' "$T/s2sguard.prom"
assert_grep '^s2sguard_peers\{domain="xmpp.example.test",verdict="rejected"\} 0$' "$T/s2sguard.prom"
assert_grep '^s2sguard_peers_regressed\{domain="xmpp.example.test"\} 1$' "$T/s2sguard.prom"
assert_grep "^s2sguard_probe_timestamp_seconds\\{domain=\"xmpp.example.test\"\\} $((end - 20 * 86400))\$" "$T/s2sguard.prom"

# 6 days before: deploy the pending certificate, warn
expect_exit 1 s2sguard-check --config "$T/s2sguard.conf" --now $((end - 6 * 86400)) > "$T/c2.log" 2>&1
cat "$T/c2.log"
cmp -s "$T/srv/x.crt" "$P/leaf-server.fullchain.pem" || fail "pending certificate not deployed"
cmp -s "$T/srv/x.key" "$P/leaf-server.key" || fail "pending key not deployed"
assert_grep 'decision deploy-warn' "$T/c2.log"
assert_grep "rather than letting it expire" "$T/c2.log"
[ "$(cat "$T/reloads")" = reloaded ] || fail "not reloaded once"
[ ! -e "$T/state/xmpp.example.test/pending/cert.pem" ] || fail "pending left behind"
assert_grep '^s2sguard_hold\{domain="xmpp.example.test"\} 0$' "$T/s2sguard.prom"
assert_grep '^s2sguard_cert_client_auth\{domain="xmpp.example.test"\} 0$' "$T/s2sguard.prom"
assert_grep '^s2sguard_peers_regressed\{domain="xmpp.example.test"\} 0$' "$T/s2sguard.prom"
assert_grep '^s2sguard_peers\{domain="xmpp.example.test",verdict="rejected"\} 1$' "$T/s2sguard.prom"
assert_grep '^s2sguard_peers\{domain="xmpp.example.test",verdict="accepted"\} 0$' "$T/s2sguard.prom"

# nothing pending any more: a quiet no-op
expect_exit 0 s2sguard-check --config "$T/s2sguard.conf" --quiet
say ok
