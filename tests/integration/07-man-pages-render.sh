#!/bin/sh
# Every man page renders at 80 columns without a single groff or man
# warning, as `make package-check` demands of the installed pages; here
# the page's author sees it in `make check` first.
. "$(dirname "$0")/../lib.sh"
need_cmd man groff
n=0
for p in "$TOP"/doc/*.1 "$TOP"/doc/*.5; do
	[ -f "$p" ] || continue
	w=$(MANWIDTH=80 man --warnings -l "$p" 2>&1 >/dev/null)
	[ -z "$w" ] || fail "$(basename "$p"): $w"
	n=$((n + 1))
done
[ "$n" -ge 1 ] || fail "no man pages in doc/"
say "$n pages render without warnings"
