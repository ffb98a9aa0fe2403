#!/bin/sh
# Seed corpus for fuzz_xmpp_stream: real dialogues (first byte = chunk size).
set -eu
d=$1
h="<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' from='p.example' id='x' version='1.0'>"
printf '\007%s%s' "$h" "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls><dialback xmlns='urn:xmpp:features:dialback'><errors/></dialback></stream:features><proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>" > "$d/ejabberd-pre"
printf '\021%s%s' "$h" "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>EXTERNAL</mechanism></mechanisms><bidi xmlns='urn:xmpp:features:bidi'/></stream:features><failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/><text xml:lang='en'>unsupported certificate purpose</text></failure>" > "$d/ejabberd-failure"
printf '\003%s%s' "$h" "<stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>Your server&apos;s certificate is not trusted</text></stream:error></stream:stream>" > "$d/prosody-error"
printf '\077%s%s' "$h" "<stream:features/><success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>$h<stream:features/></stream:stream>" > "$d/success"
