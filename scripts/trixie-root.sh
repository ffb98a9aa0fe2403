#!/bin/sh
# scripts/trixie-root.sh: a cached minimal Debian 13 (trixie) root, for the
# Debian 13 federation peers of the tests and for `make check-debian13`.
#
#   sh scripts/trixie-root.sh ensure [PKG...]
#       Make sure the root exists, is not stale, and holds the peer packages
#       (and PKG..., installed when missing); print its path.
#   sh scripts/trixie-root.sh run CMD [ARG...]
#       ensure, then run CMD chroot'ed in the root with /proc, /dev,
#       /dev/pts, /dev/shm and /sys mounted; exits with CMD's status.
#   sh scripts/trixie-root.sh enter PID | leave PID
#       Mount /proc, /dev, /dev/pts, /dev/shm and /sys in the root while process PID
#       lives (for daemons started with a plain chroot); leave PID ends that.
#       The mounts are shared by every user and unmounted when the last one
#       leaves or has died, so parallel users never unmount each other's.
#   sh scripts/trixie-root.sh path
#       Print the root's path; build nothing.
#
# The root is ${S2S_TRIXIE_ROOT:-TOP/build/trixie}: `debootstrap
# --variant=minbase trixie` from the host's own Debian mirror
# (S2S_TRIXIE_MIRROR overrides), with a policy-rc.d so that no packaged
# daemon ever starts, and always the packages in PEERS below. The stamp
# ROOT/.s2sguard-root records how it was made; the root is rebuilt when
# FORMAT or PEERS changed or it is older than S2S_TRIXIE_MAX_DAYS (7) days,
# unless someone is using it then (enter/run): a stale root in use is
# kept. A root without a stamp that is Debian 13 (made by hand, e.g. by
# `debootstrap --variant=minbase trixie DIR`) is adopted: the packages are
# added and it is stamped. Every step holds ROOT.lock (flock), so
# concurrent callers wait for each other. Needs root (debootstrap, chroot).
# Exit status: 0 done (run: CMD's status), 1 failure, 2 usage.
set -eu

# Bump FORMAT when the way the root is made changes: every cached root is
# then rebuilt. A change of PEERS is noticed by itself.
FORMAT=1
SUITE=trixie
PEERS="ejabberd erlang-p1-tls prosody lua-sec lua-unbound openssl ca-certificates"
MAX_DAYS=${S2S_TRIXIE_MAX_DAYS:-7}

TOP=$(cd "$(dirname "$0")/.." && pwd)
ROOT=${S2S_TRIXIE_ROOT:-$TOP/build/trixie}
STAMP=.s2sguard-root

die() { echo "trixie-root: $*" >&2; exit 1; }
note() { echo "trixie-root: $*" >&2; }
usage() { sed -n '4,17s/^# \{0,1\}//p' "$0" >&2; exit 2; }

need_root() { [ "$(id -u)" -eq 0 ] || die "$1 needs root (debootstrap, chroot, mount)"; }

# host_mirror: the URI the host's apt takes its Debian main suite from.
host_mirror() { if [ -n "${S2S_TRIXIE_MIRROR:-}" ]; then echo "$S2S_TRIXIE_MIRROR"; else sh "$TOP/scripts/host-mirror.sh"; fi; }

# mounted_under DIR: true if anything is mounted at or below DIR.
mounted_under() {
	awk -v d="$1" '$5 == d || index($5, d "/") == 1 { f = 1 } END { exit !f }' /proc/self/mountinfo
}

# live_users: prune dead pids from ROOT.users; true if any remain.
live_users() {
	[ -f "$ROOT.users" ] || return 1
	: > "$ROOT.users.new"
	while read -r _p; do
		[ -n "$_p" ] && kill -0 "$_p" 2>/dev/null && echo "$_p" >> "$ROOT.users.new"
	done < "$ROOT.users"
	mv "$ROOT.users.new" "$ROOT.users"
	[ -s "$ROOT.users" ]
}

do_mount() {
	for _m in proc dev dev/pts dev/shm sys; do
		mountpoint -q "$ROOT/$_m" && continue
		mkdir -p "$ROOT/$_m"
		case $_m in
		proc) mount -t proc proc "$ROOT/proc" ;;
		sys) mount -t sysfs sysfs "$ROOT/sys" 2>/dev/null || mount --bind /sys "$ROOT/sys" ;;
		dev/shm) mount -t tmpfs -o mode=1777,nosuid,nodev shm "$ROOT/dev/shm" ;;
		*) mount --bind "/$_m" "$ROOT/$_m" ;;
		esac || die "cannot mount /$_m in $ROOT"
	done
}

do_umount() {
	for _m in sys dev/shm dev/pts dev proc; do
		mountpoint -q "$ROOT/$_m" || continue
		umount "$ROOT/$_m" 2>/dev/null || umount -l "$ROOT/$_m"
	done
}

# Called with ROOT.lock held.
enter_locked() {
	live_users || do_mount
	echo "$1" >> "$ROOT.users"
}

leave_locked() {
	if [ -f "$ROOT.users" ]; then
		grep -vx -- "$1" "$ROOT.users" > "$ROOT.users.new" || true
		mv "$ROOT.users.new" "$ROOT.users"
	fi
	live_users || do_umount
}

stamp_text() {
	printf 'format=%s\nsuite=%s\npackages=%s\n' "$FORMAT" "$SUITE" \
		"$(printf '%s\n' $PEERS | sort | tr '\n' ' ' | sed 's/ $//')"
}

