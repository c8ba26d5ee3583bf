# shellcheck shell=dash
# The body of t-91-nbd-kill and t-92-nbd-disconnect, sourced after lib.sh,
# sc.sh and nbd.sh: the network origin goes away while the thread is
# writing clusters to the SSD and O_DIRECT reads run through the target.
#
# nbd_outage FS HOW: on FS (ext4 or xfs) over a target on /dev/nbd0 (1 ms
# of netem each way, requests timing out after 2 s) and /dev/ram1, eight
# 2 MiB files in an opted-in directory are read once (into the page
# cache), the thread is paced to 512 pages/s (accrate) and fio reads the
# target with O_DIRECT at random; once 1024 pages are written, the origin
# goes away: HOW is "kill" (nbd-server killed, SIGKILL) or "disconnect"
# (nbd-client -d under the target).  Then:
# - the thread goes on writing the pages still in RAM, true copies, to the
#   SSD: written reaches 4096 (it neither hangs nor stops);
# - every block of the files read through the target with O_DIRECT, the
#   origin gone, is either the origin's bytes (read on the server's side,
#   from /dev/ram0) or an error: no block is anything else, and exactly
#   the reads counted as hits returned the origin's bytes, all 4096;
# - after `invalidate`, a `warm` of the files' range fails (EIO) and
#   caches nothing (written unchanged), and the blocks then read back as
#   errors only;
# - the filesystem unmounts and `dmsetup remove` of the target returns
#   (its status is printed: with the origin gone it is 0);
# - the server back and /dev/nbd0 attached afresh, a new target over it
#   mounts the filesystem and the files equal their reference copies.
# The kernel's hung-task timeout is lowered to 20 s meanwhile, so that a
# task stuck on the dead device fails the test in its time.

# Elapsed seconds (two decimals) since $1, a /proc/uptime reading.
outage_since() {
	awk -v t0="$1" '{ printf "%.2f", $1 - t0 }' /proc/uptime
}

