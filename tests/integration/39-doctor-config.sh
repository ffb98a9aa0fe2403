#!/bin/sh
# config, and the doctor's own exit codes: a configuration that does not
# parse fails naming file and line (exit 2), a missing one cannot be checked
# (exit 3), one without [domain] warns, a [domain] without a reload command
# fails and one without target or peers warns; an unknown --domain is exit
# 3 and a bad option exit 64, each with one line on stderr.
. "$(dirname "$0")/../lib.sh"
need_cmd s2sguard-doctor
mkdir -p "$T/root" "$T/state"
chmod 700 "$T/state"
doc() { s2sguard-doctor --root "$T/root" --config "$T/s2sguard.conf" "$@"; }
first_config() { grep "^config " "$T/out" | head -n "${1:-1}" | tail -n 1; }

printf '[s2sguard]\nstate_dir = %s\n[domain example.test]\ntarget = prosody\nbogus_key = 1\n' "$T/state" > "$T/s2sguard.conf"
expect_exit 2 doc > "$T/out"
first_config | grep -q "fail .*s2sguard.conf:5: .*bogus_key" || { cat "$T/out"; fail "parse error not named"; }
[ "$(grep -c . "$T/out")" -le 4 ] || { cat "$T/out"; fail "other checks ran without a configuration"; }

expect_exit 3 s2sguard-doctor --root "$T/root" --config "$T/none.conf" > "$T/out"
first_config | grep -q "fail .*none.conf" || { cat "$T/out"; fail "missing configuration not named"; }

printf '[s2sguard]\nstate_dir = %s\n' "$T/state" > "$T/s2sguard.conf"
set +e; doc > "$T/out"; set -e
first_config | grep -q "warn .*no \[domain\] section" || { cat "$T/out"; fail "no domain"; }

cat > "$T/s2sguard.conf" <<CONF
[s2sguard]
state_dir = $T/state
dane = off
[domain noreload.example.test]
target = prosody
certs_dir = $T/srv
peers = a.example
[domain notarget.example.test]
peers = a.example
[domain nopeers.example.test]
target = prosody
certs_dir = $T/srv
reload = true
CONF
expect_exit 2 doc > "$T/out"
assert_grep '^config +noreload.example.test +fail +target prosody but no reload command' "$T/out"
assert_grep '^config +notarget.example.test +warn +no target' "$T/out"
assert_grep '^config +nopeers.example.test +warn .*no peers' "$T/out"
expect_exit 2 doc --json > "$T/out.json"
python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["checks"]
assert {x["status"] for x in c} <= {"ok","warn","fail","skip"}, c
assert all(set(x) == {"name","domain","status","detail","fix"} for x in c)' "$T/out.json"

expect_exit 3 doc --domain other.example.test > "$T/out" 2> "$T/err"
assert_grep 'no \[domain other.example.test\]' "$T/err"
expect_exit 64 doc --bogus 2> "$T/err"
assert_grep 'unknown option' "$T/err"
expect_exit 64 doc --root relative/dir 2> "$T/err"
expect_exit 64 doc --now yesterday 2> "$T/err"
say "config problems are named; exit codes 2, 3 and 64 as documented"
