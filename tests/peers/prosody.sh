# tests/peers/prosody.sh: a real Prosody (Debian 12: 0.12.3) s2s peer.
# Source after tests/lib.sh. Interface (keep stable, other tests use it):
#
#   prosody_start DIR DOMAIN PORT [--dialback] [--ca FILE]
#                 [--cert FULLCHAIN --key KEY] [--direct-tls PORT]
#                 [--c2s PORT] [--dns PORT] [--vhosts N] [--vhost-file FILE]
#                 [--lenient] [--log-level debug|info|warn]
#                 [--release RELEASE]
#       Start Prosody serving VirtualHost DOMAIN with s2s STARTTLS on
#       127.0.0.1:PORT, s2s_secure_auth = true (certificates only), dialback
#       disabled unless --dialback, trusting --ca (default: root.pem of the
#       test PKI), presenting --cert/--key (default $(pki)/DOMAIN.fullchain.pem
#       and .key, else a fresh leaf for DOMAIN under inter-both).
#       --direct-tls PORT: also XEP-0368 direct TLS s2s on PORT.
#       --c2s PORT: c2s port (default: a free port; c2s always loads).
#       --dns PORT: resolve through 127.0.0.1:PORT (unbound_start) for its
#         own outgoing s2s; needs lua-unbound (skips the test without it).
#       --vhosts N: N more VirtualHosts vhost001.peer.test ... (3 digits),
#         sharing one wildcard certificate *.peer.test.
#       --vhost-file FILE: more VirtualHosts, one name per line, sharing one
#         certificate issued for all of them.
#       --lenient: s2s_secure_auth = false.
#       --log-level: prosody.log level (default debug).
#       --release RELEASE: the Prosody of that Debian release
#         (tests/peers/roots.sh: debian12, debian13), run under chroot from
#         its root when the host is another release; DIR is then a symbolic
#         link into the root. Skips the test when the release cannot be had
#         (peer_root's reason). Default: the host's Prosody.
#       DIR (created; given to user prosody) holds prosody.cfg.lua, pki/,
#       data/ and prosody.log (debug level). Prosody runs as user prosody in
#       the foreground (-F) in the background of the test. Returns when a
#       STARTTLS handshake on PORT completes (all hosts loaded); stops from
#       at_exit. Sets PROSODY_START_MS.
#   prosody_stop DIR
#       SIGTERM, wait for exit (idempotent).
#   prosody_ctl DIR ARGS...
#       prosodyctl --config DIR/prosody.cfg.lua ARGS... as user prosody,
#       e.g. `prosody_ctl DIR shell s2s show` (mod_admin_shell is loaded).
#   prosody_log DIR: path of the log file.
#   prosody_version DIR: the Debian version of the prosody package it runs.
# Keep DIR short: the admin socket DIR/data/prosody.sock must stay under
# ~107 bytes.

. "$TOP/tests/peers/roots.sh"

_pr_ms() { date +%s%3N; }

# _pr_as DIR CMD...: CMD as user prosody, in DIR's root, HOME = DIR
_pr_as() {
	_pra_root=$(cat "$1/root") _pra_c=$(cat "$1/cdir"); shift
	if [ "$_pra_root" = / ]; then
		cd "$_pra_c" && exec setpriv --reuid prosody --regid prosody --init-groups \
			env HOME="$_pra_c" "$@"
	else
		exec chroot "$_pra_root" setpriv --reuid prosody --regid prosody --init-groups \
			env HOME="$_pra_c" "$@"
	fi
}

# _pr_lua_str S: S as a Lua string literal
_pr_lua_str() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"; }

