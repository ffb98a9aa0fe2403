# tests/lib.sh: sourced by every tests/integration/NN-*.sh script.
#
# Gives each test: `set -eu`, a private directory $T (removed on exit),
# cleanup hooks run from an exit trap (`at_exit CMD`), free loopback ports,
# and helpers to skip (exit 77) or fail (exit 1) with a message. On failure
# every *.log under $T is printed so CI shows what the servers said.
set -eu

TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$TOP/build
PATH=$BUILD:$PATH
export TOP BUILD PATH

T=$(mktemp -d "${TMPDIR:-/tmp}/s2st.XXXXXX")
chmod 755 "$T"
_cleanups=""
_test_name=$(basename "$0" .sh)

at_exit() { _cleanups="$1
$_cleanups"; }

_run_cleanups() {
	rc=$?
	trap '' INT TERM HUP PIPE
	set +e
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ "$rc" -ne 141 ]; then
		for f in $(find "$T" -name '*.log' -size -2M 2>/dev/null); do
			echo "----- $f (last 40 lines)"; tail -n 40 "$f"
		done
	fi
	printf '%s\n' "$_cleanups" | while IFS= read -r c; do
		[ -n "$c" ] && eval "$c" >/dev/null 2>&1
	done
	[ "${S2S_KEEP_TMP:-}" = 1 ] || rm -rf "$T"
	exit "$rc"
}
trap _run_cleanups EXIT
# also on signals (a closed output pipe, a hangup), or servers would leak
trap 'exit 130' INT TERM HUP
trap 'exit 141' PIPE

# guard_pid PID: a watcher stops PID (TERM, then KILL) if this test's shell
# dies without running its cleanups (SIGKILL, or at_exit called from a
# subshell). Servers started by tests/peers/*.sh are guarded.
guard_pid() {
	_gp_test=$$
	(
		trap '' HUP INT TERM
		while kill -0 "$_gp_test" 2>/dev/null && kill -0 "$1" 2>/dev/null; do sleep 1; done
		if kill -0 "$1" 2>/dev/null; then
			kill -TERM "$1"; sleep 3; kill -KILL "$1"
		fi
	) </dev/null >/dev/null 2>&1 &
}

say() { printf '%s: %s\n' "$_test_name" "$*"; }
fail() { printf '%s: FAIL: %s\n' "$_test_name" "$*" >&2; exit 1; }
skip() { printf '%s: SKIP: %s\n' "$_test_name" "$*"; exit 77; }
need_cmd() { for c in "$@"; do command -v "$c" >/dev/null 2>&1 || skip "$c not installed (make deps)"; done; }

# free_port: a TCP port on 127.0.0.1 nobody listens on now.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_port PORT [SECONDS]: until something accepts on 127.0.0.1:PORT.
wait_port() {
	_p=$1; _n=$(( ${2:-20} * 10 ))
	while [ "$_n" -gt 0 ]; do
		if python3 -c "import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(s.connect_ex(('127.0.0.1',$_p)))" 2>/dev/null; then
			return 0
		fi
		sleep 0.1; _n=$((_n - 1))
	done
	return 1
}

# expect_exit CODE CMD...: run CMD, fail unless it exits with CODE.
expect_exit() {
	_want=$1; shift
	set +e; "$@"; _got=$?; set -e
	[ "$_got" -eq "$_want" ] || fail "expected exit $_want, got $_got: $*"
}

# assert_grep PATTERN FILE
assert_grep() { grep -qE -- "$1" "$2" || fail "'$1' not found in $2"; }
assert_no_grep() { ! grep -qE -- "$1" "$2" || fail "'$1' unexpectedly found in $2"; }

# pki: path of the test PKI (tests/pki/mkpki.sh file names): $S2S_PKI when
# tests/run made one, else generated once into $T/pki. Treat it as read-only;
# a test that adds leaves (mkpki.sh leaf/resign) uses pki_copy instead.
pki() {
	if [ -n "${S2S_PKI:-}" ]; then echo "$S2S_PKI"; return 0; fi
	[ -f "$T/pki/root.pem" ] || sh "$TOP/tests/pki/mkpki.sh" "$T/pki" || return 1
	echo "$T/pki"
}

