#!/bin/sh
# No operation holds the map's lock, or runs, for work proportional to the
# SSD's size.  Two targets with the same blocks cached,
# one on a 256 GiB cache device (a 64 Mi-slot map) and one on a 1 GiB one:
# a whole-device discard and `invalidate` take about as long on both.
# The unfixed map walked every slot of the SSD under the write lock for
# each discard bio longer than nr_slots/256 blocks.  Timings are compared
# within this boot, never against a fixed figure.  Then the deferred path
# of long discards keeps its data right on a real origin.
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh

load_swapcache
G=2097152		# sectors per GiB
M=1048576
OSZ=$((64 * G))

# uptime_cs: the guest's clock, in hundredths of a second since boot.
uptime_cs() {
	read -r _up _idle </proc/uptime
	echo "${_up%.*}${_up#*.}" | sed 's/^0*//;s/^$/0/'
}

# Origins: loop devices over sparse 64 GiB tmpfs files, which take a
# discard by punching a hole, at a cost that does not grow with the hole.
# Cache devices: sparse memory-backed null_blk disks of 256 GiB and 1 GiB.
modprobe loop || die "loop"
modprobe null_blk nr_devices=0 || die "null_blk"
mount -t configfs none /sys/kernel/config 2>/dev/null || true
NB=/sys/kernel/config/nullb
[ -d $NB ] || die "no null_blk configfs"
# nullb NAME MIB: a fresh disk; prints its path.
nullb() {
	_d=$NB/$1
	mkdir "$_d" || die "nullb $1"
	{ echo "$2" >"$_d/size" && echo 1 >"$_d/memory_backed" &&
		echo 4096 >"$_d/blocksize" && echo 0 >"$_d/irqmode" &&
		echo 1 >"$_d/power"; } || die "nullb $1 config"
	if [ -b "/dev/$1" ]; then
		echo "/dev/$1"
	else
		echo "/dev/nullb$(cat "$_d/index")"
	fi
}
for t in big small; do
	truncate -s $((OSZ * 512)) /tmp/o$t.img || die "sparse file"
done
obig=/dev/loop1
osmall=/dev/loop2
{ losetup $obig /tmp/obig.img && losetup $osmall /tmp/osmall.img; } ||
	die "losetup"
ssdbig=$(nullb ssdbig $((256 * 1024)))
ssdsmall=$(nullb ssdsmall 1024)
sc_create big $obig "$ssdbig"
sc_create small $osmall "$ssdsmall"
assert_eq "$(sc_status_field big cache_pages)" \
	"0/$(sc_cache_pages "$(blockdev --getsz "$ssdbig")")" "big map"
assert_eq "$(sc_status_field small cache_pages)" \
	"0/$(sc_cache_pages "$(blockdev --getsz "$ssdsmall")")" "small map"

# warm_both: the same 4 clusters on each: the first 192 KiB and the last
# 64 KiB of the device, so that a discard of all but the end still has
# something cached after it.
warm_both() {
	for t in big small; do
		dmsetup message $t 0 warm 0 384 || die "warm $t start"
		dmsetup message $t 0 warm $((OSZ - 128)) 128 ||
			die "warm $t end"
		assert_eq "$(sc_status_field $t cache_pages)" \
			"64/$(sc_status_field $t cache_pages | cut -d/ -f2)" \
			"$t warmed"
	done
}

# timed NAME CMD...: run CMD, print how long it took, in cs.
timed() {
	_n=$1
	shift
	_t0=$(uptime_cs)
	"$@" || die "$_n: $*"
	_t1=$(uptime_cs)
	echo $((_t1 - _t0))
}

# inv NAME: NAME's invalidated counter.
inv() {
	sc_status_field "$1" invalidated
}
# ratio_ok OP BIG SMALL: BIG within 3x SMALL, plus 30 cs for the clock's
# granularity and the noise of a shared machine.
ratio_ok() {
	[ "$2" -le $(($3 * 3 + 30)) ]
}

