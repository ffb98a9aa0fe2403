#!/bin/sh
# The command line contract: as root the probing runs in a child as
# --user (default nobody), never as root; exit 3 for unreadable inputs,
# 64 for usage errors, 4 when the probe cannot run; --peers-file comments.
. "$(dirname "$0")/../lib.sh"
need_cmd python3 ps

P=$(pki)
python3 "$TOP/tests/peers/hostile.py" "$T/ports" silence > "$T/hostile.log" 2>&1 &
hpid=$!
at_exit "kill $hpid"
n=100
while [ ! -f "$T/ports" ] && [ "$n" -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
port=$(sed -n 's/^silence //p' "$T/ports")
[ -n "$port" ] || fail "hostile peer did not start"

base="--from xmpp.example.test --cert $P/leaf-both.fullchain.pem --key $P/leaf-both.key"

if [ "$(id -u)" -eq 0 ]; then
	s2sguard-probe $base --timeout 3 --peer "s.hostile.test=127.0.0.1:$port" > "$T/out" 2>&1 &
	ppid=$!
	sleep 1
	users=$(ps -o user= --ppid "$ppid" | sort -u)
	[ "$users" = nobody ] || fail "probing child runs as '$users', not nobody"
	[ "$(ps -o user= -p "$ppid")" = root ] || fail "parent is not root"
	wait "$ppid" || true
	assert_grep 'unreachable' "$T/out"
	expect_exit 4 s2sguard-probe $base --user no-such-user-s2st s.example.test
	say "as root: the probe ran as nobody"
fi

# inputs: unreadable cert, key not matching, missing peers file -> 3
expect_exit 3 s2sguard-probe --from xmpp.example.test --cert "$T/missing.pem" \
	--key "$P/leaf-both.key" x.example.test
expect_exit 3 s2sguard-probe --from xmpp.example.test --cert "$P/leaf-both.fullchain.pem" \
	--key "$P/leaf-server.key" x.example.test
expect_exit 3 s2sguard-probe $base --peers-file "$T/nope" 2>/dev/null
# usage -> 64
expect_exit 64 s2sguard-probe $base 2>/dev/null
expect_exit 64 s2sguard-probe --cert "$P/leaf-both.fullchain.pem" --key "$P/leaf-both.key" x.test 2>/dev/null
expect_exit 64 s2sguard-probe $base --peer "bad-no-port=127.0.0.1" 2>/dev/null
expect_exit 64 s2sguard-probe $base --concurrency 0 x.test 2>/dev/null
expect_exit 64 s2sguard-probe $base --from "a'b" x.test 2>/dev/null

# peers file: comments and blanks ignored, duplicates probed once
printf '# peers\n\ns.hostile.test   # the silent one\ns.hostile.test\n' > "$T/peers"
expect_exit 1 s2sguard-probe $base --timeout 1 --peers-file "$T/peers" --json \
	--peer "s.hostile.test=127.0.0.1:$port" > "$T/pf.json"
[ "$(grep -c '"peer":' "$T/pf.json")" -eq 1 ] || fail "peers file: $(cat "$T/pf.json")"

# --deadline: peers not probed in time are reported as pending
printf 's%d.hostile.test\n' 1 2 3 4 > "$T/four"
set -- $(for i in 1 2 3 4; do echo "--peer s$i.hostile.test=127.0.0.1:$port"; done)
expect_exit 1 s2sguard-probe $base --timeout 5 --deadline 1 --concurrency 2 \
	--peers-file "$T/four" --json "$@" > "$T/dl.json"
assert_grep '"deadline_hit": true' "$T/dl.json"
assert_grep '"pending": 2' "$T/dl.json"
# on a terminal, runs over a second show a progress line on stderr, and
# clear it at the end; not on a pipe
if command -v script >/dev/null 2>&1; then
	script -qec "s2sguard-probe $base --timeout 2 --concurrency 1 \
		--peer s1.hostile.test=127.0.0.1:$port --peer s2.hostile.test=127.0.0.1:$port \
		>/dev/null" /dev/null > "$T/tty.out" || true
	assert_grep 'probes done' "$T/tty.out"
fi
s2sguard-probe $base --timeout 2 --peer "s1.hostile.test=127.0.0.1:$port" \
	>/dev/null 2> "$T/pipe.err" || true
assert_no_grep 'probes done' "$T/pipe.err"
say "exit codes, peers file, deadline and progress behave as documented"
