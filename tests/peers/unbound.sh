# tests/peers/unbound.sh: a private unbound answering test DNS data on loopback.
# Source after tests/lib.sh. Interface (keep stable, other tests use it):
#
#   unbound_start DIR PORT DATAFILE [--conf FILE]
#       unbound on 127.0.0.1:PORT (UDP and TCP), not daemonized, no root
#       features (username "", chroot ""), files in DIR. It never recurses:
#       "." is a static local zone, so only DATAFILE's records exist and
#       every other name is NXDOMAIN. DATAFILE lines are either unbound
#       directives (local-data: / local-zone: / local-data-ptr:) used as is,
#       or resource records ("NAME TTL IN TYPE RDATA") that become
#       local-data; blank lines and # comments are ignored. Write it with the
#       dns_* helpers below. --conf FILE: extra server: lines appended (e.g.
#       stub-zone/forward-zone for DNSSEC tests; then also a local-zone for
#       that zone of type transparent/nodefault). Returns when it answers;
#       stops from at_exit. Sets UNBOUND_START_MS.
#   unbound_reload DIR [DATAFILE]
#       Re-read (a new) DATAFILE: SIGHUP, then wait until it answers again.
#   unbound_stop DIR
#
#   dns_rr FILE "RR"                     any record, e.g. a target "." SRV
#   dns_a FILE NAME [ADDR]               A (default 127.0.0.1)
#   dns_aaaa FILE NAME ADDR              AAAA
#   dns_srv FILE SERVICE DOMAIN PORT [TARGET [PRIO [WEIGHT]]]
#       _SERVICE._tcp.DOMAIN SRV; SERVICE is xmpp-server, xmpps-server, ...;
#       TARGET defaults to DOMAIN, PRIO 0, WEIGHT 5.
#   dns_xmpp_peer FILE DOMAIN PORT [DIRECT_TLS_PORT|- [TARGET]]
#       What a federating server needs: SRV _xmpp-server._tcp.DOMAIN -> TARGET
#       (default DOMAIN) PORT, _xmpps-server too when DIRECT_TLS_PORT is given
#       (not "-"), and A DOMAIN 127.0.0.1. Use TARGET localhost when ejabberd
#       must connect there: it looks up SRV through --dns but resolves SRV
#       targets with getaddrinfo (the system resolver), which knows
#       localhost but not the test names.
#   dns_query PORT NAME TYPE
#       The answers' RDATA, one per line (drill -Q), e.g. "0 5 5269 x.test.".

_ub_ms() { date +%s%3N; }

_ub_fqdn() { case $1 in *.) echo "$1" ;; *) echo "$1." ;; esac; }

dns_rr() { printf '%s\n' "$2" >> "$1"; }
dns_a() { dns_rr "$1" "$(_ub_fqdn "$2") 60 IN A ${3:-127.0.0.1}"; }
dns_aaaa() { dns_rr "$1" "$(_ub_fqdn "$2") 60 IN AAAA $3"; }
dns_srv() {
	_ub_t=${5:-$3}
	[ "$_ub_t" = . ] || _ub_t=$(_ub_fqdn "$_ub_t")
	dns_rr "$1" "_$2._tcp.$(_ub_fqdn "$3") 60 IN SRV ${6:-0} ${7:-5} $4 $_ub_t"
}
dns_xmpp_peer() {
	dns_srv "$1" xmpp-server "$2" "$3" "${5:-$2}"
	case ${4:--} in -) ;; *) dns_srv "$1" xmpps-server "$2" "$4" "${5:-$2}" ;; esac
	dns_a "$1" "$2"
}

dns_query() {
	drill -p "$1" -Q "$2" "$3" @127.0.0.1 2>/dev/null
}

# _ub_localconf DATAFILE OUT
_ub_localconf() {
	while IFS= read -r _ub_l || [ -n "$_ub_l" ]; do
		case $_ub_l in
		""|"#"*) ;;
		local-data:*|local-zone:*|local-data-ptr:*) printf '%s\n' "$_ub_l" ;;
		*\"*) printf "local-data: '%s'\\n" "$_ub_l" ;;
		*) printf 'local-data: "%s"\n' "$_ub_l" ;;
		esac
	done < "$1" > "$2.tmp"
	mv "$2.tmp" "$2"
}

