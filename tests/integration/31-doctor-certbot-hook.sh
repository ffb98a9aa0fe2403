#!/bin/sh
# acme-hook with a real certbot lineage (pebble as the CA): without the
# hook link the doctor fails naming the lineage (found by its certificate,
# not its name) and the fix; after enable-certbot-hook it is ok, and a
# certbot renewal really runs what the doctor found; a second deploy hook
# that imports into Prosody's certificates warns; a lineage whose
# --deploy-hook (renew_hook) calls s2sguard-hook is ok.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/pebble.sh"
. "$TOP/tests/peers/certbot.sh"
certbot_setup
P=$(pki)

# s2sguard-hook as certbot will find it in PATH: here it records its runs
mkdir -p "$T/bin" "$T/root/etc" "$T/srv"
cat > "$T/bin/s2sguard-hook" <<SH
#!/bin/sh
echo "\$RENEWED_LINEAGE" >> "$T/hook-runs"
SH
chmod 755 "$T/bin/s2sguard-hook"
PATH=$T/bin:$PATH
ln -s "$T/certbot/etc" "$T/root/etc/letsencrypt"
cat > "$T/s2sguard.conf" <<CONF
[s2sguard]
state_dir = $T/state
dane = off
[domain xmpp.example.test]
target = prosody
certs_dir = $T/srv
reload = true
peers = pr.peer.test
[domain other.example.test]
target = prosody
certs_dir = $T/srv
reload = true
peers = pr.peer.test
CONF
acme() {	# acme DOMAIN -> "status|detail|fix" of acme-hook
	set +e
	s2sguard-doctor --config "$T/s2sguard.conf" --root "$T/root" --domain "$1" --json > "$T/d.json"
	set -e
	python3 -c 'import json,sys
c=[c for c in json.load(open(sys.argv[1]))["checks"] if c["name"]=="acme-hook"][0]
print(c["status"] + "|" + c["detail"] + "|" + c["fix"])' "$T/d.json"
}
renew() {
	certbot_run renew --force-renewal --no-random-sleep-on-renew --cert-name lineage1 \
		> "$T/renew.log" 2>&1 || { cat "$T/renew.log"; fail "certbot renew"; }
}

# a lineage named otherwise than the domain, no hook
certbot_run certonly --cert-name lineage1 -d xmpp.example.test > "$T/c1.log" 2>&1 ||
	{ cat "$T/c1.log"; fail "certbot certonly"; }
r=$(acme xmpp.example.test)
say "no hook: $r"
case $r in "fail|certbot renews it (lineage lineage1), but neither renewal-hooks/deploy/ nor renew_hook"*"enable-certbot-hook"*) ;;
*) fail "no hook: $r" ;; esac
renew
[ ! -e "$T/hook-runs" ] || fail "a hook ran although none is set"

# the package's opt-in script links the hook: ok, and certbot runs it
sh "$TOP/packaging/scripts/enable-certbot-hook" --config-dir "$T/certbot/etc" > "$T/enable.log"
r=$(acme xmpp.example.test)
say "linked: $r"
case $r in "ok|certbot (lineage lineage1) calls s2sguard-hook from /etc/letsencrypt/renewal-hooks/deploy/00-s2sguard"*) ;;
*) fail "linked: $r" ;; esac
renew
grep -q "live/lineage1" "$T/hook-runs" || fail "certbot did not run the hook the doctor found"

# another deploy hook imports into Prosody's certificates: warn
cat > "$T/certbot/etc/renewal-hooks/deploy/50-prosody" <<'SH'
#!/bin/sh
prosodyctl --root cert import "$RENEWED_LINEAGE"
SH
chmod 755 "$T/certbot/etc/renewal-hooks/deploy/50-prosody"
r=$(acme xmpp.example.test)
say "two hooks: $r"
case $r in "warn|"*"50-prosody copies into the server's certificate files"*) ;; *) fail "two hooks: $r" ;; esac
rm "$T/certbot/etc/renewal-hooks/deploy/50-prosody"

# a second lineage with s2sguard-hook as its --deploy-hook (renew_hook)
certbot_run certonly --deploy-hook "s2sguard-hook --config $T/s2sguard.conf" \
	-d other.example.test > "$T/c2.log" 2>&1 || { cat "$T/c2.log"; fail "certbot certonly 2"; }
assert_grep '^renew_hook = s2sguard-hook' "$T/certbot/etc/renewal/other.example.test.conf"
sh "$TOP/packaging/scripts/enable-certbot-hook" --disable --config-dir "$T/certbot/etc" > /dev/null
r=$(acme other.example.test)
case $r in "ok|certbot (lineage other.example.test) calls s2sguard-hook from renew_hook"*) ;; *) fail "renew_hook: $r" ;; esac
case $(acme xmpp.example.test) in fail*) ;; *) fail "link removed, still not failing" ;; esac
say "certbot lineages with and without the hook are told apart"
