#!/bin/sh
# Never stale across copy on write.  XFS with reflink: the thread looks up
# the block B of a page of file S, S is cloned to D (D shares B), S's page
# is overwritten and fsync'ed (its new data goes to a new block B', B is
# never written), and then the thread copies the page, now S's new data:
# entered as B, it would be what reads of D's block return.  The thread
# must look the block up again after its copy and drop the page.
#
# The window is made wide by putting the SSD behind dm-delay (1 s per
# write): the thread writes a full cluster between looking up the next
# group's blocks and copying its pages.  40 rounds: S (256 KiB of 0x5a,
# opted in) is written and fsync'ed, after a varying pause (0 to 1.5 s)
# cloned to /mnt/clones/Dn, overwritten with 0xa5 and fsync'ed (one
# xfs_io), and deleted.  Every
# 10 rounds, from a cold page cache and with read_enable=1, every Dn must
# read back as 0x5a only.  The output says how many clones were wrong, and
# how many pages the thread wrote meanwhile.
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh

load_swapcache
sc_ramdisks 512
modprobe dm-delay || die "dm-delay"
dmsetup create slow --table \
	"0 $(blockdev --getsz /dev/ram1) delay /dev/ram1 0 0 /dev/ram1 0 1000" ||
	die "dm-delay over ram1"
dmsetup mknodes slow
sc_create sc /dev/ram0 /dev/mapper/slow
mkfs.xfs -q -f -b size=4096 -m reflink=1 /dev/mapper/sc || die "mkfs.xfs"
sc_fs_mount xfs
mkdir /mnt/hot /mnt/clones
setfattr -n user.swapcache -v 1 /mnt/hot || die "setfattr"
dd if=/dev/zero bs=64k count=4 2>/dev/null | tr '\000' '\132' >/tmp/old
want=$(sc_md5 /tmp/old)
echo 0 >$P/hysteresis
echo 1 >$P/read_enable
echo 1 >$P/data_enable

bad=0
round=1
while [ $round -le 40 ]; do
	xfs_io -f -c "pwrite -q -S 0x5a 0 256k" -c fsync /mnt/hot/S ||
		die "write S"
	usleep $(((round * 37 % 16) * 100000))
	# One process for the clone and the overwrite, so that both fit in
	# the thread's window.
	xfs_io -f -c "reflink /mnt/hot/S" -c close -c "open /mnt/hot/S" \
		-c "pwrite -q -S 0xa5 0 256k" -c fsync /mnt/clones/D$round \
		>/dev/null || die "reflink and overwrite"
	rm /mnt/hot/S
	if [ $((round % 10)) -eq 0 ]; then
		echo 0 >$P/data_enable
		sleep 0.5
		sc_drop_caches
		for d in /mnt/clones/D*; do
			if [ "$(sc_md5 "$d")" != "$want" ]; then
				echo "stale: $d: $(od -A d -t x1 "$d" | head -3 | tr '\n' ' ')"
				bad=$((bad + 1))
			fi
		done
		rm -f /mnt/clones/D*
		echo "after round $round: $bad stale clones, written $(sc_status_field sc written)"
		echo 1 >$P/data_enable
	fi
	round=$((round + 1))
done
echo 0 >$P/data_enable
assert_eq $bad 0 "clones that read back another file's data"
umount /mnt
dmsetup remove sc || die "remove sc"
dmsetup remove slow || die "remove slow"
