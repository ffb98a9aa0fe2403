#!/usr/bin/env python3
"""A scripted hostile s2s peer for s2sguard-probe tests, on loopback only.

It does what no real XMPP server does: one listening port per behaviour.

    hostile.py PORTFILE [--cert FILE --key FILE] [MODE...]

Binds every MODE (default: all that need no certificate) on a free port of
127.0.0.1, writes "MODE PORT" lines to PORTFILE (atomically, once all
listen), then serves until killed. --cert (a PEM chain, leaf first) and
--key are the peer's own TLS certificate, needed by the modes that finish
a real STARTTLS handshake. Modes:

  garbage     random non-XML bytes after our stream header
  nofeatures  a stream header, then nothing
  endless     a header and <stream:features> that never ends (10 MB)
  doctype     a DOCTYPE with nested entities ("billion laughs")
  badutf8     a header, then bytes that are not UTF-8
  tlsalert    <proceed/>, then a fatal TLS alert instead of ServerHello
  reset       <proceed/>, then a TCP reset in the middle of the handshake
  silence     accepts, reads, never answers
  noproceed   offers STARTTLS, never answers <starttls/>
  close       closes the connection at once
  tlsfailure  answers <starttls/> with <failure/>

With --cert/--key, a Metronome 4.0.5 with s2s_secure_auth and mod_dialback
disabled, as measured: after TLS it offers SASL EXTERNAL and still
advertises <dialback><errors/></dialback>, answers <auth/> with
<invalid-mechanism/>, then for our <db:result/>:

  metronome         the stream error unsupported-stanza-type and a close
                    (a Prosody-family server without its dialback module)
  metronome-silent  no answer; the connection stays open

It does not ask for a client certificate: Python's ssl module cannot accept
one that fails its checks, and the answers do not depend on it.
"""
import argparse
import asyncio
import os
import socket
import ssl
import struct
import sys

NS = ("xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' "
      "from='hostile.test' id='h1' version='1.0'")
HEADER = ("<?xml version='1.0'?><stream:stream %s>" % NS).encode()
FEATURES_TLS = (b"<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>"
                b"<required/></starttls></stream:features>")
PROCEED = b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
HEADER_DB = ("<?xml version='1.0'?><stream:stream xmlns:db='jabber:server:dialback' %s>"
             % NS).encode()
FEATURES_METRONOME = (b"<stream:features>"
                      b"<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                      b"<mechanism>EXTERNAL</mechanism></mechanisms>"
                      b"<dialback xmlns='urn:xmpp:features:dialback'><errors/></dialback>"
                      b"</stream:features>")
