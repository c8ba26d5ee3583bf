#!/usr/bin/env bash
# Usage: tests/host/t-shutdown.sh KVER MODULE
#
# At power-off the module turns read_enable, data_enable and meta_enable
# off before devices go away, as DragonFly does.  The guest enables them and
# exits; /init powers off; the kernel's console (at info level for this
# run) must show the reboot notifier reporting all three at 0.
set -euo pipefail
here=$(dirname "$0")
out=$("$here/../../scripts/vm" --kver "$1" --module "$2" \
	--append "loglevel=7" "$here/shutdown-guest" 2>&1) || {
	printf '%s\n' "$out" | tail -n 20
	echo "t-shutdown: the VM run failed"
	exit 1
}
grep -q "enabled: 1" <<<"$out" || { echo "t-shutdown: guest did not enable"; exit 1; }
grep -q "swapcache: shutdown: read_enable=0 data_enable=0 meta_enable=0" <<<"$out" || {
	printf '%s\n' "$out" | tail -n 20
	echo "t-shutdown: no shutdown notice from the module at power-off"
	exit 1
}
echo "t-shutdown: the notifier turned all three off at power-off"