nbd_outage() {
	local fs=$1 how=$2 i t0 w h same bad rc size
	echo "--- $fs, origin $how"
	nbd_serve /dev/ram0
	nbd_attach /dev/nbd0 2
	sc_create sc /dev/nbd0 /dev/ram1
	sc_fs_setup "$fs"
	# Reads write nothing (no atime): the filesystem itself stays sound
	# in RAM while its device is gone.
	mount -o remount,noatime /mnt || die "$fs: remount noatime"
	mkdir /mnt/hot
	setfattr -n user.swapcache -v 1 /mnt/hot
	: >/tmp/outage.ext
	for i in 0 1 2 3 4 5 6 7; do
		dd if=/dev/urandom of="/tmp/f$i.ref" bs=1M count=2 2>/dev/null ||
			die "urandom"
		cp "/tmp/f$i.ref" "/mnt/hot/f$i"
	done
	sync
	# The extents now: with the origin gone, FIEMAP could need to read.
	for i in 0 1 2 3 4 5 6 7; do
		sc_extents "/mnt/hot/f$i" >>/tmp/outage.ext
	done
	sc_drop_caches

	nbd_delay 1
	echo 0 >"$P"/hysteresis
	echo 2097152 >"$P"/accrate
	echo 65536 >"$P"/minburst
	echo 0 >"$P"/curburst
	echo 1 >"$P"/read_enable
	echo 1 >"$P"/data_enable
	cat /mnt/hot/f* >/dev/null
	# On the device, not the files: fio drops a file's page cache when
	# it opens it (invalidate=1), which would leave the thread nothing to
	# write (see the guide).
	fio --name=readers --filename=/dev/mapper/sc --rw=randread --bs=4k \
		--direct=1 --time_based --runtime=600 --continue_on_error=all \
		--output-format=terse >/dev/null 2>&1 &
	fio=$!
	# A failing test must not leave fio holding the filesystem.
	trap 'kill $fio 2>/dev/null; wait $fio 2>/dev/null' EXIT
	sc_wait_written sc 1024 60
	w=$(sc_status_field sc written)
	t0=$(cut -d' ' -f1 /proc/uptime)
	case $how in
	kill) nbd_kill ;;
	disconnect) nbd_detach /dev/nbd0 || die "$fs: nbd-client -d /dev/nbd0 failed" ;;
	esac
	echo "$fs: origin gone ($how) at written=$w"
	[ "$w" -lt 4096 ] || die "$fs: the thread had written everything before the $how"

	# The thread goes on with what is in RAM, whatever the origin does.
	if ! (sc_wait_written sc 4096 60); then
		dmsetup status sc
		die "$fs: the thread stopped writing after the $how"
	fi
	echo "$fs: written reached 4096 $(outage_since "$t0") s after the $how"
	kill "$fio" 2>/dev/null
	wait "$fio" 2>/dev/null || true
	trap - EXIT
	echo 0 >"$P"/data_enable
	sleep 0.5
	assert_eq "$(sc_status_field sc written)" 4096 "$fs: written"

	# What the cache serves, with the origin gone, is the origin's.
	h=$(sc_status_field sc read_hits)
	read -r same bad zero <<-EOF
		$(nbd_compare_blocks /dev/mapper/sc /dev/ram0 /tmp/outage.ext)
	EOF
	h=$(($(sc_status_field sc read_hits) - h))
	echo "$fs: origin gone: $same blocks read as the origin's, $zero as errors, $bad otherwise; $h hits"
	assert_eq "$bad" 0 "$fs: blocks neither the origin's nor an error"
	assert_eq "$same" "$h" "$fs: blocks read as the origin's vs hits"
	assert_eq "$same" 4096 "$fs: blocks served from the SSD"

	# Nothing cached from a failed read.
	dmsetup message sc 0 invalidate || die "$fs: invalidate"
	w=$(sc_status_field sc written)
	size=$(blockdev --getsz /dev/mapper/sc)
	expect_fail dmsetup message sc 0 warm 0 "$size"
	assert_eq "$(sc_status_field sc written)" "$w" "$fs: written by a warm of a dead origin"
	h=$(sc_status_field sc read_hits)
	read -r same bad zero <<-EOF
		$(nbd_compare_blocks /dev/mapper/sc /dev/ram0 /tmp/outage.ext)
	EOF
	assert_eq "$same $bad $zero" "0 0 4096" "$fs: blocks after invalidate and warm"
	assert_eq "$(($(sc_status_field sc read_hits) - h))" 0 "$fs: hits after invalidate and warm"

	t0=$(cut -d' ' -f1 /proc/uptime)
	umount /mnt || die "$fs: umount with the origin gone"
	echo "$fs: umount took $(outage_since "$t0") s"
	t0=$(cut -d' ' -f1 /proc/uptime)
	rc=0
	dmsetup remove sc || rc=$?
	echo "$fs: dmsetup remove returned $rc in $(outage_since "$t0") s"
	assert_eq "$rc" 0 "$fs: dmsetup remove with the origin gone"
	nbd_delay 0

	# A fresh attach: the origin holds the files.
	nbd_detach /dev/nbd0
	pidof nbd-server >/dev/null || nbd_serve /dev/ram0
	nbd_attach /dev/nbd0 2
	sc_create sc /dev/nbd0 /dev/ram1
	sc_fs_mount "$fs"
	for i in 0 1 2 3 4 5 6 7; do
		assert_eq "$(sc_md5 "/mnt/hot/f$i")" "$(sc_md5 "/tmp/f$i.ref")" \
			"$fs: f$i on a fresh attach"
	done
	umount /mnt
	dmsetup remove sc || die "$fs: remove"
	nbd_down
}

# nbd_outage_run HOW: nbd_outage on ext4 and on XFS, each timed.
nbd_outage_run() {
	local fs t0
	load_swapcache
	sc_ramdisks 320
	echo 20 >/proc/sys/kernel/hung_task_timeout_secs
	for fs in ext4 xfs; do
		t0=$(cut -d' ' -f1 /proc/uptime)
		nbd_outage "$fs" "$1"
		echo "$fs: $(outage_since "$t0") s"
	done
	echo 120 >/proc/sys/kernel/hung_task_timeout_secs
}
