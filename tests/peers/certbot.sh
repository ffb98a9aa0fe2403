# tests/peers/certbot.sh: a real certbot lineage from pebble, for the hook's
# end-to-end tests. Source after tests/lib.sh and tests/peers/pebble.sh.
#
#   certbot_setup
#       pebble_start + a webroot; CERTBOT_ROOTS: test root + pebble's root
#       (what the peers and s2sguard trust). Writes $T/serveronly.sh, a
#       certbot deploy hook that re-signs the lineage's new version with the
#       test PKI's serverAuth-only intermediate (same key), the way a 2026
#       Let's Encrypt renewal looks; install it with certbot_serveronly_on.
#   certbot_run ARGS...
#       certbot with its directories under $T/certbot, pebble as the CA,
#       http-01 through the webroot; logs in $T/certbot/log.
#   certbot_serveronly_on
#       Put the re-signing hook into renewal-hooks/deploy/ (directory hooks
#       run before the --deploy-hook).
certbot_setup() {
	need_cmd certbot
	pebble_start
	pebble_serve_webroot "$T/www"
	pebble_root "$T/pebble-root.pem"
	CERTBOT_PKI=$(pki_copy)
	cat "$CERTBOT_PKI/root.pem" "$T/pebble-root.pem" > "$T/roots.pem"
	CERTBOT_ROOTS=$T/roots.pem
	cat > "$T/serveronly.sh" <<SH
#!/bin/sh
# certbot deploy hook: make the new version serverAuth-only (test only)
set -e
l=\$RENEWED_LINEAGE
sh "$TOP/tests/pki/mkpki.sh" resign "$CERTBOT_PKI" "\$(realpath \$l/cert.pem)" "\$(realpath \$l/privkey.pem)" so --issuer inter-server
cat "$CERTBOT_PKI/so.pem" > "\$(realpath \$l/cert.pem)"
cat "$CERTBOT_PKI/so.chain.pem" > "\$(realpath \$l/chain.pem)"
cat "$CERTBOT_PKI/so.fullchain.pem" > "\$(realpath \$l/fullchain.pem)"
echo resigned >> "$T/resigned"
SH
	chmod 755 "$T/serveronly.sh"
	export CERTBOT_ROOTS CERTBOT_PKI
}

certbot_run() {
	REQUESTS_CA_BUNDLE=$PEBBLE_TLS_CA certbot -n --server "$PEBBLE_DIR" \
		--config-dir "$T/certbot/etc" --work-dir "$T/certbot/var" --logs-dir "$T/certbot/log" \
		--register-unsafely-without-email --agree-tos \
		--webroot -w "$T/www" "$@"
}

certbot_serveronly_on() {
	mkdir -p "$T/certbot/etc/renewal-hooks/deploy"
	cp "$T/serveronly.sh" "$T/certbot/etc/renewal-hooks/deploy/10-serveronly"
}
