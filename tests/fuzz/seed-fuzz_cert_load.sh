#!/bin/sh
# Seed the certificate-loader corpus with the test PKI's files.
set -eu
dir=$1
tmp=$(mktemp -d)
sh "$(dirname "$0")/../pki/mkpki.sh" "$tmp"
for f in "$tmp"/*; do cp "$f" "$dir/$(basename "$f")"; done
rm -rf "$tmp"
