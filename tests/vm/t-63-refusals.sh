#!/bin/sh
# Two constructor refusals, each with its own
# message, leaving nothing behind:
# - a zoned origin (zone resets carry no sectors, so they would pass the
#   write guards and the invalidation), and a zoned cache device (slabs are
#   not written in zone order): null_blk with zoned=1;
# - a cache device that a swapcache target of another mapped device holds:
#   dm core opens devices with one holder for every mapped device, so two
#   targets could share an SSD and overwrite each other's slabs.  A reload
#   of the same mapped device keeps working (the new table is built while
#   the old one is live, on the same SSD), and once the owner is removed
#   the SSD is free for another.  Two targets of one table cannot share
#   an SSD either.
# Each case is checked and reported before the test fails, so that one
# run shows every refusal that is missing.
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh

failures=''

# refused NAME TABLE MESSAGE: creating NAME with TABLE (one or more lines)
# fails, the kernel log names MESSAGE, and no device is left behind.
refused() {
	_mark=$(log_mark)
	if printf '%s\n' "$2" | dmsetup create "$1" 2>/dev/null; then
		echo "NOT refused: $2"
		failures="$failures; accepted: $2"
		dmsetup remove "$1"
		return 0
	fi
	dmsetup info "$1" >/dev/null 2>&1 && die "'$2' left a device behind"
	if ! log_since "$_mark" | grep -qF "swapcache: $3"; then
		echo "refused, but not with '$3': $(log_since "$_mark" | grep device-mapper | tail -n 2)"
		failures="$failures; '$3' not logged"
		return 0
	fi
	echo "refused as expected: $2 -> $3"
}

load_swapcache
sc_ramdisks 64
sc_loop_origin
size=$(blockdev --getsz /dev/ram0)

# --- zoned devices
modprobe null_blk nr_devices=1 zoned=1 zone_size=8 gb=1 ||
	die "cannot load null_blk zoned"
[ "$(cat /sys/block/nullb0/queue/zoned)" = host-managed ] ||
	die "nullb0 is not zoned: $(cat /sys/block/nullb0/queue/zoned)"
refused bad "0 $size swapcache /dev/nullb0 /dev/ram1" "Origin device is zoned"
refused bad "0 $size swapcache /dev/ram0 /dev/nullb0" "Cache device is zoned"
assert_eq "$(sc_refcnt)" 0 "module references after the zoned refusals"

# --- one SSD, one mapped device
sc_create a /dev/ram0 /dev/ram1
refused b "0 $size swapcache /dev/loop0 /dev/ram1" \
	"Cache device is in use by another mapped device"

# A reload of the owner: the new table is constructed beside the live one.
sc_fill /dev/mapper/a 0 1M 0x3c
dmsetup load a --table "0 $size swapcache /dev/ram0 /dev/ram1" ||
	die "reload of a's own table refused"
dmsetup resume a || die "resume after the reload"
sc_holds /dev/mapper/a 0 1M 0x3c || die "a's data after the reload"
# With a second reload loaded but not resumed, and after it is cleared
# (a's live table still holds the SSD), b is still refused.
dmsetup load a --table "0 $size swapcache /dev/ram0 /dev/ram1" ||
	die "second reload of a's own table refused"
refused b "0 $size swapcache /dev/loop0 /dev/ram1" \
	"Cache device is in use by another mapped device"
dmsetup clear a || die "clear a's inactive table"
refused b "0 $size swapcache /dev/loop0 /dev/ram1" \
	"Cache device is in use by another mapped device"
dmsetup remove a

# Free again once its owner is gone.
sc_create b /dev/loop0 /dev/ram1
dmsetup remove b

# Two targets of one table on one SSD.
half=$((size / 2))
refused c "$(printf '0 %s swapcache /dev/ram0 /dev/ram1\n%s %s swapcache /dev/loop0 /dev/ram1' \
	$half $half $half)" "Cache device is used twice in one table"

# One target's cache as another's origin, and the reverse, across mapped
# devices: the SSD's slab writes would overwrite the other's data.
sc_create a /dev/ram0 /dev/ram1
refused b "0 $size swapcache /dev/ram1 /dev/loop0" \
	"Cache or origin device is another mapped device's origin or cache"
refused b "0 $size swapcache /dev/loop0 /dev/ram0" \
	"Cache or origin device is another mapped device's origin or cache"
# A shared origin is allowed (nothing but the user writes it).
sc_create b /dev/ram0 /dev/loop0
dmsetup remove b
dmsetup remove a
# The same within one table.
refused c "$(printf '0 %s swapcache /dev/ram0 /dev/ram1\n%s %s swapcache /dev/ram1 /dev/loop0' \
	$half $half $half)" "Cache or origin device is crossed in this table"
assert_eq "$(sc_refcnt)" 0 "module references after the shared-SSD cases"

[ -z "$failures" ] || die "${failures#; }"
