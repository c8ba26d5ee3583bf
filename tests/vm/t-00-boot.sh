#!/bin/sh
# The test bed works: the Debian modules the tests build on load, a brd disk
# and a dm-delay device over it come up without udev, and data written with
# direct I/O through the delay device reads back intact, through it and on
# the disk below.
# shellcheck source=lib.sh
. /tests/lib.sh

modprobe brd rd_nr=1 rd_size=32768 max_part=0 # one 32 MiB disk
modprobe dm-delay
modprobe dm-flakey
for m in brd dm_mod dm_delay dm_flakey; do
	[ -d "/sys/module/$m" ] || die "module $m did not load"
done
[ -b /dev/ram0 ] || die "brd made no /dev/ram0"

size=$(blockdev --getsz /dev/ram0)
# 1 ms each way: slow enough to be a real delay, fast enough under TCG.
dmsetup create t00-delay --table "0 $size delay /dev/ram0 0 1"
dmsetup mknodes t00-delay
[ -b /dev/mapper/t00-delay ] || die "no /dev/mapper/t00-delay"
assert_eq "$(dmsetup status t00-delay | cut -d' ' -f3)" delay "target type"

fio --name=t00 --filename=/dev/mapper/t00-delay --size=8M --bs=4k \
	--rw=randwrite --direct=1 --ioengine=libaio --iodepth=16 \
	--verify=crc32c --do_verify=1 --verify_fatal=1 --output-format=terse \
	>/tmp/t00-fio.out 2>&1 || die "fio verify through dm-delay: $(cat /tmp/t00-fio.out)"
echo "fio wrote and verified 8 MiB through dm-delay"

cmp /dev/mapper/t00-delay /dev/ram0 || die "dm-delay and the disk below differ"
echo "dm-delay reads the same bytes as /dev/ram0"

dmsetup remove t00-delay
dmsetup info t00-delay >/dev/null 2>&1 && die "t00-delay still exists"
echo "removed"
