#!/bin/sh
# The metrics describe the certificate deployed when s2sguard-check runs,
# with the time of the probe they come from. After a warned deploy (policy
# warn, the strict ejabberd peer refuses the serverAuth-only renewal)
# s2sguard_peers_regressed is 0 beside s2sguard_hold 0, and the peer
# verdicts are those of the deployed certificate (rejected). When the
# deployed certificate is replaced behind s2sguard's back, the check
# re-probes it at once instead of showing the old probe's verdicts; with
# nothing changed it re-probes at most once per probe_interval.
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
policy = warn
reload = true
peers = ej.peer.test
connect = ej.peer.test=127.0.0.1:$ej
CONF
M=$T/s2sguard.prom
D='domain="xmpp.example.test"'
has() { grep -qxF "$1" "$M" || { cat "$M"; fail "no line '$1' in the metrics"; }; }
epoch() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["last_probe"]["epoch"])' "$T/state/xmpp.example.test.json"; }

expect_exit 1 s2sguard-hook --config "$T/s2sguard.conf" --quiet \
	--cert "$P/leaf-server.fullchain.pem" --key "$P/leaf-server.key" --domain xmpp.example.test
t0=$(epoch)

# 1. after the warned deploy: no regression left over, the deployed one is rejected
expect_exit 0 s2sguard-check --config "$T/s2sguard.conf" --quiet
has "s2sguard_hold{$D} 0"
has "s2sguard_peers_regressed{$D} 0"
has "s2sguard_cert_client_auth{$D} 0"
has "s2sguard_peers{$D,verdict=\"rejected\"} 1"
has "s2sguard_peers{$D,verdict=\"accepted\"} 0"
has "s2sguard_probe_timestamp_seconds{$D} $t0"
[ "$(epoch)" = "$t0" ] || fail "re-probed although the hook's probe of the deployed certificate is fresh"

# 2. replaced by hand: the old probe is not about the deployed certificate any more
rm -f "$T/srv/x.crt" "$T/srv/x.key"
cp "$P/leaf-both.fullchain.pem" "$T/srv/x.crt"
cp "$P/leaf-both.key" "$T/srv/x.key"
sleep 1
expect_exit 0 s2sguard-check --config "$T/s2sguard.conf" --quiet
t1=$(epoch)
[ "$t1" -gt "$t0" ] || fail "the replaced certificate was not re-probed"
has "s2sguard_cert_client_auth{$D} 1"
has "s2sguard_peers{$D,verdict=\"accepted\"} 1"
has "s2sguard_peers{$D,verdict=\"rejected\"} 0"
has "s2sguard_probe_timestamp_seconds{$D} $t1"

# 3. nothing changed: no new probe within probe_interval (1 day) ...
sleep 1
expect_exit 0 s2sguard-check --config "$T/s2sguard.conf" --quiet
[ "$(epoch)" = "$t1" ] || fail "re-probed within probe_interval"
# ... and one once it has passed
later=$((t1 + 2 * 86400))
expect_exit 0 s2sguard-check --config "$T/s2sguard.conf" --quiet --now "$later"
[ "$(epoch)" = "$later" ] || fail "not re-probed after probe_interval"
has "s2sguard_probe_timestamp_seconds{$D} $later"
has "s2sguard_peers{$D,verdict=\"accepted\"} 1"
say ok
