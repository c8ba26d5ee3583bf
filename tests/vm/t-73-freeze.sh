#!/bin/sh
# swapcached leaves a frozen filesystem alone.  If the thread held the last
# reference to an unlinked inode on a frozen ext4, its iput() would block
# in the inode's eviction until the thaw, with s_umount held, and the thaw
# (which takes s_umount) would wait for it forever.
#
# Each of 6 rounds: four opted-in 8 MiB files are written, cached by the
# thread (it then spends each tick looking their pages up again:
# hysteresis=0, maxlaunder=4096), opened by one process each, unlinked;
# the filesystem is frozen, and the processes are killed one by one while
# it is frozen, so that each closes its file while the thread may be
# holding it.  The thaw must return within 60 s (it takes a moment when
# nothing is wrong), and every process must be gone after it.  A hang
# fails the test with "the thaw hung", and the VM has to be killed.
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh

# The file holders must not outlive a failure: they keep /mnt busy.
pids=''
trap 'kill $pids 2>/dev/null || true' EXIT

load_swapcache
sc_ramdisks 512
sc_create sc /dev/ram0 /dev/ram1
sc_fs_setup ext4
mkdir /mnt/hot
setfattr -n user.swapcache -v 1 /mnt/hot || die "setfattr"
echo 0 >$P/hysteresis
echo 4096 >$P/maxlaunder
echo 1 >$P/data_enable

round=1
while [ $round -le 6 ]; do
	w=$(sc_status_field sc written)
	for i in 1 2 3 4; do
		dd if=/dev/urandom of=/mnt/hot/f$i bs=1M count=8 2>/dev/null ||
			die "write f$i"
		# Its own opt-in too: once unlinked, a file is judged by its
		# own attributes, and the thread then scans it (holding it
		# for a while) rather than passing it over at once.
		setfattr -n user.swapcache -v 1 /mnt/hot/f$i || die "setfattr f$i"
	done
	sync
	sc_wait_written sc $((w + 4 * 2048)) 120
	pids=''
	for i in 1 2 3 4; do
		# shellcheck disable=SC2217 # it holds the file open, as stdin
		sleep 1000 </mnt/hot/f$i &
		pids="$pids $!"
	done
	# Each child opens its file itself: wait until they all have.
	for p in $pids; do
		polls=100
		until readlink "/proc/$p/fd/0" | grep -q '^/mnt/hot/f'; do
			[ $polls -gt 0 ] || die "process $p did not open its file"
			polls=$((polls - 1))
			sleep 0.1
		done
	done
	rm /mnt/hot/f1 /mnt/hot/f2 /mnt/hot/f3 /mnt/hot/f4
	fsfreeze --freeze /mnt || die "round $round: freeze"
	for p in $pids; do
		kill "$p"
		sleep 0.3
	done
	sleep 1
	# The thaw in the background: a thaw stuck on s_umount cannot be
	# killed, so the test says so and ends instead of waiting for it.
	fsfreeze --unfreeze /mnt &
	thaw=$!
	polls=300
	while kill -0 $thaw 2>/dev/null; do
		[ $polls -gt 0 ] || die "round $round: the thaw hung for 60 s"
		polls=$((polls - 1))
		sleep 0.2
	done
	wait $thaw || die "round $round: thaw failed"
	for p in $pids; do
		wait "$p" 2>/dev/null || true
	done
	echo "round $round: thawed"
	round=$((round + 1))
done
echo 0 >$P/data_enable
umount /mnt
dmsetup remove sc || die "remove"
