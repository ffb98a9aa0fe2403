#!/bin/sh
# Prosody 0.12 with s2s_secure_auth and no dialback judges our chain by the
# server purpose: serverAuth-only chains are accepted like serverAuth+
# clientAuth ones; a self-signed certificate is refused with Prosody's words.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/prosody.sh"

P=$(pki)
port=$(free_port)
prosody_start "$T/pr" pr.peer.test "$port"

probe() {
	_cert=$1 _key=$2; shift 2
	s2sguard-probe --from xmpp.example.test --ca-file "$P/root.pem" \
		--cert "$_cert" --key "$_key" --json "$@"
}

for leaf in leaf-both leaf-server leaf-both-under-server; do
	expect_exit 0 probe "$P/$leaf.fullchain.pem" "$P/$leaf.key" \
		--peer "pr.peer.test=127.0.0.1:$port" > "$T/$leaf.json"
	assert_grep '"verdict": "accepted"' "$T/$leaf.json"
	assert_grep '"peer_cert": "trusted"' "$T/$leaf.json"
done

expect_exit 1 probe "$P/selfsigned.pem" "$P/selfsigned.key" \
	--peer "pr.peer.test=127.0.0.1:$port" > "$T/self.json"
assert_grep '"verdict": "rejected"' "$T/self.json"
assert_grep '"condition": "not-authorized"' "$T/self.json"
assert_grep '"reason": "stream error not-authorized: .*certificate' "$T/self.json"
# the peer's own certificate is judged but never stops the probe:
# untrusted without our test root, name mismatch for a certificate of
# another name
expect_exit 0 s2sguard-probe --from xmpp.example.test \
	--cert "$P/leaf-server.fullchain.pem" --key "$P/leaf-server.key" \
	--peer "pr.peer.test=127.0.0.1:$port" --json > "$T/untrusted.json"
assert_grep '"peer_cert": "untrusted"' "$T/untrusted.json"
assert_grep '"verdict": "accepted"' "$T/untrusted.json"
wport=$(free_port)
prosody_start "$T/prw" pr.peer.test "$wport" --cert "$P/leaf-wrongname.fullchain.pem" \
	--key "$P/leaf-wrongname.key"
expect_exit 0 probe "$P/leaf-server.fullchain.pem" "$P/leaf-server.key" \
	--peer "pr.peer.test=127.0.0.1:$wport" > "$T/wrongname.json"
assert_grep '"peer_cert": "name-mismatch"' "$T/wrongname.json"
assert_grep '"verdict": "accepted"' "$T/wrongname.json"

say "prosody: all CA chains accepted, self-signed rejected: $(sed -n 's/.*"reason": "\(.*\)",/\1/p' "$T/self.json")"
