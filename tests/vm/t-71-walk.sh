#!/bin/sh
# The walk of a filesystem's inode list lets go of s_inode_list_lock at
# least every 256 entries, however many inodes are cached and whether or
# not they have pages: each time, it pins the inode it is at with a
# reference, which it drops (iput) at the next stop.  ext4 with 100000
# empty files in the inode cache (and nothing with pages), the thread
# ticking back to back (hysteresis=0): a kprobe counts swapcached's iput()
# calls on an inode (not NULL), which must reach 100000 / 256 (one pass's
# worth) within 60 s.  Before, the walk stopped only at inodes with pages
# and held the lock across all the others: no such iput at all.
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh
# shellcheck source=trace.sh
. /tests/trace.sh
trap trace_cleanup EXIT

N=100000
load_swapcache
sc_ramdisks 256
sc_create sc /dev/ram0 /dev/ram1
mkfs.ext4 -q -F -b 4096 -N $((N + 20000)) \
	-E lazy_itable_init=0,lazy_journal_init=0 /dev/mapper/sc || die "mkfs"
sc_fs_mount ext4
mkdir /mnt/d
setfattr -n user.swapcache -v 1 /mnt/d || die "setfattr"
seq 1 $N | sed 's|^|/mnt/d/f|' | xargs touch || die "touch"
assert_eq "$(find /mnt/d -type f | wc -l)" $N "files made"

trace_setup
probe_add iput p iput 'inode=%di:u64' 'comm == "swapcached" && inode != 0'
probe_add in p iterate_supers_type '' 'comm == "swapcached"'
echo 0 >$P/hysteresis
echo 1 >$P/data_enable
want=$((N / 256))
polls=300
while :; do
	n=$(probe_events iput)
	[ "$n" -ge $want ] && break
	[ $polls -gt 0 ] ||
		die "$n pinned iputs in $(probe_events in) walks after 60 s, want $want"
	polls=$((polls - 1))
	sleep 0.2
done
echo 0 >$P/data_enable
echo "$n pinned iputs in $(probe_events in) walks"
umount /mnt
dmsetup remove sc || die "remove"
