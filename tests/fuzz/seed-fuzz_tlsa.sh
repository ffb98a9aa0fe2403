#!/bin/sh
# Seed the TLSA corpus with records as text and as rdata.
set -eu
dir=$1
printf '3 1 1 %s\n' 0011223344556677889900112233445566778899001122334455667788990011 > "$dir/text-311"
printf 'TLSA 2 0 2 %s' "$(printf '%0128d' 0)" > "$dir/text-202"
printf '3 0 0 30 82 01 0a\n' > "$dir/text-300"
printf '\003\001\001%s' "$(printf '%032d' 0)" > "$dir/rdata-311"
printf '\002\000\000\060\202' > "$dir/rdata-200"
