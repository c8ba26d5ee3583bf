#!/usr/bin/env bash
# Usage: tests/host/t-persist-reboot.sh KVER MODULE
#
# The persistent mode (Documentation/swapcache.rst, "Persistent mode")
# across reboots of the test VM: two raw images, kept here between boots
# and attached with scripts/vm --disk, are the origin (64 MiB, /dev/vda)
# and the SSD (32 MiB, /dev/vdb) of a `1 persistent` table over the whole
# origin. The guest half, persist-reboot-guest, does one step per boot on
# the first 8 MiB of the origin, whose every block is unique (its layout
# names what each block holds), and says what it found.
#
#   a. clean: boot 1 writes the data through the target, warms it and
#      removes the table (checkpoint); boot 2 restores every page (the
#      count, the log line), reads every block from the SSD with no origin
#      read, right bytes, and removes it again; boot 3 restores again.
#   c. crash: boot 3, live over that clean checkpoint (header open), writes
#      new data over cached blocks, syncs and crashes (sysrq b); boot 4
#      starts cold ("not shut down cleanly") and reads the new data.
#   d. the origin written between boots, by the host: a block the
#      fingerprint covers (block 0) and one it does not (block 5): boot 5
#      starts cold ("origin fingerprint changed") and reads both. Then a
#      block it does not cover alone (block 7): boot 6 restores, and serves
#      block 7's old bytes, the limit the guide states ("a raw write with
#      dd"); if that ever changes, the guide must too.
#   b. boot 6 powers off with the table still live (not removed): boot 7
#      starts cold ("not shut down cleanly") and reads block 7's new bytes.
#
# The boots depend on each other: the first to fail ends the test. Each
# boot's console is kept in the images' directory, removed at exit
# (SC_KEEP=1 keeps it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
vm=$here/../../scripts/vm
guest=$here/persist-reboot-guest
[[ $# -eq 2 ]] || { echo "usage: ${0##*/} KVER MODULE" >&2; exit 2; }
kver=$1 module=$2

dir=$(mktemp -d "${TMPDIR:-/tmp}/sc-persist-reboot.XXXXXX")
if [[ -n ${SC_KEEP:-} ]]; then
	trap 'echo "t-persist-reboot: kept $dir"' EXIT
else
	trap 'rm -rf "$dir"' EXIT
fi
# Without these, a signal would kill bash before its EXIT trap cleans up.
trap 'exit 130' INT TERM
origin=$dir/origin.img ssd=$dir/ssd.img
truncate -s 64M "$origin"
truncate -s 32M "$ssd"

# boot NAME [--expect-crash] STEP ARGS...: one boot over the two images;
# its console in $dir/NAME.log, the lines that say what it found shown.
boot() {
	local name=$1 rc=0 opts=()
	shift
	if [[ $1 == --expect-crash ]]; then
		opts=(--expect-crash)
		shift
	fi
	echo "t-persist-reboot: boot $name: $*"
	"$vm" --kver "$kver" --module "$module" --disk "$origin" --disk "$ssd" \
		"${opts[@]}" "$guest" "$@" >"$dir/$name.log" 2>&1 || rc=$?
	grep -E '^(load|remove|status|data ok|cold as|served|overwrote|restored over|persist-state|FAIL|data differs|first bad)' \
		"$dir/$name.log" | sed 's/^/    /' || true
	if [[ $rc -ne 0 ]]; then
		tail -n 30 "$dir/$name.log"
		echo "t-persist-reboot: FAIL: boot $name exited $rc"
		exit 1
	fi
}

# pages NAME: the cache_pages boot NAME reported last, used part.
pages() {
	local p
	p=$(sed -n 's/^persist-state: cache_pages=\([0-9]*\)\/.*/\1/p' "$dir/$1.log" | tail -n 1)
	[[ -n $p ]] || { echo "t-persist-reboot: FAIL: boot $1 reported no cache_pages"; exit 1; }
	echo "$p"
}

# host_write LAYOUT: write LAYOUT's blocks into the origin image, around
# any target (the VM is not running).
host_write() {
	local seg
	for seg in $1; do
		sh "$guest" gen "$seg" |
			dd of="$origin" bs=4096 seek="${seg%%:*}" conv=notrunc status=none
	done
}

# origin_holds LAYOUT WHY: the origin image's data region is LAYOUT's.
origin_holds() {
	local want got
	want=$(sh "$guest" gen "$1" | md5sum)
	got=$(head -c $((2048 * 4096)) "$origin" | md5sum)
	[[ $want == "$got" ]] || {
		echo "t-persist-reboot: FAIL: the origin image does not hold $1 $2"
		exit 1
	}
}

L1="0:2048:A"
NEW="32:32:B"
L2="0:32:A 32:32:B 64:1984:A"
C="0:1:C 5:1:C"
L3="0:1:C 1:4:A 5:1:C 6:26:A 32:32:B 64:1984:A"
D="7:1:D"
L4="0:1:C 1:4:A 5:1:C 6:1:A 7:1:D 8:24:A 32:32:B 64:1984:A"

boot 1 first "$L1"
origin_holds "$L1" "after boot 1 (written through the target)"
n=$(pages 1)
boot 2 restore "$n" "$L1"
boot 3 --expect-crash crash "$(pages 2)" "$L1" "$NEW"
origin_holds "$L2" "after the crash (the new data was synced)"
boot 4 cold "not shut down cleanly" "$L2"
host_write "$C"
boot 5 cold "origin fingerprint changed" "$L3"
host_write "$D"
boot 6 stale "$(pages 5)" "$L3"
boot 7 cold "not shut down cleanly" "$L4"
echo "t-persist-reboot: $n pages restored across reboots; a crash, a live table at power-off and a write of block 0 between boots started cold; a write of block 7 alone was not seen (the documented limit)"
