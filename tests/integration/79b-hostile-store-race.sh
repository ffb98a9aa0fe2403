#!/bin/sh
# The server's account owns the certificate directory and races the first
# deploy: an inotify watcher running as that user renames s2sguard's new
# store away when it appears (after a delay that differs from round to
# round, to land in every step of the deploy) and plants a link to a
# root-owned directory in its place. Repeated: root never writes (or
# deletes) there,
# because every step after the store's creation goes through a directory
# descriptor opened without following links.
. "$(dirname "$0")/../lib.sh"
need_cmd inotifywait setsid python3
P=$(pki)
test_user; U=$TU
rounds=${S2S_RACE_ROUNDS:-20}

mkdir "$T/victim" && chmod 755 "$T/victim"	# root's, not writable by the user
mkdir "$T/victim/v.keep" && echo keep > "$T/victim/v.keep/cert.pem"
cat > "$T/swap.py" <<'PY'
# swap.py DIR VICTIM LOG DELAY: for each name inotifywait reports, when it is
# the new store: wait DELAY s, rename it away and rename a ready link to
# VICTIM into its place (two renames, microseconds apart)
import os, sys, time
d, victim, log, delay = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
store = os.path.join(d, ".s2sguard-x.crt")
for line in sys.stdin:
    if line.strip() != ".s2sguard-x.crt" or os.path.islink(store):
        continue
    os.symlink(victim, os.path.join(d, "planted"))
    time.sleep(delay)
    os.rename(store, os.path.join(d, "moved"))
    os.rename(os.path.join(d, "planted"), store)
    with open(log, "a") as f:
        f.write("planted\n")
PY
cat > "$T/attack.sh" <<'SH'
inotifywait -m -q -e create --format '%f' "$1" | python3 "$T_SWAP" "$@"
SH
: > "$T/planted" && chown "$U" "$T/planted"
i=0
while [ "$i" -lt "$rounds" ]; do
	i=$((i + 1)); D=$T/c$i
	mkdir "$D" && chown "$U:$U" "$D"
	cat > "$T/c$i.conf" <<CONF
[s2sguard]
state_dir = $T/state
ca_file = $P/root.pem

[domain xmpp.example.test]
target = files
cert = $D/x.crt
key = $D/x.key
group = $U
CONF
	T_SWAP=$T/swap.py setsid sh -c 'exec setpriv --reuid="$0" --regid="$0" --clear-groups -- sh "$1" "$2" "$3" "$4" "$5"' \
		"$U" "$T/attack.sh" "$D" "$T/victim" "$T/planted" "0.00$((i % 10))$((i % 7))" </dev/null >/dev/null 2>&1 &
	w=$!
	at_exit "kill -- -$w"
	sleep 0.3	# the watch is up
	set +e
	s2sguard-hook --config "$T/c$i.conf" --cert "$P/leaf-p384.fullchain.pem" \
		--key "$P/leaf-p384.key" --domain xmpp.example.test > "$T/run$i.log" 2>&1
	rc=$?
	set -e
	sleep 0.2
	kill -- -"$w" 2>/dev/null || true
	extra=$(ls -A "$T/victim" | grep -vx v.keep || true)
	[ -z "$extra" ] || { cat "$T/run$i.log"; fail "round $i: root wrote into the planted link's directory: $extra"; }
	[ -f "$T/victim/v.keep/cert.pem" ] || fail "round $i: root deleted files in the planted link's directory"
	case $rc in
	0) ;;	# raced after the store was opened: written into the renamed store
	3) grep -q 'not followed\|refusing' "$T/run$i.log" || echo "$i" >> "$T/bad" ;;	# judged after all rounds
	*) cat "$T/run$i.log"; fail "round $i: exit $rc" ;;
	esac
done
[ ! -s "$T/bad" ] || { cat "$T/run$(head -n 1 "$T/bad").log"
	fail "exit 3 in rounds $(tr '\n' ' ' < "$T/bad")without naming the planted link (a path race inside the deploy)"; }
n=$(wc -l < "$T/planted")
say "$rounds rounds, the link was planted in $n"
[ "$n" -ge $((rounds / 2)) ] || fail "the race ran in only $n of $rounds rounds"
say ok
