#!/bin/sh
# scripts/debian-root.sh: cached minimal Debian roots holding the other
# release's XMPP servers, for the tests' federation peers
# (tests/peers/roots.sh) and for `make check-debian13`.
#
#   sh scripts/debian-root.sh RELEASE ensure [PKG...]
#       Make sure the root exists, is not stale, and holds RELEASE's peer
#       packages (and PKG..., installed when missing); print its path.
#   sh scripts/debian-root.sh RELEASE run CMD [ARG...]
#       ensure, then run CMD chroot'ed in the root with /proc, /dev,
#       /dev/pts, /dev/shm and /sys mounted; exits with CMD's status.
#   sh scripts/debian-root.sh RELEASE enter PID | leave PID
#       Mount /proc, /dev, /dev/pts, /dev/shm and /sys in the root while
#       process PID lives; leave PID ends that. The mounts are shared by
#       every user and unmounted when the last one leaves or has died, so
#       parallel users never unmount each other's.
#   sh scripts/debian-root.sh RELEASE path
#       Print the root's path; build nothing.
#
# RELEASE and its root (the variable chooses another place):
#   trixie              Debian 13: ejabberd, Prosody    $S2S_TRIXIE_ROOT
#                       (default TOP/build/trixie)
#   bookworm            Debian 12: ejabberd, Prosody    $S2S_BOOKWORM_ROOT
#                       (default TOP/build/bookworm)
#   bookworm-backports  Debian 12 with ejabberd from bookworm-backports
#                       (it would replace a Debian 12 host's own)
#                                                       $S2S_BPO_ROOT
#                       (default TOP/build/bookworm-backports)
# A root is `debootstrap --variant=minbase SUITE` from the host's own
# Debian mirror ($S2S_DEBIAN_MIRROR overrides), with a policy-rc.d so that
# no packaged daemon ever starts, and always the release's peer packages.
# The stamp ROOT/.s2sguard-root records how it was made; the root is
# rebuilt when FORMAT or the packages changed or it is older than
# S2S_ROOT_MAX_DAYS (7) days, unless someone is using it then
# (enter/run): a stale root in use is kept. A root without a stamp that
# is of the right release (made by hand with debootstrap) is adopted: the
# packages are added and it is stamped. Every step holds ROOT.lock
# (flock), so concurrent callers wait for each other. Needs root
# (debootstrap, chroot, mount).
# Exit status: 0 done (run: CMD's status), 1 failure, 2 usage.
set -eu

# Bump FORMAT when the way a root is made changes: every cached root is
# then rebuilt. A change of the packages is noticed by itself.
FORMAT=1
MAX_DAYS=${S2S_ROOT_MAX_DAYS:-7}
TOP=$(cd "$(dirname "$0")/.." && pwd)
STAMP=.s2sguard-root

die() { echo "debian-root: $*" >&2; exit 1; }
note() { echo "debian-root: $*" >&2; }
usage() { sed -n '5,28s/^# \{0,1\}//p' "$0" >&2; exit 2; }

# release NAME: set SUITE (debootstrap's), TARGET (apt's -t), MAJOR
# (/etc/debian_version), PEERS and ROOT
release() {
	case $1 in
	trixie)
		SUITE=trixie TARGET=trixie MAJOR=13 ROOT=${S2S_TRIXIE_ROOT:-$TOP/build/trixie}
		PEERS="ejabberd erlang-p1-tls prosody lua-sec lua-unbound openssl ca-certificates" ;;
	bookworm)
		SUITE=bookworm TARGET=bookworm MAJOR=12 ROOT=${S2S_BOOKWORM_ROOT:-$TOP/build/bookworm}
		PEERS="ejabberd erlang-p1-tls prosody lua-sec lua-unbound openssl ca-certificates" ;;
	bookworm-backports)
		SUITE=bookworm TARGET=bookworm-backports MAJOR=12
		ROOT=${S2S_BPO_ROOT:-$TOP/build/bookworm-backports}
		PEERS="ejabberd erlang-p1-tls openssl ca-certificates" ;;
	*) usage ;;
	esac
}

need_root() { [ "$(id -u)" -eq 0 ] || die "$1 needs root (debootstrap, chroot, mount)"; }

# host_mirror: the URI the host's apt takes Debian's main suite from
# (deb822 .sources first, then one-line .list files).
host_mirror() {
	if [ -n "${S2S_DEBIAN_MIRROR:-}" ]; then echo "$S2S_DEBIAN_MIRROR"; return; fi
	_hm=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
		/^[ \t]*$/ { if (uri != "" && main) { print uri; exit } uri = ""; main = 0; next }
		tolower($1) == "uris:" { uri = $2 }
		tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i !~ /-/) main = 1 }
		END { if (uri != "" && main) print uri }' | head -n 1)
	[ -n "$_hm" ] || _hm=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk '$1 == "deb" && $3 !~ /-/ && $2 ~ /debian\/?$/ { print $2; exit }')
	echo "${_hm:-http://deb.debian.org/debian}"
}

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
	printf 'format=%s\nsuite=%s\npackages=%s\n' "$FORMAT" "$TARGET" \
		"$(printf '%s\n' $PEERS | sort | tr '\n' ' ' | sed 's/ $//')"
}

is_release() {
	[ -f "$1/etc/debian_version" ] && [ -x "$1/usr/bin/apt-get" ] &&
		grep -qE "^($MAJOR\\.|$SUITE/)" "$1/etc/debian_version"
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
	[ "$TARGET" = "$SUITE" ] || echo "deb $_mirror $TARGET main" >> "$_new/etc/apt/sources.list"
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

# install_missing PKG...: apt-get install (from TARGET) whatever of PKG...
# is not installed.
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
		t=$1; shift
		apt-get -o DPkg::Lock::Timeout=900 update -q >/dev/null &&
		apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends -t "$t" "$@" >/dev/null
	' sh "$TARGET" $_miss || _rc=$?
	leave_locked $$
	[ "$_rc" -eq 0 ] || die "apt-get install$_miss failed in $ROOT (exit $_rc)"
	note "package install took $(( $(date +%s) - _t0 )) s"
}

# ensure_locked PKG...: with ROOT.lock held.
ensure_locked() {
	if [ -e "$ROOT" ] && ! is_release "$ROOT"; then
		[ -f "$ROOT/$STAMP" ] || die "$ROOT exists and is not a Debian $MAJOR root; remove it or choose another place"
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

[ $# -ge 2 ] || usage
release "$1"
cmd=$2
shift 2
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
		is_release "$ROOT" || die "$ROOT is not a Debian $MAJOR root (run ensure first)"
		enter_locked "$1"
	else
		leave_locked "$1"
	fi
	unlock ;;
*) usage ;;
esac