prosody_start() {
	[ $# -ge 3 ] || fail "usage: prosody_start DIR DOMAIN PORT [options]"
	_pr_dir=$1 _pr_dom=$2 _pr_port=$3; shift 3
	_pr_dialback=no _pr_ca="" _pr_cert="" _pr_key="" _pr_dtls="" _pr_c2s=""
	_pr_dns="" _pr_nv=0 _pr_vfile="" _pr_secure=true _pr_loglevel=debug _pr_rel=""
	while [ $# -gt 0 ]; do
		case $1 in
		--dialback) _pr_dialback=yes; shift ;;
		--lenient) _pr_secure=false; shift ;;
		--log-level) _pr_loglevel=$2; shift 2 ;;
		--ca) _pr_ca=$2; shift 2 ;;
		--cert) _pr_cert=$2; shift 2 ;;
		--key) _pr_key=$2; shift 2 ;;
		--direct-tls) _pr_dtls=$2; shift 2 ;;
		--c2s) _pr_c2s=$2; shift 2 ;;
		--dns) _pr_dns=$2; shift 2 ;;
		--vhosts) _pr_nv=$2; shift 2 ;;
		--vhost-file) _pr_vfile=$2; shift 2 ;;
		--release) _pr_rel=$2; shift 2 ;;
		*) fail "prosody_start: unknown option $1" ;;
		esac
	done
	_pr_root=/
	if [ -n "$_pr_rel" ]; then
		_pr_root=$(peer_root "$_pr_rel" 2>"$T/.peer_root.err") ||
			skip "Prosody of $_pr_rel: $(cat "$T/.peer_root.err")"
	fi
	if [ "$_pr_root" = / ]; then
		need_cmd prosody prosodyctl setpriv
	else
		[ -x "$_pr_root/usr/bin/prosody" ] || skip "no prosody in $_pr_root"
	fi
	if [ -n "$_pr_dns" ]; then
		for _pr_lua in lua5.4 lua5.3 lua5.2 lua5.1 ""; do
			[ -n "$_pr_lua" ] || skip "prosody --dns needs lua-unbound (make deps)"
			[ -x "${_pr_root%/}/usr/bin/$_pr_lua" ] &&
				peer_exec "$_pr_root" "/usr/bin/$_pr_lua" -e 'require "lunbound"' 2>/dev/null &&
				break
		done
	fi
	_pr_t0=$(_pr_ms)
	peer_root_dir "$_pr_root" "$_pr_dir" || fail "prosody_start: cannot make $_pr_dir"
	_pr_c=$PEER_CDIR	# DIR as Prosody sees it
	mkdir -p "$_pr_dir/pki" "$_pr_dir/data"
	_pr_dir=$(cd "$_pr_dir" && pwd)
	echo "$_pr_root" > "$_pr_dir/root"
	echo "$_pr_c" > "$_pr_dir/cdir"
	_pr_p=$(pki)
	[ -n "$_pr_ca" ] || _pr_ca=$_pr_p/root.pem
	cp "$_pr_ca" "$_pr_dir/pki/ca.pem"
	if [ -n "$_pr_cert" ]; then
		[ -n "$_pr_key" ] || fail "prosody_start: --cert needs --key"
		cp "$_pr_cert" "$_pr_dir/pki/$_pr_dom.crt"
		cp "$_pr_key" "$_pr_dir/pki/$_pr_dom.key"
	elif [ -f "$_pr_p/$_pr_dom.fullchain.pem" ] && [ -f "$_pr_p/$_pr_dom.key" ]; then
		cp "$_pr_p/$_pr_dom.fullchain.pem" "$_pr_dir/pki/$_pr_dom.crt"
		cp "$_pr_p/$_pr_dom.key" "$_pr_dir/pki/$_pr_dom.key"
	else
		_pr_w=$(pki_copy)
		[ -f "$_pr_w/$_pr_dom.key" ] ||
			sh "$TOP/tests/pki/mkpki.sh" leaf "$_pr_w" "$_pr_dom" --domain "$_pr_dom"
		cp "$_pr_w/$_pr_dom.fullchain.pem" "$_pr_dir/pki/$_pr_dom.crt"
		cp "$_pr_w/$_pr_dom.key" "$_pr_dir/pki/$_pr_dom.key"
	fi
	[ -n "$_pr_c2s" ] || _pr_c2s=$(free_port)

	# extra virtual hosts: a names file and one certificate for all
	_pr_vnames=""
	if [ "$_pr_nv" -gt 0 ]; then
		_pr_w=$(pki_copy)
		[ -f "$_pr_w/wildcard.peer.test.key" ] ||
			sh "$TOP/tests/pki/mkpki.sh" leaf "$_pr_w" wildcard.peer.test \
				--domain '*.peer.test' --domain peer.test
		cp "$_pr_w/wildcard.peer.test.fullchain.pem" "$_pr_dir/pki/vhosts.crt"
		cp "$_pr_w/wildcard.peer.test.key" "$_pr_dir/pki/vhosts.key"
		_pr_vnames=$(seq -f 'vhost%03g.peer.test' 1 "$_pr_nv")
	elif [ -n "$_pr_vfile" ]; then
		_pr_vnames=$(grep -v '^[[:space:]]*$' "$_pr_vfile")
		_pr_w=$(pki_copy)
		# shellcheck disable=SC2046
		sh "$TOP/tests/pki/mkpki.sh" leaf "$_pr_w" vhosts-$$ \
			$(printf '%s\n' "$_pr_vnames" | sed 's/^/--domain /')
		cp "$_pr_w/vhosts-$$.fullchain.pem" "$_pr_dir/pki/vhosts.crt"
		cp "$_pr_w/vhosts-$$.key" "$_pr_dir/pki/vhosts.key"
	fi

	_pr_q() { _pr_lua_str "$_pr_c/$1"; }
	{
		echo "pidfile = $(_pr_q prosody.pid)"
		echo "data_path = $(_pr_q data)"
		echo "log = { $_pr_loglevel = $(_pr_q prosody.log) }"
		echo 'interfaces = { "127.0.0.1" }'
		echo 'local_interfaces = { "127.0.0.1" }'
		echo "s2s_ports = { $_pr_port }"
		echo "c2s_ports = { $_pr_c2s }"
		echo "c2s_direct_tls_ports = { }"
		[ -z "$_pr_dtls" ] || echo "s2s_direct_tls_ports = { $_pr_dtls }"
		echo 'http_ports = { }'
		echo 'https_ports = { }'
		echo 'modules_enabled = { "tls", "saslauth", "disco", "ping", "admin_shell"'"$(
			[ "$_pr_dialback" = no ] || printf ', "dialback"') }"
		[ "$_pr_dialback" = yes ] || echo 'modules_disabled = { "dialback" }'
		echo "s2s_secure_auth = $_pr_secure"
		echo 's2s_require_encryption = true'
		echo "ssl = { cafile = $(_pr_q pki/ca.pem) }"
		echo "certificates = $(_pr_q pki)"
		echo 'authentication = "internal_hashed"'
		echo 'storage = "internal"'
		echo 'statistics = nil'
		if [ -n "$_pr_dns" ]; then
			# libunbound serves "test." itself (empty, RFC 6761) unless told not to
			echo "unbound = { resolvconf = false; hoststxt = false;"
			echo "            forward = { \"127.0.0.1@$_pr_dns\" };"
			echo "            options = { [\"local-zone:\"] = \"test. transparent\";"
			echo "                        [\"do-not-query-localhost:\"] = \"no\" } }"
		fi
		echo
		echo "VirtualHost $(_pr_lua_str "$_pr_dom")"
		echo "    ssl = { certificate = $(_pr_q "pki/$_pr_dom.crt"); key = $(_pr_q "pki/$_pr_dom.key") }"
		if [ -n "$_pr_vnames" ]; then
			printf '%s\n' "$_pr_vnames" | while IFS= read -r _pr_v; do
				echo "VirtualHost $(_pr_lua_str "$_pr_v")"
				echo "    ssl = { certificate = $(_pr_q pki/vhosts.crt); key = $(_pr_q pki/vhosts.key) }"
			done
		fi
	} > "$_pr_dir/prosody.cfg.lua"
	chmod 600 "$_pr_dir"/pki/*.key
	_pr_ids=$(peer_ids "$_pr_root" prosody) || fail "no user prosody in $_pr_root"
	chown -R "$_pr_ids" "$_pr_dir/"

	at_exit "prosody_stop '$_pr_dir'"
	# chroot, setpriv and env exec, so $! is prosody itself
	( _pr_as "$_pr_dir" prosody -F --config "$_pr_c/prosody.cfg.lua" \
		>"$_pr_dir/console.log" 2>&1 ) &
	echo $! > "$_pr_dir/launch.pid"
	guard_pid $!
	_pr_n=300
	while ! python3 -c "import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(s.connect_ex(('127.0.0.1',$_pr_port)))" 2>/dev/null; do
		kill -0 "$(cat "$_pr_dir/launch.pid")" 2>/dev/null ||
			fail "prosody exited at start: $(tail -n 5 "$_pr_dir/console.log" "$_pr_dir/prosody.log" 2>/dev/null)"
		_pr_n=$((_pr_n - 1))
		[ "$_pr_n" -gt 0 ] || fail "prosody on port $_pr_port did not start"
		sleep 0.1
	done
	# the port listens before every host is loaded; the TLS handshake only
	# completes once the event loop runs, i.e. when startup is over
	_pr_n=600
	until echo | timeout 10 openssl s_client -starttls xmpp-server -xmpphost "$_pr_dom" \
		-connect "127.0.0.1:$_pr_port" 2>/dev/null | grep -q 'BEGIN CERTIFICATE'; do
		_pr_n=$((_pr_n - 1))
		[ "$_pr_n" -gt 0 ] || fail "prosody on port $_pr_port never completed a handshake"
		sleep 0.1
	done
	PROSODY_START_MS=$(( $(_pr_ms) - _pr_t0 ))
}

prosody_ctl() {
	_prc_dir=$1; shift
	( _pr_as "$_prc_dir" prosodyctl --config "$(cat "$_prc_dir/cdir")/prosody.cfg.lua" "$@" )
}

prosody_version() { peer_version "$(cat "$1/root")" prosody; }

prosody_log() { echo "$1/prosody.log"; }

prosody_stop() {
	_prs_dir=$1
	[ -f "$_prs_dir/launch.pid" ] || return 0
	_prs_pid=$(cat "$_prs_dir/launch.pid")
	kill -TERM "$_prs_pid" 2>/dev/null || true
	_prs_n=50
	while kill -0 "$_prs_pid" 2>/dev/null && [ "$_prs_n" -gt 0 ]; do
		sleep 0.1; _prs_n=$((_prs_n - 1))
	done
	kill -KILL "$_prs_pid" 2>/dev/null || true
	_prs_n=30	# a killed process still holds its port until it is gone
	while kill -0 "$_prs_pid" 2>/dev/null && [ "$_prs_n" -gt 0 ]; do
		sleep 0.1; _prs_n=$((_prs_n - 1))
	done
	rm -f "$_prs_dir/launch.pid"
}