is_trixie() {
	[ -f "$1/etc/debian_version" ] && [ -x "$1/usr/bin/apt-get" ] &&
		grep -qE '^(13\.|trixie/)' "$1/etc/debian_version"
}

# stale: true if ROOT must be rebuilt (never for a root without a stamp:
# that one is adopted).
stale() {
	[ -f "$ROOT/$STAMP" ] || return 1
	[ "$(grep -v '^built=' "$ROOT/$STAMP")" = "$(stamp_text)" ] || return 0
	_built=$(sed -n 's/^built=//p' "$ROOT/$STAMP")
	[ $(( $(date +%s) - ${_built:-0} )) -gt $(( MAX_DAYS * 86400 )) ]
}

policy_rc() {
	printf '#!/bin/sh\n# s2sguard: packaged daemons never start here\nexit 101\n' > "$1/usr/sbin/policy-rc.d"
	chmod 755 "$1/usr/sbin/policy-rc.d"
}

# debootstrap into ROOT.new, then swap it in; an old root still mounted
# by someone is left as ROOT.old.* for them.
build_root() {
	command -v debootstrap >/dev/null || die "debootstrap not installed (apt-get install debootstrap)"
	_mirror=$(host_mirror)
	_new=$ROOT.new
	rm -rf --one-file-system "$_new"
	note "debootstrap --variant=minbase $SUITE $_new $_mirror"
	_t0=$(date +%s)
	debootstrap --variant=minbase "$SUITE" "$_new" "$_mirror" > "$ROOT.debootstrap.log" 2>&1 ||
		die "debootstrap failed, see $ROOT.debootstrap.log"
	note "debootstrap took $(( $(date +%s) - _t0 )) s"
	echo "deb $_mirror $SUITE main" > "$_new/etc/apt/sources.list"
	policy_rc "$_new"
	if [ -e "$ROOT" ]; then
		_old=$ROOT.old.$$
		mv "$ROOT" "$_old"
		if mounted_under "$_old"; then
			note "old root in use, left at $_old"
		else
			rm -rf --one-file-system "$_old"
		fi
	fi
	mv "$_new" "$ROOT"
}

# install_missing PKG...: apt-get install whatever of PKG... is not installed.
install_missing() {
	_miss=""
	for _pk in "$@"; do
		chroot "$ROOT" dpkg-query -W -f='${Status}\n' "$_pk" 2>/dev/null |
			grep -q '^install ok installed$' || _miss="$_miss $_pk"
	done
	[ -n "$_miss" ] || return 0
	note "installing in $ROOT:$_miss"
	_t0=$(date +%s)
	cp /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
	enter_locked $$
	_rc=0
	chroot "$ROOT" env DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 sh -c '
		apt-get -o DPkg::Lock::Timeout=900 update -q >/dev/null &&
		apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends "$@" >/dev/null
	' sh $_miss || _rc=$?
	leave_locked $$
	[ "$_rc" -eq 0 ] || die "apt-get install$_miss failed in $ROOT (exit $_rc)"
	note "package install took $(( $(date +%s) - _t0 )) s"
}

# ensure_locked PKG...: with ROOT.lock held.
ensure_locked() {
	if [ -e "$ROOT" ] && ! is_trixie "$ROOT"; then
		[ -f "$ROOT/$STAMP" ] || die "$ROOT exists and is not a Debian 13 root; remove it or set S2S_TRIXIE_ROOT"
		note "$ROOT is broken, rebuilding"; build_root
	elif [ ! -e "$ROOT" ]; then
		build_root
	elif stale; then
		if live_users || mounted_under "$ROOT"; then
			note "$ROOT is stale but in use: kept"
		else
			note "$ROOT is stale: rebuilding"; build_root
		fi
	fi
	[ -e "$ROOT/usr/sbin/policy-rc.d" ] || policy_rc "$ROOT"
	install_missing $PEERS "$@"
	if [ ! -f "$ROOT/$STAMP" ] || [ "$(grep -v '^built=' "$ROOT/$STAMP")" != "$(stamp_text)" ]; then
		{ stamp_text; echo "built=$(date +%s)"; } > "$ROOT/$STAMP.tmp"
		mv "$ROOT/$STAMP.tmp" "$ROOT/$STAMP"
	fi
}

lock() {
	mkdir -p "$(dirname "$ROOT")"
	exec 9>"$ROOT.lock"
	flock 9
}
unlock() { exec 9>&-; }

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
path) echo "$ROOT" ;;
ensure)
	need_root ensure
	lock; ensure_locked "$@"; unlock
	echo "$ROOT" ;;
run)
	[ $# -gt 0 ] || usage
	need_root run
	lock; ensure_locked; enter_locked $$; unlock
	trap 'lock; leave_locked $$; unlock' EXIT
	trap 'exit 130' INT TERM HUP
	set +e
	chroot "$ROOT" "$@"
	rc=$?
	exit $rc ;;
enter|leave)
	[ $# -eq 1 ] || usage
	case $1 in ''|*[!0-9]*) die "$cmd: '$1' is not a process id" ;; esac
	need_root "$cmd"
	lock
	if [ "$cmd" = enter ]; then
		kill -0 "$1" 2>/dev/null || die "enter: no process $1"
		is_trixie "$ROOT" || die "$ROOT is not a Debian 13 root (run ensure first)"
		enter_locked "$1"
	else
		leave_locked "$1"
	fi
	unlock ;;
*) usage ;;
esac
