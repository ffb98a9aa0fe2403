#!/bin/sh
# s2sguard-doctor on a machine whose own XMPP server is the local ejabberd
# with dialback off. Debian 12's 23.01: inbound-purpose fails (it refuses
# every peer whose renewed chain lacks clientAuth); Debian 13's
# 24.12-3+deb13u2: ok, it judges by the server purpose (EJ_PURPOSE in
# tests/lib.sh). Dialback warns, and fails once a
# configured peer answered dialback-only in the last probe. The versions
# come from the real dpkg database through dpkg-query; a few other
# database contents (Debian 13's patched ejabberd, a fast_tls without the
# option, bookworm-backports) go through dpkg-query too.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/ejabberd.sh"
need_cmd ejabberdctl dpkg-query
P=$(pki)
ver=$(dpkg-query -W -f='${Version}' ejabberd) || skip "ejabberd is not installed from a package"

# our own server: ejabberd as xmpp.example.test, no mod_s2s_dialback
own=$(free_port) peer=$(free_port)
ejabberd_start "$T/own" xmpp.example.test "$own"
# a peer that falls back to dialback when it refuses our serverAuth-only
# renewal: Debian 12's ejabberd (from a bookworm root on Debian 13)
ejabberd_start "$T/peer" ej.peer.test "$peer" --dialback --release debian12

mkdir -p "$T/root/etc/ejabberd" "$T/root/var/lib" "$T/srv"
ln -s "$T/own/ejabberd.yml" "$T/root/etc/ejabberd/ejabberd.yml"
ln -s /var/lib/dpkg "$T/root/var/lib/dpkg"
cat "$P/leaf-both.fullchain.pem" "$P/leaf-both.key" > "$T/srv/xmpp.example.test.pem"
cat > "$T/s2sguard.conf" <<CONF
[s2sguard]
state_dir = $T/state
ca_file = $P/root.pem
probe_timeout = 10
dane = off

[domain xmpp.example.test]
target = ejabberd
pem = $T/srv/xmpp.example.test.pem
reload = true
policy = warn
verify_served = no
peers = ej.peer.test
connect = ej.peer.test=127.0.0.1:$peer
CONF

doctor() { s2sguard-doctor --config "$T/s2sguard.conf" --root "$1" --json; }
status_of() {	# status_of FILE CHECK: "status|detail|fix"
	python3 -c 'import json,sys
c=[c for c in json.load(open(sys.argv[1]))["checks"] if c["name"]==sys.argv[2]]
assert len(c)==1, c
print(c[0]["status"] + "|" + c[0]["detail"] + "|" + c[0]["fix"])' "$1" "$2"
}

expect_exit 2 doctor "$T/root" > "$T/d1.json"
r=$(status_of "$T/d1.json" inbound-purpose)
say "inbound-purpose: $r"
if [ "$EJ_PURPOSE" = server ]; then
	case $r in "ok|ejabberd $ver"*"server purpose"*) ;;
	*) fail "ejabberd $ver (server purpose) not ok: $r" ;; esac
else
	case $r in "fail|ejabberd $ver checks the TLS client purpose"*upgrade*dialback*) ;;
	*) fail "ejabberd $ver not failed: $r" ;; esac
fi
r=$(status_of "$T/d1.json" dialback)
case $r in "warn|"*"no mod_s2s_dialback"*"add mod_s2s_dialback"*) ;; *) fail "dialback: $r" ;; esac

# a renewal probes the peer: refused, dialback offered -> dialback-only in
# the state, or dialback-unverified where the peer cannot call us back
expect_exit 1 s2sguard-hook --config "$T/s2sguard.conf" --cert "$P/leaf-server.fullchain.pem" \
	--key "$P/leaf-server.key" --domain xmpp.example.test > "$T/hook.log" 2>&1
grep -qE '"verdict": "dialback-(only|unverified)"' "$T/state/xmpp.example.test.json" ||
	fail "no dialback verdict in the state"
