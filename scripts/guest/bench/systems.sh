# shellcheck shell=dash
# The peers swapcache is measured beside: dm-cache and bcache, set up and
# torn down (scripts/guest/bench/run sources it).

# --- dm-cache

# dmc_create HDD SSD: cache "dmc" over HDD, metadata and data on SSD slices.
dmc_create() {
	local ssz meta=$((DMC_META_MIB * 2048))
	ssz=$(blockdev --getsz "$2")
	{ dmsetup create cmeta --table "0 $meta linear $2 0" &&
		dmsetup create cdata --table "0 $((ssz - meta)) linear $2 $meta"; } ||
		die "dm-cache slices"
	dmsetup mknodes
	# Zeroed metadata: a fresh cache.
	{ dd if=/dev/zero of=/dev/mapper/cmeta bs=1M count="$DMC_META_MIB" 2>/dev/null &&
		sync; } || die "cannot zero dm-cache metadata"
	dmsetup create dmc --table "0 $(blockdev --getsz "$1") cache /dev/mapper/cmeta \
/dev/mapper/cdata $1 $DMC_BLOCK_SECTORS 1 writethrough smq 0" || die "cannot create dm-cache"
	dmsetup mknodes
	dmsetup status dmc | grep -q ' writethrough ' || die "dm-cache not writethrough: $(dmsetup status dmc)"
}
dmc_remove() {
	{ dmsetup remove dmc && dmsetup remove cmeta cdata; } || die "cannot remove dm-cache"
}

# --- bcache

# bc_backing HDD: format and register HDD as a backing device, detached (a
# passthrough), and print its bcacheN.
bc_backing() {
	local b i=0
	make-bcache -B -w 4096 "$1" >/tmp/mkb.out 2>&1 || die "make-bcache -B: $(cat /tmp/mkb.out)"
	echo "$1" >/sys/fs/bcache/register || die "cannot register $1 with bcache"
	while :; do
		b=$(ls "/sys/block/$(sysname "$1")/holders/" 2>/dev/null)
		[ -n "$b" ] && [ -b /dev/"$b" ] && break
		i=$((i + 1))
		[ $i -lt 50 ] || die "no bcache device over $1"
		sleep 0.2
	done
	echo "$b"
}
# bc_attach BCACHE SSD UUID: format SSD as a cache set, attach it,
# writethrough, no sequential bypass, no congestion bypass.
bc_attach() {
	local s=/sys/block/$1/bcache c=/sys/fs/bcache/$3
	make-bcache -C -w 4096 -b "$BCACHE_BUCKET" --cset-uuid "$3" "$2" >/tmp/mkb.out 2>&1 ||
		die "make-bcache -C: $(cat /tmp/mkb.out)"
	echo "$2" >/sys/fs/bcache/register || die "cannot register cache $2 with bcache"
	[ -d "$c" ] || die "no cache set $3"
	echo "$3" >"$s/attach" || die "cannot attach $3 to $1"
	{ echo writethrough >"$s/cache_mode" && echo 0 >"$s/sequential_cutoff" &&
		echo 0 >"$c/congested_read_threshold_us" &&
		echo 0 >"$c/congested_write_threshold_us"; } || die "bcache settings"
	grep -q '\[writethrough\]' "$s/cache_mode" || die "bcache not writethrough"
	[ "$(cat "$s/state")" = clean ] || die "bcache $1 state $(cat "$s/state")"
}
# bc_stop BCACHE UUID HDD: stop both, wait until they are gone.
bc_stop() {
	local i=0
	echo 1 >/sys/block/"$1"/bcache/stop || die "cannot stop $1"
	[ -z "$2" ] || echo 1 >/sys/fs/bcache/"$2"/stop || die "cannot stop cache set $2"
	while [ -e /sys/block/"$1" ] || { [ -n "$2" ] && [ -e /sys/fs/bcache/"$2" ]; } ||
		[ -n "$(ls "/sys/block/$(sysname "$3")/holders/")" ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || die "bcache $1 does not go away"
		sleep 0.2
	done
}
# bc_settle BCACHE: wait until bcache has folded every count so far into
# stats_total. It does so when its accounting timer fires (every 300/22 s)
# and only if something was counted since the last firing: one O_DIRECT read
# of the device's first block makes sure of that, and the total moves at the
# next firing. That read counts once, in this interval or in the next.
bc_settle() {
	local v0 i=0
	v0=$(bc_counters "$1" | awk '{ print $1 + $2 }')
	dd if="/dev/$1" of=/dev/null bs=4096 count=1 iflag=direct 2>/dev/null ||
		die "cannot read /dev/$1"
	while [ "$(bc_counters "$1" | awk '{ print $1 + $2 }')" = "$v0" ]; do
		i=$((i + 1))
		[ $i -lt 150 ] || die "bcache $1: stats_total did not move in 30 s"
		sleep 0.2
	done
}
bc_counters() {
	local s=/sys/block/$1/bcache/stats_total
	echo $(($(cat "$s/cache_hits") + $(cat "$s/cache_bypass_hits"))) \
		$(($(cat "$s/cache_misses") + $(cat "$s/cache_bypass_misses")))
}