unbound_start() {
	[ $# -ge 3 ] || fail "usage: unbound_start DIR PORT DATAFILE [--conf FILE]"
	_ub_dir=$1 _ub_port=$2 _ub_data=$3; shift 3
	_ub_extra=""
	while [ $# -gt 0 ]; do
		case $1 in
		--conf) _ub_extra=$2; shift 2 ;;
		*) fail "unbound_start: unknown option $1" ;;
		esac
	done
	need_cmd unbound drill
	_ub_t0=$(_ub_ms)
	mkdir -p "$_ub_dir"
	_ub_dir=$(cd "$_ub_dir" && pwd)
	_ub_localconf "$_ub_data" "$_ub_dir/local.conf"
	{
		echo "server:"
		echo "  username: \"\""
		echo "  chroot: \"\""
		echo "  directory: \"$_ub_dir\""
		echo "  pidfile: \"$_ub_dir/unbound.pid\""
		echo "  logfile: \"$_ub_dir/unbound.log\""
		echo "  use-syslog: no"
		echo "  verbosity: 1"
		echo "  do-daemonize: no"
		echo "  interface: 127.0.0.1"
		echo "  port: $_ub_port"
		echo "  do-ip6: no"
		echo "  num-threads: 1"
		echo "  so-reuseport: no"
		echo "  access-control: 127.0.0.0/8 allow"
		echo "  module-config: \"iterator\""
		echo "  cache-max-ttl: 0"
		echo "  cache-max-negative-ttl: 0"
		echo "  local-zone: \".\" static"
		echo "  include: \"$_ub_dir/local.conf\""
		[ -z "$_ub_extra" ] || cat "$_ub_extra"
		echo "remote-control:"
		echo "  control-enable: no"
	} > "$_ub_dir/unbound.conf"
	unbound-checkconf "$_ub_dir/unbound.conf" >"$_ub_dir/checkconf.log" 2>&1 ||
		fail "unbound config rejected: $(cat "$_ub_dir/checkconf.log")"
	at_exit "unbound_stop '$_ub_dir'"
	unbound -d -c "$_ub_dir/unbound.conf" >"$_ub_dir/console.log" 2>&1 &
	echo $! > "$_ub_dir/launch.pid"
	guard_pid $!
	_ub_wait "$_ub_dir" || fail "unbound on port $_ub_port did not start"
	UNBOUND_START_MS=$(( $(_ub_ms) - _ub_t0 ))
}

# _ub_wait DIR: until the server answers a query (any rcode)
_ub_wait() {
	_ubw_port=$(sed -n 's/^  port: //p' "$1/unbound.conf")
	_ubw_n=100
	while [ "$_ubw_n" -gt 0 ]; do
		kill -0 "$(cat "$1/launch.pid")" 2>/dev/null || return 1
		# over TCP: a closed port fails at once (UDP would wait for a timeout)
		if drill -t -p "$_ubw_port" . SOA @127.0.0.1 2>/dev/null | grep -q 'rcode: NOERROR\|rcode: NXDOMAIN'; then
			return 0
		fi
		sleep 0.1; _ubw_n=$((_ubw_n - 1))
	done
	return 1
}

unbound_reload() {
	[ -z "${2:-}" ] || _ub_localconf "$2" "$1/local.conf"
	kill -HUP "$(cat "$1/launch.pid")"
	sleep 0.2
	_ub_wait "$1" || fail "unbound did not come back after reload"
}

unbound_stop() {
	[ -f "$1/launch.pid" ] || return 0
	_ubs_pid=$(cat "$1/launch.pid")
	kill -TERM "$_ubs_pid" 2>/dev/null || true
	_ubs_n=50
	while kill -0 "$_ubs_pid" 2>/dev/null && [ "$_ubs_n" -gt 0 ]; do
		sleep 0.1; _ubs_n=$((_ubs_n - 1))
	done
	kill -KILL "$_ubs_pid" 2>/dev/null || true
	rm -f "$1/launch.pid"
}
