#!/usr/bin/env python3
"""tests/peers/smtp.py PORT CERT KEY OUTFILE: a real SMTP server (aiosmtpd)
on 127.0.0.1:PORT that requires STARTTLS and AUTH (user "bot", password
"s3cret") and appends every message it accepts to OUTFILE."""
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

port, certfile, keyfile, out = sys.argv[1:5]


class Handler:
    async def handle_DATA(self, server, session, envelope):
        with open(out, "ab") as f:
            f.write(b"MAIL FROM " + envelope.mail_from.encode() + b"\n")
            for r in envelope.rcpt_tos:
                f.write(b"RCPT TO " + r.encode() + b"\n")
            f.write(b"AUTHENTICATED " + str(bool(session.authenticated)).encode() + b"\n")
            f.write(b"TLS " + str(session.ssl is not None).encode() + b"\n\n")
            f.write(envelope.content + b"\n.\n")
        return "250 OK"


def check(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and \
        auth_data.login == b"bot" and auth_data.password == b"s3cret"
    return AuthResult(success=ok)


ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(certfile, keyfile)
Controller(Handler(), hostname="127.0.0.1", port=int(port), tls_context=ctx,
           require_starttls=True, authenticator=check, auth_require_tls=True).start()
while True:
    time.sleep(3600)
