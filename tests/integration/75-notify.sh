#!/bin/sh
# A hold is announced: mail through a real SMTP server on loopback (aiosmtpd,
# STARTTLS and AUTH required) and webhooks to an HTTP listener in the
# generic JSON, Slack-style and ntfy-style formats; bodies are checked, and
# the password and webhook token never appear in the hook's output.
. "$(dirname "$0")/../lib.sh"
# Debian's python3-aiosmtpd lives with /usr/bin/python3 (a python3 earlier in PATH may lack it)
PY=""
for p in python3 /usr/bin/python3; do
	if "$p" -c 'import aiosmtpd' 2>/dev/null; then PY=$p; break; fi
done
[ -n "$PY" ] || skip "python3-aiosmtpd not installed"
P=$(pki)
W=$(pki_copy)
sh "$TOP/tests/pki/mkpki.sh" leaf "$W" smtp --domain localhost
smtp=$(free_port) web=$(free_port)
"$PY" "$TOP/tests/peers/smtp.py" "$smtp" "$W/smtp.fullchain.pem" "$W/smtp.key" "$T/mail.txt" > "$T/smtp.log" 2>&1 &
at_exit "kill $!"
mkdir -p "$T/hooks"
python3 "$TOP/tests/peers/webhook.py" "$web" "$T/hooks" > "$T/webhook.log" 2>&1 &
at_exit "kill $!"
wait_port "$smtp" || fail "smtp server did not start"
wait_port "$web" || fail "webhook listener did not start"

mkdir -p "$T/srv"
cp "$P/leaf-both.fullchain.pem" "$T/srv/x.crt"
cp "$P/leaf-both.key" "$T/srv/x.key"
cat > "$T/s2sguard.conf" <<CONF
[s2sguard]
state_dir = $T/state
ca_file = $P/root.pem
templates_dir = $TOP/templates

[mail]
to = ops@example.test
from = s2sguard@example.test
smtp = smtp://localhost:$smtp
user = bot
password = s3cret
ca_bundle = $W/root.pem
template = mail.txt

[webhook generic]
url = http://127.0.0.1:$web/generic
format = json
token = tok-SECRET-123

[webhook slack]
url = http://127.0.0.1:$web/services/T0/B0/slack
format = slack
template = chat.txt

[webhook ntfy]
url = http://127.0.0.1:$web/s2sguard-alerts
format = ntfy

[domain xmpp.example.test]
target = files
cert = $T/srv/x.crt
key = $T/srv/x.key
policy = hold
probe = never
CONF
expect_exit 2 s2sguard-hook --config "$T/s2sguard.conf" --verbose \
	--cert "$P/leaf-server.fullchain.pem" --key "$P/leaf-server.key" --domain xmpp.example.test > "$T/out.log" 2>&1
cat "$T/out.log" | tail -8
assert_no_grep 's3cret|tok-SECRET' "$T/out.log"
assert_grep '\[mail\]: sent' "$T/out.log"

# mail: authenticated, over TLS, with the subject and the reasons
cat "$T/mail.txt"
assert_grep '^AUTHENTICATED True' "$T/mail.txt"
assert_grep '^TLS True' "$T/mail.txt"
assert_grep '^RCPT TO ops@example.test' "$T/mail.txt"
assert_grep '^Subject: \[s2sguard\] xmpp.example.test: hold \(exit 2\)' "$T/mail.txt"
assert_grep 'does not allow clientAuth' "$T/mail.txt"
assert_grep 'ok   hold: kept the deployed certificate' "$T/mail.txt"

# webhooks
assert_grep '^Authorization: Bearer tok-SECRET-123' "$T/hooks/generic"
sed -n '/^$/,$p' "$T/hooks/generic" | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["domain"] == "xmpp.example.test" and r["decision"]["action"] == "hold" and r["exit"] == 2, r'
sed -n '/^$/,$p' "$T/hooks/services_T0_B0_slack" | python3 -c '
import json, sys
t = json.load(sys.stdin)["text"]
assert t.startswith("s2sguard: xmpp.example.test: hold (policy hold, exit 2)"), t
assert "clientAuth" in t, t'
assert_grep '^Title: s2sguard: xmpp.example.test: hold' "$T/hooks/s2sguard-alerts"
assert_grep '^Content-Type: text/plain' "$T/hooks/s2sguard-alerts"
say ok
