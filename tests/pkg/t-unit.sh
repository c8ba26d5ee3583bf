#!/usr/bin/env bash
# The boot unit, as the package installs it, passes systemd-analyze verify
# (against the package's own tree, so that its ExecStart and man pages are
# checked too) with nothing to say, and is ordered as boot needs: before
# local-fs-pre.target, stopped at shutdown, out of the default dependencies,
# and started (so stopped at shutdown) when only some lines came up.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
fail() { echo "t-unit: $*"; exit 1; }
unit=swapcache-activate.service
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The installed layout, without building the package (t-deb does that):
# the paths debian/swapcache-dkms.install gives.
install -D -m 755 "$root/tools/swapcache-activate/swapcache-activate" "$tmp/usr/sbin/swapcache-activate"
install -D -m 644 "$root/tools/swapcache-activate/$unit" "$tmp/lib/systemd/system/$unit"
for page in swapcache-activate.8 swapcachetab.5; do
	install -D -m 644 "$root/tools/swapcache-activate/$page" "$tmp/usr/share/man/man${page##*.}/$page"
done
grep -q "tools/swapcache-activate/$unit lib/systemd/system/" "$root/debian/swapcache-dkms.install" ||
	fail "debian/swapcache-dkms.install does not install the unit where this test looks"

out=$(MANPATH=$tmp/usr/share/man systemd-analyze verify --root="$tmp" "/lib/systemd/system/$unit" 2>&1) ||
	fail "systemd-analyze verify failed: $out"
[[ -z $out ]] || fail "systemd-analyze verify says: $out"

# What verify cannot see: the order boot needs.
show=$(systemctl --root="$tmp" cat "$unit" 2>/dev/null || cat "$tmp/lib/systemd/system/$unit")
for line in DefaultDependencies=no Before=local-fs-pre.target Wants=local-fs-pre.target \
	'Conflicts=umount.target shutdown.target' 'Before=umount.target shutdown.target' \
	'ExecStop=/usr/sbin/swapcache-activate stop' SuccessExitStatus=1; do
	grep -qxF "$line" <<<"$show" || fail "the unit lacks '$line'"
done
echo "t-unit: $unit verifies clean and is ordered before local-fs-pre.target"
