#!/bin/sh
# scripts/check-debian13.sh (make check-debian13): the README's checks on
# Debian 13, from a Debian 12 (or 13) host, as root.
#
# Makes sure the cached Debian 13 root is there (scripts/debian-root.sh
# trixie: ${S2S_TRIXIE_ROOT:-build/trixie}), copies the source tree into its
# /srv/s2sguard (what git tracks or would track, uncommitted changes
# included; never build/), and runs there, chroot'ed, in two steps:
#   1. with the host's network (apt, debootstrap):
#        make deps DEPS_FLAGS=--packaging && make package-check
#      and beside it, at the same time,
#        sh scripts/debian-root.sh bookworm ensure   (Debian 12's peers)
#   2. in a network namespace of its own, loopback only:
#        make check
# so that it can run beside the host's own `make check` (.ci/run does)
# and no service of the host's (a Prosody on *:5269) is seen by the
# tests. CI and S2S_TEST_TIMEOUT are passed through, nothing else of the
# caller's environment. The Debian 12 root lives in the Debian 13 root's
# /var/cache/s2sguard-test/bookworm, kept between runs (a week, see
# debian-root.sh). The last line is then the one of `make check` in
# Debian 13: "N passed, N failed". With S2S_CHECK13=build it runs only
# `make deps DEPS_FLAGS=--build && make all unit` there (the build under
# -Werror and the unit tests under ASan/UBSan).
# Exit status: that of the commands inside (0 when all passed), 1 when
# the root or the copy cannot be made.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
[ "$(id -u)" -eq 0 ] || { echo "check-debian13: needs root (debootstrap, chroot, mount)" >&2; exit 1; }
command -v unshare >/dev/null && command -v ip >/dev/null ||
	{ echo "check-debian13: needs unshare (util-linux) and ip (iproute2)" >&2; exit 1; }

t0=$(date +%s)
root=$(sh scripts/debian-root.sh trixie ensure make debootstrap) || exit 1
echo "check-debian13: Debian $(cat "$root/etc/debian_version") root $root ready ($(( $(date +%s) - t0 ))s)"

dst=/srv/s2sguard
rm -rf --one-file-system "${root:?}$dst"
mkdir -p "$root$dst"
if git rev-parse --git-dir >/dev/null 2>&1; then
	# tracked and untracked-but-not-ignored files, as they are now; a
	# tracked file deleted in the worktree is left out
	git ls-files -z --cached --others --exclude-standard |
		xargs -0 sh -c 'for f; do [ -e "$f" ] || [ -L "$f" ] || continue; printf "%s\0" "$f"; done' sh |
		tar --null -T - -cf - | tar -C "$root$dst" -xf -
else
	tar --exclude=./build --exclude=./.git -cf - . | tar -C "$root$dst" -xf -
fi
[ -f "$root$dst/Makefile" ] || { echo "check-debian13: copying $top into $root$dst failed" >&2; exit 1; }

# the Debian 12 root is built while deps and package-check run (different
# roots, different dpkg databases); its log is shown only if it failed
online='mkdir -p build; sh scripts/debian-root.sh bookworm ensure > build/bookworm-root.log 2>&1 & b=$!
make deps DEPS_FLAGS=--packaging && make package-check; r=$?
wait $b || { echo "check-debian13: the Debian 12 root failed:"; cat build/bookworm-root.log; r=1; }
exit $r'
offline="make check"
if [ "${S2S_CHECK13:-}" = build ]; then
	online="make deps DEPS_FLAGS=--build" offline="make all unit"
fi

# inside [--offline] CMD: run the shell command CMD in /srv/s2sguard of the
# root, with a clean environment; --offline in a new network namespace
# with only loopback up.
inside() {
	_offline=no
	[ "$1" != --offline ] || { _offline=yes; shift; }
	set -- sh scripts/debian-root.sh trixie run /usr/bin/env -i \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 TERM=dumb \
		CI="${CI:-}" S2S_TEST_TIMEOUT="${S2S_TEST_TIMEOUT:-600}" \
		S2S_BOOKWORM_ROOT=/var/cache/s2sguard-test/bookworm \
		sh -c "cd $dst || exit 1; $1"
	if [ "$_offline" = yes ]; then
		unshare --net sh -c 'ip link set lo up && exec "$@"' sh "$@"
	else
		"$@"
	fi
}

t1=$(date +%s)
log=$top/build/check-debian13.log
mkdir -p "$top/build"
rm -f "$log.rc"
{
	rc=0
	inside "$online" || rc=$?
	[ "$rc" -ne 0 ] || inside --offline "$offline" || rc=$?
	echo "$rc" > "$log.rc"
} 2>&1 | tee "$log"
rc=$(cat "$log.rc" 2>/dev/null || echo 1)
echo "check-debian13: $(( $(date +%s) - t1 ))s inside Debian 13, exit $rc; log: $log"
# make check's own last line, last here too (absent when an earlier step failed)
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1) || true
if [ -n "$line" ]; then
	echo "$line"
else
	echo "check-debian13: make deps or make package-check failed in Debian 13; make check did not run" >&2
fi
exit "$rc"
