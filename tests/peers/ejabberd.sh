# tests/peers/ejabberd.sh: a real, strict ejabberd (Debian 12: 23.01) s2s peer.
# Source after tests/lib.sh. Interface (keep stable, other tests use it):
#
#   ejabberd_start DIR DOMAIN PORT [--dialback] [--ca FILE] [--cert FILE]
#                  [--dns PORT] [--c2s PORT] [--direct-tls PORT]
#                  [--release RELEASE]
#       Start ejabberd serving DOMAIN with ejabberd_s2s_in on 127.0.0.1:PORT
#       (xmpp-server STARTTLS, s2s_use_starttls: required), trusting --ca
#       (default: root.pem of the test PKI, see `pki`), presenting --cert (a
#       combined leaf+chain+key PEM; default $(pki)/DOMAIN.combined.pem, or
#       DOMAIN.fullchain.pem + DOMAIN.key, or a fresh leaf for DOMAIN under
#       inter-both). No mod_s2s_dialback unless --dialback, so SASL EXTERNAL
#       is the only way in, and a serverAuth-only client chain gets
#       <failure><not-authorized/><text>unsupported certificate
#       purpose</text></failure> (reference/xmpp-s2s.md §4).
#       --dns PORT: SRV lookups for its own outgoing s2s go to
#       127.0.0.1:PORT (unbound_start); SRV targets are then resolved by
#       getaddrinfo, so make them localhost (dns_xmpp_peer ... - localhost). --c2s PORT: also a c2s listener (STARTTLS).
#       --direct-tls PORT: also XEP-0368 direct TLS s2s on PORT.
#       --starttls VALUE: s2s_use_starttls (default required; ejabberd
#         23.01 rewrites required_trusted to required and drops
#         mod_s2s_dialback, warning in its log).
#       --s2s-access deny: s2s_access denies every remote server (SASL
#         EXTERNAL and dialback alike).
#       --release RELEASE: the ejabberd of that Debian release
#       (tests/peers/roots.sh: debian12, debian13, debian12-backports), run
#       under chroot from its root when the host is another release; DIR is
#       then a symbolic link into the root. Skips the test when the release
#       cannot be had (peer_root's reason). Default: the host's ejabberd.
#       DIR (created; handed to the ejabberd user) holds ejabberd.yml, the
#       certificates, spool and logs/ejabberd.log. Returns when the port
#       accepts; stops from at_exit. Fails the test if it does not start.
#       Sets EJABBERD_START_MS to the time it took.
#   ejabberd_stop DIR [--kill]
#       Stop the node started in DIR and wait for it to exit (idempotent).
#       A clean stop takes about 2.5 s; --kill (used by the at_exit cleanup,
#       after logs were shown) is immediate.
#   ejabberd_ctl DIR COMMAND [ARG...]
#       Run an ejabberdctl command against that node (e.g. incoming_s2s_number,
#       `dump_table FILE s2s`; FILE must be writable by user ejabberd, and
#       for a chrooted node a path inside DIR as `ejabberd_path` gives it).
#   ejabberd_path DIR FILE
#       FILE (relative to DIR) as the node sees it.
#   ejabberd_version DIR
#       The Debian version of the ejabberd package the node runs.
#   ejabberd_log DIR: path of the node's ejabberd.log (grep it for
#       "Accepted inbound s2s" / "Failed inbound s2s EXTERNAL").
#   ejabberd_wait_log DIR ERE [SECONDS]
#       Until the log has a line matching ERE (default 10 s; the log is
#       written a little after the event). Returns 1 on timeout.
#
# No epmd: the node uses a fixed Erlang distribution port (ERL_DIST_PORT from
# free_port, -start_epmd false), so nothing outlives the test and other
# nodes on the machine are not touched, chrooted or not. Each node has a
# unique name.
. "$TOP/tests/peers/roots.sh"

_ej_ms() { date +%s%3N; }

