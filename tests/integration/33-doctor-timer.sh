#!/bin/sh
# timer: s2sguard-doctor fails while nothing runs s2sguard-check (a held
# certificate would never be deployed), is ok once systemd's own
# `systemctl --root DIR enable` has enabled the packaged timer, fails again
# after `disable`, and is ok with a cron entry instead (a commented one
# does not count).
. "$(dirname "$0")/../lib.sh"
need_cmd systemctl s2sguard-doctor
R=$T/root
# merged /usr, as Debian 12 and 13 are (systemd 257 looks only in /usr/lib)
mkdir -p "$R/usr/lib/systemd/system" "$R/etc/systemd/system" "$R/etc/cron.d" "$T/state"
ln -s usr/lib "$R/lib"
chmod 700 "$T/state"
cp "$TOP/packaging/systemd/s2sguard-check.timer" "$TOP/packaging/systemd/s2sguard-check.service" \
	"$R/lib/systemd/system/"
printf '[s2sguard]\nstate_dir = %s\n' "$T/state" > "$T/s2sguard.conf"
timer() {
	set +e
	s2sguard-doctor --config "$T/s2sguard.conf" --root "$R" > "$T/out" 2>&1
	set -e
	grep '^timer ' "$T/out" || { cat "$T/out"; fail "no timer line"; }
}

case $(timer) in *" fail "*"s2sguard-check.timer is not enabled and no cron entry"*) ;; *) fail "nothing enabled: $(timer)" ;; esac
assert_grep 'fix: systemctl enable --now s2sguard-check.timer' "$T/out"

systemctl --root="$R" enable s2sguard-check.timer > "$T/enable.log" 2>&1 || { cat "$T/enable.log"; fail "systemctl enable"; }
case $(timer) in *" ok "*"s2sguard-check.timer is enabled"*) ;; *) fail "enabled: $(timer)" ;; esac

systemctl --root="$R" disable s2sguard-check.timer > "$T/disable.log" 2>&1
case $(timer) in *" fail "*) ;; *) fail "disabled: $(timer)" ;; esac

printf '# 17 3 * * * root /usr/bin/s2sguard-check --quiet\n' > "$R/etc/cron.d/s2sguard"
case $(timer) in *" fail "*) ;; *) fail "a commented cron line counted" ;; esac
printf 'MAILTO=root\n17 3 * * * root /usr/bin/s2sguard-check --quiet\n' > "$R/etc/cron.d/s2sguard"
case $(timer) in *" ok "*"/etc/cron.d/s2sguard runs s2sguard-check"*) ;; *) fail "cron: $(timer)" ;; esac
say "timer: systemd's enable and a cron entry are found, their absence fails"