# pki_copy: a private, writable copy of the test PKI in $T/pkiw (made once).
pki_copy() {
	if [ ! -f "$T/pkiw/root.pem" ]; then
		_src=$(pki) || return 1
		mkdir -p "$T/pkiw" && chmod 755 "$T/pkiw" && cp -p "$_src"/* "$T/pkiw/" || return 1
	fi
	echo "$T/pkiw"
}

# test_user: create an unprivileged system user for this test (useradd -r,
# its own group, no home), removed at exit; its name in $TU. For tests that
# act as a hostile local user (the XMPP server's account).
test_user() {
	[ "$(id -u)" -eq 0 ] || skip "creating a user needs root"
	need_cmd useradd userdel setpriv
	TU=s2s$(printf '%s' "$T" | md5sum | cut -c1-9)
	useradd -r -M -d /nonexistent -s /usr/sbin/nologin "$TU" >/dev/null || fail "useradd $TU"
	at_exit "userdel $TU; groupdel $TU"
}

# as_user USER CMD...: run CMD as USER, its own group only, no new privileges.
as_user() {
	_au=$1; shift
	setpriv --reuid="$_au" --regid="$_au" --clear-groups --no-new-privs -- "$@"
}
# What the local ejabberd (the one tests/peers/ejabberd.sh starts) checks in
# an s2s client certificate, from its package version (reference/xmpp-s2s.md
# §4, §4.3):
#   EJ_PURPOSE=client  Debian 12's 23.01 (and any other build before the
#       fix): OpenSSL's SSL-client purpose, so a chain without clientAuth
#       (serverAuth-only leaf or intermediate) is refused.
#   EJ_PURPOSE=server  Debian 13's 24.12-3+deb13u2 and later ("Ignore cert
#       purpose for incoming s2s") or upstream >= 25.07: the server purpose,
#       as Prosody; serverAuth-only chains pass, a clientAuth-only leaf is
#       refused.
#   EJ_REFUSED       test-PKI leaf (mkpki.sh names) that the local ejabberd
#                    refuses: leaf-server, or leaf-client
#   EJ_REFUSED_ALL   every such chain of the test PKI (space separated)
#   EJ_ACCEPTED      a leaf it accepts that is no regression: leaf-both
#   EJ_ACCEPTED_NEW  a chain it accepts that the other rule refuses:
#                    leaf-client (client purpose) or leaf-server (server)
#   EJ_REFUSAL       its words, the same on both: the probe's "reason"
# Only tests about the host's own ejabberd use these (20, 22, 69). A test
# that needs a peer refusing a serverAuth-only renewal starts Debian 12's
# ejabberd instead (ejabberd_start --release debian12), on either host.
ej_purpose() {
	_ejv=$(dpkg-query -W -f='${Version}' ejabberd 2>/dev/null) || _ejv=""
	case $_ejv in
	'') echo client ;;
	*+deb13u*)
		if dpkg --compare-versions "$_ejv" ge 24.12-3+deb13u2; then echo server; else echo client; fi ;;
	*)
		if dpkg --compare-versions "$_ejv" ge 25.07; then echo server; else echo client; fi ;;
	esac
}
EJ_PURPOSE=${S2S_EJ_PURPOSE:-$(ej_purpose)}
EJ_ACCEPTED=leaf-both
EJ_REFUSAL="not-authorized: unsupported certificate purpose"
if [ "$EJ_PURPOSE" = server ]; then
	EJ_REFUSED=leaf-client EJ_REFUSED_ALL=leaf-client EJ_ACCEPTED_NEW=leaf-server
else
	EJ_REFUSED=leaf-server EJ_REFUSED_ALL="leaf-server leaf-both-under-server" EJ_ACCEPTED_NEW=leaf-client
fi
export EJ_PURPOSE EJ_REFUSED EJ_REFUSED_ALL EJ_ACCEPTED EJ_ACCEPTED_NEW EJ_REFUSAL