ejabberd_start() {
	[ $# -ge 3 ] || fail "usage: ejabberd_start DIR DOMAIN PORT [options]"
	_ej_dir=$1 _ej_dom=$2 _ej_port=$3; shift 3
	_ej_dialback=no _ej_ca="" _ej_cert="" _ej_dns="" _ej_c2s="" _ej_dtls="" _ej_rel=""
	_ej_tls=required _ej_access=""
	while [ $# -gt 0 ]; do
		case $1 in
		--dialback) _ej_dialback=yes; shift ;;
		--ca) _ej_ca=$2; shift 2 ;;
		--cert) _ej_cert=$2; shift 2 ;;
		--dns) _ej_dns=$2; shift 2 ;;
		--c2s) _ej_c2s=$2; shift 2 ;;
		--direct-tls) _ej_dtls=$2; shift 2 ;;
		--starttls) _ej_tls=$2; shift 2 ;;
		--s2s-access) _ej_access=$2; shift 2 ;;
		--release) _ej_rel=$2; shift 2 ;;
		*) fail "ejabberd_start: unknown option $1" ;;
		esac
	done
	_ej_root=/
	if [ -n "$_ej_rel" ]; then
		_ej_root=$(peer_root "$_ej_rel" 2>"$T/.peer_root.err") ||
			skip "ejabberd of $_ej_rel: $(cat "$T/.peer_root.err")"
	fi
	if [ "$_ej_root" = / ]; then
		need_cmd ejabberdctl erl
	else
		[ -x "$_ej_root/usr/sbin/ejabberdctl" ] || skip "no ejabberd in $_ej_root"
	fi
	_ej_t0=$(_ej_ms)
	peer_root_dir "$_ej_root" "$_ej_dir" || fail "ejabberd_start: cannot make $_ej_dir"
	_ej_c=$PEER_CDIR	# DIR as the node sees it
	mkdir -p "$_ej_dir/pki" "$_ej_dir/spool" "$_ej_dir/logs"
	_ej_dir=$(cd "$_ej_dir" && pwd)
	echo "$_ej_root" > "$_ej_dir/root"
	echo "$_ej_c" > "$_ej_dir/cdir"
	_ej_p=$(pki)
	[ -n "$_ej_ca" ] || _ej_ca=$_ej_p/root.pem
	cp "$_ej_ca" "$_ej_dir/pki/ca.pem"
	_ej_pem=$_ej_dir/pki/$_ej_dom.pem
	if [ -n "$_ej_cert" ]; then
		cp "$_ej_cert" "$_ej_pem"
	elif [ -f "$_ej_p/$_ej_dom.combined.pem" ]; then
		cp "$_ej_p/$_ej_dom.combined.pem" "$_ej_pem"
	elif [ -f "$_ej_p/$_ej_dom.fullchain.pem" ] && [ -f "$_ej_p/$_ej_dom.key" ]; then
		cat "$_ej_p/$_ej_dom.fullchain.pem" "$_ej_p/$_ej_dom.key" > "$_ej_pem"
	else
		_ej_w=$(pki_copy)
		[ -f "$_ej_w/$_ej_dom.key" ] ||
			sh "$TOP/tests/pki/mkpki.sh" leaf "$_ej_w" "$_ej_dom" --domain "$_ej_dom"
		cat "$_ej_w/$_ej_dom.fullchain.pem" "$_ej_w/$_ej_dom.key" > "$_ej_pem"
	fi
	chmod 600 "$_ej_pem"

	_ej_node=s2st$$p$_ej_port@localhost
	_ej_dist=$(free_port)
	echo "$_ej_node" > "$_ej_dir/node"
	# ejabberdctl sources this instead of /etc/default/ejabberd. The +sbwt
	# flags stop the VM's idle schedulers from spinning: a test runs
	# several nodes on a 2-core machine.
	cat > "$_ej_dir/ejabberdctl.cfg" <<EOF
