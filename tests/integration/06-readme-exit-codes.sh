#!/bin/sh
# The README's exit status tables say what the man pages say: for every
# table headed "| exit | meaning |", the binary named by the nearest
# heading above it must list exactly the codes of its page's EXIT STATUS
# section. A binary with a page but no README table is reported (not a
# failure: a new binary's page may land before its README table).
. "$(dirname "$0")/../lib.sh"

# man_codes PAGE: the codes under .SH EXIT STATUS (".TP" then ".B N")
man_codes() {
	awk '/^\.SH /{ on = ($0 ~ /^\.SH "?EXIT STATUS"?/) ; next }
	     on && prev == ".TP" && /^\.B [0-9]+/ { print $2 }
	     { prev = $0 }' "$1" | sort -n | tr '\n' ' '
}

# readme_tables: "BINARY CODE" for every exit table row in README.md
awk '/^#+ / { if (match($0, /s2sguard-[a-z]+/)) bin = substr($0, RSTART, RLENGTH) }
     /^\| *exit *\| *meaning *\|/ { intable = 1; next }
     intable && /^\|/ { c = $0; sub(/^\| *`?/, "", c); sub(/`? *\|.*/, "", c)
                        if (c ~ /^[0-9]+$/) print bin, c; next }
     { intable = 0 }' "$TOP/README.md" > "$T/readme.txt"

checked=0
for page in "$TOP"/doc/s2sguard-*.1; do
	bin=$(basename "$page" .1)
	want=$(man_codes "$page")
	[ -n "$want" ] || fail "$page: no codes under EXIT STATUS"
	if ! grep -q "^$bin " "$T/readme.txt"; then
		say "note: README has no exit status table for $bin (page: $want)"
		continue
	fi
	got=$(awk -v b="$bin" '$1 == b { print $2 }' "$T/readme.txt" | sort -n | uniq | tr '\n' ' ')
	[ "$got" = "$want" ] || fail "$bin: README lists exit codes '$got', man page '$want'"
	n=$(awk -v b="$bin" '$1 == b' "$T/readme.txt" | wc -l)
	n_uniq=$(awk -v b="$bin" '$1 == b { print $2 }' "$T/readme.txt" | sort -u | wc -l)
	[ "$n" -eq "$n_uniq" ] || fail "$bin: more than one README table lists its exit codes"
	say "$bin: $got"
	checked=$((checked + 1))
done
[ "$checked" -ge 1 ] || fail "no README exit table matched any man page"