INVALID_MECHANISM = (b"<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                     b"<invalid-mechanism/></failure>")
UNSUPPORTED_STANZA = (b"<stream:error><unsupported-stanza-type "
                      b"xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>"
                      b"</stream:stream>")
TLS_FAILURE = b"<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
ALERT_HANDSHAKE_FAILURE = bytes([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28])
LAUGHS = (b"<?xml version='1.0'?><!DOCTYPE stream:stream ["
          + b"<!ENTITY a0 'ha'>"
          + b"".join(b"<!ENTITY a%d '%s'>" % (i, b"".join(b"&a%d;" % (i - 1) for _ in range(10)))
                     for i in range(1, 10))
          + b"]><stream:stream " + NS.encode() + b">&a9;")

MODES = ["garbage", "nofeatures", "endless", "doctype", "badutf8", "tlsalert",
         "reset", "silence", "noproceed", "close", "tlsfailure"]
TLS_MODES = ["metronome", "metronome-silent"]


async def read_some(reader, timeout=10):
    try:
        return await asyncio.wait_for(reader.read(4096), timeout)
    except (asyncio.TimeoutError, ConnectionError):
        return b""


async def until(reader, needle, limit=65536):
    seen = b""
    while needle not in seen and len(seen) < limit:
        chunk = await read_some(reader)
        if not chunk:
            return False
        seen += chunk
    return needle in seen


async def hold(reader):
    """Keep the connection open, reading, until the client goes away."""
    while await read_some(reader, 60):
        pass


async def to_proceed(reader, writer):
    await read_some(reader)
    writer.write(HEADER + FEATURES_TLS)
    await writer.drain()
    if not await until(reader, b"starttls"):
        return False
    writer.write(PROCEED)
    await writer.drain()
    return True


async def metronome(mode, reader, writer, tls):
    """STARTTLS, EXTERNAL refused, dialback advertised but not served."""
    if not await to_proceed(reader, writer):
        return
    await writer.start_tls(tls)
    if not await until(reader, b"stream:stream"):
        return
    writer.write(HEADER_DB + FEATURES_METRONOME)
    await writer.drain()
    if not await until(reader, b"EXTERNAL"):
        return
    writer.write(INVALID_MECHANISM)
    await writer.drain()
    if not await until(reader, b"db:result"):
        return
    if mode == "metronome-silent":
        await hold(reader)
        return
    writer.write(UNSUPPORTED_STANZA)
    await writer.drain()


async def serve(mode, reader, writer, tls):
    if mode in TLS_MODES:
        await metronome(mode, reader, writer, tls)
        writer.close()
        return
    if mode == "close":
        writer.close()
        return
    if mode == "silence":
        await hold(reader)
    elif mode == "garbage":
        await read_some(reader)
        writer.write(os.urandom(2048).replace(b"<", b"x"))
        await writer.drain()
        await hold(reader)
    elif mode == "nofeatures":
        await read_some(reader)
        writer.write(HEADER)
        await writer.drain()
        await hold(reader)
    elif mode == "endless":
        await read_some(reader)
        writer.write(HEADER + b"<stream:features>")
        chunk = b"<dialback xmlns='urn:xmpp:features:dialback'/>" * 200
        sent = 0
        while sent < 10 * 1024 * 1024:
            writer.write(chunk)
            sent += len(chunk)
            await writer.drain()
    elif mode == "doctype":
        await read_some(reader)
        writer.write(LAUGHS)
        await writer.drain()
        await hold(reader)
    elif mode == "badutf8":
        await read_some(reader)
        writer.write(HEADER + b"<stream:features>\xff\xfe\xc0\xaf</stream:features>")
        await writer.drain()
        await hold(reader)
    elif mode == "noproceed":
        await read_some(reader)
        writer.write(HEADER + FEATURES_TLS)
        await writer.drain()
        await hold(reader)
    elif mode == "tlsfailure":
        await read_some(reader)
        writer.write(HEADER + FEATURES_TLS)
        await writer.drain()
        if await until(reader, b"starttls"):
            writer.write(TLS_FAILURE + b"</stream:stream>")
            await writer.drain()
    elif mode in ("tlsalert", "reset"):
        if await to_proceed(reader, writer):
            await read_some(reader)          # the ClientHello
            if mode == "tlsalert":
                writer.write(ALERT_HANDSHAKE_FAILURE)
                await writer.drain()
            else:
                sock = writer.get_extra_info("socket")
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.close()


def handler(mode, tls):
    async def run(reader, writer):
        try:
            await serve(mode, reader, writer, tls)
        except (ConnectionError, OSError, ssl.SSLError):
            pass
        finally:
            try:
                writer.close()
            except Exception:
                pass
    return run


def tls_context(cert, key):
    if not cert:
        return None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


async def main():
    ap = argparse.ArgumentParser(prog="hostile.py")
    ap.add_argument("portfile")
    ap.add_argument("modes", nargs="*")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    args = ap.parse_intermixed_args()
    if bool(args.cert) != bool(args.key):
        sys.exit("hostile.py: --cert and --key go together")
    try:
        tls = tls_context(args.cert, args.key)
    except (OSError, ssl.SSLError) as e:
        sys.exit("hostile.py: %s: %s" % (args.cert, e))
    portfile = args.portfile
    modes = args.modes or MODES
    lines = []
    servers = []
    for m in modes:
        if m not in MODES + TLS_MODES:
            sys.exit("hostile.py: unknown mode %s" % m)
        if m in TLS_MODES and tls is None:
            sys.exit("hostile.py: mode %s needs --cert and --key" % m)
        srv = await asyncio.start_server(handler(m, tls), "127.0.0.1", 0, backlog=512)
        servers.append(srv)
        lines.append("%s %d\n" % (m, srv.sockets[0].getsockname()[1]))
    with open(portfile + ".tmp", "w") as f:
        f.writelines(lines)
    os.rename(portfile + ".tmp", portfile)
    await asyncio.gather(*(s.serve_forever() for s in servers))


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