ERL_DIST_PORT=$_ej_dist
ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0 -kernel inet_dist_use_interface {127,0,0,1} +sbwt none +sbwtdcpu none +sbwtdio none"
EJABBERD_PID_PATH=$_ej_c/ejabberd.pid
EOF
	if [ -n "$_ej_dns" ]; then
		# order matters: resolv_conf "" first, or /etc/resolv.conf wins
		cat > "$_ej_dir/inetrc" <<EOF
{resolv_conf, ""}.
{hosts_file, ""}.
{lookup, [dns]}.
{nameserver, {127,0,0,1}, $_ej_dns}.
EOF
	else
		cp "${_ej_root%/}/etc/ejabberd/inetrc" "$_ej_dir/inetrc" 2>/dev/null ||
			echo '{lookup, ["file", "native"]}.' > "$_ej_dir/inetrc"
	fi
	{
		echo "hosts:"
		echo "  - \"$_ej_dom\""
		echo "loglevel: info"
		echo "log_rotate_count: 0"
		echo "certfiles:"
		echo "  - \"$_ej_c/pki/$_ej_dom.pem\""
		echo "ca_file: \"$_ej_c/pki/ca.pem\""
		echo "s2s_use_starttls: $_ej_tls"
		if [ -n "$_ej_access" ]; then
			echo "access_rules:"
			echo "  s2s_deny_all:"
			echo "    $_ej_access: all"
			echo "s2s_access: s2s_deny_all"
		fi
		echo "acme:"
		echo "  auto: false"
		echo "listen:"
		echo "  -"
		echo "    ip: \"127.0.0.1\""
		echo "    port: $_ej_port"
		echo "    module: ejabberd_s2s_in"
		if [ -n "$_ej_dtls" ]; then
			echo "  -"
			echo "    ip: \"127.0.0.1\""
			echo "    port: $_ej_dtls"
			echo "    module: ejabberd_s2s_in"
			echo "    tls: true"
		fi
		if [ -n "$_ej_c2s" ]; then
			echo "  -"
			echo "    ip: \"127.0.0.1\""
			echo "    port: $_ej_c2s"
			echo "    module: ejabberd_c2s"
			echo "    starttls_required: true"
		fi
		echo "modules:"
		echo "  mod_disco: {}"
		echo "  mod_ping: {}"
		[ "$_ej_dialback" = no ] || echo "  mod_s2s_dialback: {}"
	} > "$_ej_dir/ejabberd.yml"
	_ej_ids=$(peer_ids "$_ej_root" ejabberd) || fail "no user ejabberd in $_ej_root"
	chown -R "$_ej_ids" "$_ej_dir/"

	at_exit "ejabberd_stop '$_ej_dir' --kill"
	ejabberd_ctl "$_ej_dir" start >"$_ej_dir/logs/start.out" 2>&1 ||
		fail "ejabberd_start: ejabberdctl start failed: $(cat "$_ej_dir/logs/start.out")"
	# the listener opens after the node says "started"; poll the port
	wait_port "$_ej_port" 60 || fail "ejabberd on port $_ej_port did not start"
	[ ! -s "$_ej_dir/ejabberd.pid" ] || guard_pid "$(cat "$_ej_dir/ejabberd.pid")"
	EJABBERD_START_MS=$(( $(_ej_ms) - _ej_t0 ))
}

ejabberd_ctl() {
	_ejc_dir=$1; shift
	_ejc_c=$(cat "$_ejc_dir/cdir")
	peer_exec "$(cat "$_ejc_dir/root")" /usr/sbin/ejabberdctl \
		--ctl-config "$_ejc_c/ejabberdctl.cfg" \
		--config "$_ejc_c/ejabberd.yml" --config-dir "$_ejc_c" \
		--spool "$_ejc_c/spool" --logs "$_ejc_c/logs" \
		--node "$(cat "$_ejc_dir/node")" "$@"
}

ejabberd_path() { echo "$(cat "$1/cdir")/$2"; }

ejabberd_version() { peer_version "$(cat "$1/root")" ejabberd; }

ejabberd_log() { echo "$1/logs/ejabberd.log"; }

ejabberd_wait_log() {
	_ejw_n=$(( ${3:-10} * 10 ))
	until grep -qE -- "$2" "$1/logs/ejabberd.log" 2>/dev/null; do
		_ejw_n=$((_ejw_n - 1))
		[ "$_ejw_n" -gt 0 ] || return 1
		sleep 0.1
	done
}

ejabberd_stop() {
	_ejs_dir=$1
	[ -f "$_ejs_dir/node" ] || return 0
	_ejs_pid=$(cat "$_ejs_dir/ejabberd.pid" 2>/dev/null || true)
	if [ -n "$_ejs_pid" ]; then
		# the VM stops cleanly on SIGTERM (init:stop), faster than ejabberdctl
		if [ "${2:-}" = --kill ]; then
			kill -KILL "$_ejs_pid" 2>/dev/null || true
		else
			kill -TERM "$_ejs_pid" 2>/dev/null || true
		fi
		_ejs_n=100
		while kill -0 "$_ejs_pid" 2>/dev/null && [ "$_ejs_n" -gt 0 ]; do
			sleep 0.1; _ejs_n=$((_ejs_n - 1))
		done
		kill -KILL "$_ejs_pid" 2>/dev/null || true
	else
		ejabberd_ctl "$_ejs_dir" stop >/dev/null 2>&1 || true
	fi
	rm -f "$_ejs_dir/node"
}