# Best of three of each.  A whole-device discard goes down in bios of a few
# GiB: all but the last leave the end of the device cached.  Both are
# measured before either verdict, to report both.
bad=
for op in discard invalidate; do
	bmin=999999
	smin=999999
	for _ in 1 2 3; do
		warm_both
		for t in big small; do
			i0=$(inv $t)
			if [ $op = discard ]; then
				cs=$(timed "$op $t" blkdiscard /dev/mapper/$t)
			else
				cs=$(timed "$op $t" dmsetup message $t 0 invalidate)
			fi
			case $cs in
			'' | *[!0-9]*) die "$op $t: no time measured: '$cs'" ;;
			esac
			assert_eq "$(($(inv $t) - i0))" 64 "$op $t: invalidated"
			assert_eq "$(sc_status_field $t cache_pages | cut -d/ -f1)" \
				0 "$op $t: cache_pages"
			if [ $t = big ]; then
				[ "$cs" -lt "$bmin" ] && bmin=$cs
			else
				[ "$cs" -lt "$smin" ] && smin=$cs
			fi
		done
	done
	echo "$op: 256 GiB SSD ${bmin}0 ms, 1 GiB SSD ${smin}0 ms (best of 3)"
	ratio_ok $op "$bmin" "$smin" ||
		bad="$bad $op: ${bmin}0 ms with a 256 GiB SSD, ${smin}0 ms with 1 GiB;"
done
dmsetup remove big
dmsetup remove small
losetup -d $obig
losetup -d $osmall
rm /tmp/obig.img /tmp/osmall.img
for d in ssdbig ssdsmall; do
	{ echo 0 >"$NB/$d/power" && rmdir "$NB/$d"; } ||
		die "cannot remove nullb $d"
done
[ -z "$bad" ] || die "$bad"

# The deferred path, on an origin that keeps data: a 3072-block discard,
# longer than one step of the map walk (1024 lookups), goes to the work
# item and drops exactly its cached blocks before it reaches the origin.
# An 8 MiB write, which the block layer splits into bios of a few hundred
# blocks, takes the map path's one step.
sc_ramdisks 64
TOTAL=$(sc_cache_pages "$(blockdev --getsz /dev/ram1)")
sc_loop_origin
sc_create sc /dev/loop0 /dev/ram1
dev=/dev/mapper/sc
echo 1 >$P/read_enable
sc_fill $dev 0 $((32 * M)) 0xaa
dmsetup message sc 0 warm 0 $((32 * 2048)) || die "warm"
assert_eq "$(sc_status_field sc cache_pages)" "8192/$TOTAL" "warmed"
i0=$(inv sc)
blkdiscard -o $((4 * M)) -l $((12 * M)) $dev || die "blkdiscard"
assert_eq "$(($(inv sc) - i0))" 3072 "blocks invalidated by a 12 MiB discard"
sc_holds $dev $((4 * M)) $((12 * M)) 0x00 || die "old data after a discard"
i0=$(inv sc)
fio --name=big --filename=$dev --rw=write --bs=8m --size=$((8 * M)) \
	--offset=$((16 * M)) --direct=1 --verify=pattern \
	--verify_pattern=0x5c --do_verify=0 --output-format=terse >/dev/null ||
	die "8 MiB write"
assert_eq "$(($(inv sc) - i0))" 2048 "blocks invalidated by an 8 MiB write"
sc_holds $dev $((16 * M)) $((8 * M)) 0x5c || die "old data after a write"
h=$(sc_status_field sc read_hits)
sc_holds $dev 0 $((4 * M)) 0xaa || die "untouched data"
sc_holds $dev $((24 * M)) $((8 * M)) 0xaa || die "untouched data"
assert_eq "$(($(sc_status_field sc read_hits) - h))" 3072 "hits after"
dmsetup remove sc
losetup -d /dev/loop0