expect_exit 2 doctor "$T/root" > "$T/d2.json"
r=$(status_of "$T/d2.json" dialback)
say "dialback: $r"
case $r in "fail|"*"ej.peer.test answered dialback-"*" in the last probe"*) ;; *) fail "dialback: $r" ;; esac

# dialback on in the server's configuration: ok
mkdir -p "$T/root-db/etc/ejabberd" "$T/root-db/var/lib"
ln -s /var/lib/dpkg "$T/root-db/var/lib/dpkg"
sed 's/^  mod_disco: {}$/  mod_disco: {}\n  mod_s2s_dialback: {}/' "$T/own/ejabberd.yml" > "$T/root-db/etc/ejabberd/ejabberd.yml"
expect_exit 2 doctor "$T/root-db" > "$T/d3.json"
r=$(status_of "$T/d3.json" dialback)
case $r in "ok|ejabberd: mod_s2s_dialback under modules:"*) ;; *) fail "dialback on: $r" ;; esac

# other package databases, read by dpkg-query --admindir
fake_root() {	# fake_root DIR EJABBERD_VERSION [P1_TLS_VERSION]
	mkdir -p "$1/var/lib/dpkg/info" "$1/etc/ejabberd"
	cp "$T/own/ejabberd.yml" "$1/etc/ejabberd/ejabberd.yml"
	{
		printf 'Package: ejabberd\nStatus: install ok installed\nMaintainer: x <x@example.test>\n'
		printf 'Architecture: all\nVersion: %s\nDescription: test\n\n' "$2"
		[ -z "${3:-}" ] || printf 'Package: erlang-p1-tls\nStatus: install ok installed\nMaintainer: x <x@example.test>\nArchitecture: amd64\nVersion: %s\nDescription: test\n\n' "$3"
	} > "$1/var/lib/dpkg/status"
}
purpose() {	# purpose ROOT -> status|detail|fix of inbound-purpose
	set +e; doctor "$1" > "$T/p.json"; set -e
	status_of "$T/p.json" inbound-purpose
}
fake_root "$T/r13" 24.12-3+deb13u2 1.1.22-1+deb13u1
case $(purpose "$T/r13") in "ok|ejabberd 24.12-3+deb13u2 with erlang-p1-tls 1.1.22-1+deb13u1"*) ;;
*) fail "Debian 13 u2: $(purpose "$T/r13")" ;; esac
fake_root "$T/r13u1" 24.12-3+deb13u1 1.1.22-1+deb13u1
case $(purpose "$T/r13u1") in fail*) ;; *) fail "Debian 13 u1 should fail" ;; esac
fake_root "$T/rbpo" 24.12-3~bpo12+1 1.1.22-1~bpo12+1
case $(purpose "$T/rbpo") in fail*) ;; *) fail "bookworm-backports should fail" ;; esac
fake_root "$T/rnew" 25.08-1 1.1.16-2
case $(purpose "$T/rnew") in "fail|"*"erlang-p1-tls 1.1.16-2 cannot"*) ;; *) fail "old fast_tls: $(purpose "$T/rnew")" ;; esac
fake_root "$T/rnew2" 25.08-1 1.1.25-1
case $(purpose "$T/rnew2") in ok*) ;; *) fail "25.08 with fast_tls 1.1.25" ;; esac
fake_root "$T/rp1" 25.08-1
case $(purpose "$T/rp1") in "ok|"*"its own fast_tls"*) ;; *) fail "25.08 without erlang-p1-tls" ;; esac

# the real Debian 13 root, when this machine has one (scripts/debian-root.sh)
tr=$(sh "$TOP/scripts/debian-root.sh" trixie path 2>/dev/null || true)
if [ -n "$tr" ] && [ -f "$tr/etc/ejabberd/ejabberd.yml" ]; then
	r=$(purpose "$tr")
	say "Debian 13 root $tr: $r"
	case $r in "ok|ejabberd 24.12-3+deb13u"*) ;; *) fail "Debian 13 root: $r" ;; esac
else
	say "no Debian 13 root here; its packages were checked from a written database only"
fi
say "ejabberd $ver ($EJ_PURPOSE purpose) judged as such; dialback off is named"
