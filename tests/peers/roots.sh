# tests/peers/roots.sh: where the servers of each Debian release live.
# Sourced by tests/peers/ejabberd.sh and prosody.sh (after tests/lib.sh).
# Interface (keep stable, other tests use it):
#
#   peer_host_release
#       The host's Debian release as a peer release name: debian12,
#       debian13 (from /etc/debian_version), or "other".
#   peer_root RELEASE
#       Print the root directory holding RELEASE's ejabberd and Prosody:
#       "/" when the host itself is that release, else a debootstrap root
#       the servers run from under chroot(2). RELEASE is one of
#         debian12             ejabberd 23.01, Prosody 0.12 (bookworm)
#         debian13             ejabberd 24.12-3+deb13u2, Prosody 13 (trixie)
#         debian12-backports   ejabberd 24.12-3~bpo12+1 (bookworm-backports)
#       The other release's root is the one `scripts/debian-root.sh
#       RELEASE ensure` builds, caches and prints (trixie, bookworm,
#       bookworm-backports; $S2S_TRIXIE_ROOT, $S2S_BOOKWORM_ROOT and
#       $S2S_BPO_ROOT choose where, used as is when that script is
#       missing). Prints the reason on stderr and returns 1 when the
#       release cannot be had here.
#   peer_root_dir ROOT DIR
#       Make DIR the test's view of a fresh private directory inside ROOT
#       (ROOT/tmp/s2st.XXXXXX, removed from at_exit) and set PEER_CDIR to
#       that directory's path as the chrooted server sees it. DIR becomes a
#       symbolic link to it (an existing empty DIR is replaced). Gives ROOT
#       an /etc/hosts naming localhost if it has none. With ROOT "/" DIR is
#       simply created and PEER_CDIR is its absolute path. Do not call it
#       in $(...): the cleanup must be registered by the test's shell.
#   peer_exec ROOT CMD [ARG...]
#       Run CMD (a path inside ROOT) as root: under chroot ROOT, or directly
#       when ROOT is "/".
#   peer_ids ROOT USER
#       USER's "uid:gid" in ROOT's own /etc/passwd (for chown from the host).
#   peer_version ROOT PACKAGE
#       The installed version of PACKAGE in ROOT (dpkg-query).

peer_host_release() {
	case $(cat /etc/debian_version 2>/dev/null) in
	12.*|bookworm*) echo debian12 ;;
	13.*|trixie*) echo debian13 ;;
	*) echo other ;;
	esac
}

# _peer_root_ok DIR RELEASE_MAJOR: DIR is a usable root of that release with
# both servers' packages unpacked
_peer_root_ok() {
	[ -x "$1/usr/sbin/ejabberdctl" ] || [ -x "$1/usr/bin/prosody" ] || return 1
	case $(cat "$1/etc/debian_version" 2>/dev/null) in
	"$2".*) return 0 ;;
	esac
	return 1
}

# _peer_other_root SUITE MAJOR VAR VALUE: the root of that suite
# (scripts/debian-root.sh), or VALUE (the root VAR names) without it
_peer_other_root() {
	_por=$4
	if [ -f "$TOP/scripts/debian-root.sh" ]; then
		_por=$(sh "$TOP/scripts/debian-root.sh" "$1" ensure) || {
			echo "scripts/debian-root.sh $1 ensure failed" >&2; return 1; }
	fi
	[ -n "$_por" ] || { echo "no $1 root: set $3" >&2; return 1; }
	_peer_root_ok "$_por" "$2" || {
		echo "$_por is not a Debian $2 root with the peer servers" >&2; return 1; }
	echo "$_por"
}

peer_root() {
	_prt_host=$(peer_host_release)
	if [ "$1" = "$_prt_host" ]; then echo /; return 0; fi
	case $1 in
	debian12) _peer_other_root bookworm 12 S2S_BOOKWORM_ROOT "${S2S_BOOKWORM_ROOT:-}" ;;
	debian13) _peer_other_root trixie 13 S2S_TRIXIE_ROOT "${S2S_TRIXIE_ROOT:-}" ;;
	debian12-backports)
		_peer_other_root bookworm-backports 12 S2S_BPO_ROOT "${S2S_BPO_ROOT:-}" ;;
	*)
		echo "unknown peer release $1" >&2; return 1 ;;
	esac
}

peer_root_dir() {
	if [ "$1" = / ]; then
		mkdir -p "$2" && PEER_CDIR=$(cd "$2" && pwd)
		return
	fi
	if [ -L "$2" ]; then
		rm -f "$2"
	elif [ -d "$2" ]; then
		rmdir "$2" || return 1
	fi
	mkdir -p "$1/tmp" "$(dirname "$2")"
	chmod 1777 "$1/tmp"
	if [ ! -e "$1/etc/hosts" ]; then
		printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' > "$1/etc/hosts.s2st$$"
		mv "$1/etc/hosts.s2st$$" "$1/etc/hosts"
	fi
	_prd_in=$(mktemp -d "$1/tmp/s2st.XXXXXX") || return 1
	chmod 755 "$_prd_in"
	at_exit "rm -rf '$_prd_in'"
	ln -s "$_prd_in" "$2"
	PEER_CDIR=${_prd_in#"${1%/}"}
}

peer_exec() {
	_pe_root=$1; shift
	if [ "$_pe_root" = / ]; then "$@"; else chroot "$_pe_root" "$@"; fi
}

peer_ids() {
	awk -F: -v u="$2" '$1 == u { print $3 ":" $4; f = 1 } END { exit !f }' \
		"${1%/}/etc/passwd"
}

peer_version() {
	peer_exec "$1" dpkg-query -W -f '${Version}' "$2" 2>/dev/null
}
