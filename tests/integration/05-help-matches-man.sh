#!/bin/sh
# Every long option a binary accepts is documented in its man page's OPTIONS,
# and --help (generated from the page) lists it; --version answers.
. "$(dirname "$0")/../lib.sh"

checked=0
for bin in "$BUILD"/s2sguard-*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	short=${name#s2sguard-}
	page=$TOP/doc/$name.1
	[ -f "$page" ] || fail "$name has no man page doc/$name.1"
	srcs=$(ls "$TOP"/hooks/"$short".c "$TOP"/hooks/"$short"_*.c "$TOP"/acme/"$short".c \
		"$TOP"/acme/"$short"_*.c 2>/dev/null || true)
	[ -n "$srcs" ] || fail "$name: no source found"
	opts=$(sed -n 's/^[[:space:]]*{[[:space:]]*"\([a-z0-9-]*\)",[[:space:]]*\(no\|required\|optional\)_argument.*/\1/p' $srcs | sort -u)
	[ -n "$opts" ] || fail "$name: no long options found in $srcs"
	"$bin" --help > "$T/help.txt" || fail "$name --help exited non-zero"
	"$bin" --version | grep -q "^$name [0-9]" || fail "$name --version"
	for o in $opts; do
		esc=$(printf '%s' "$o" | sed 's/-/\\\\-/g')
		grep -q "^\\\\fB\\\\-\\\\-$esc\\\\fR\|^\\\\fB\\\\-\\\\-$esc\$\|^\\.B \\\\-\\\\-$esc" "$page" ||
			fail "$name accepts --$o but doc/$name.1 does not document it"
		grep -q -- "--$o" "$T/help.txt" || fail "$name --help does not list --$o"
		checked=$((checked + 1))
	done
done
[ "$checked" -gt 0 ] || fail "no options checked"
say "$checked options documented"
