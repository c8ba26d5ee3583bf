# shellcheck shell=dash
# Helpers for tests of the swapcache target, sourced after lib.sh.
# Guest side: busybox sh, no udev (hence the mknodes after every create).

# sc_ramdisks MIB: two brd disks, /dev/ram0 (origin) and /dev/ram1 (cache).
sc_ramdisks() {
	modprobe brd rd_nr=2 rd_size=$(($1 * 1024)) max_part=0 ||
		die "cannot load brd"
	[ -b /dev/ram0 ] || die "brd made no /dev/ram0"
	[ -b /dev/ram1 ] || die "brd made no /dev/ram1"
}

# sc_cache_pages SECTORS: the slots a cache device of SECTORS offers for
# data (cache_pages' total): its 64 KiB slabs less the first, the
# header's, and the checkpoint region's at the end, room for 20 items of
# 16 bytes per slab (the layout of Documentation/swapcache.rst, "Persistent mode").
sc_cache_pages() {
	local raw=$(($1 / 128)) ckpt
	ckpt=$(((raw * 20 + 4095) / 4096))
	echo $(((raw - 1 - ckpt) * 16))
}

# sc_loop_origin: /dev/loop0 over a 64 MiB tmpfs file, an origin that
# supports discard and write-zeroes, which brd does not.
sc_loop_origin() {
	truncate -s 64M /tmp/origin.img
	modprobe loop
	losetup /dev/loop0 /tmp/origin.img || die "losetup"
}

# sc_create NAME ORIGIN CACHE [OPTIONAL ARGS...]: a target over all of ORIGIN.
sc_create() {
	local name=$1 origin=$2 cache=$3 size
	shift 3
	size=$(blockdev --getsz "$origin") || die "no size for $origin"
	dmsetup create "$name" --table "0 $size swapcache $origin $cache $*" ||
		die "cannot create $name over $origin and $cache"
	dmsetup mknodes "$name"
}

# File that sc_status_field leaves when a key is missing: tests/vm/run
# fails the test when it finds it.
SC_STATUS_MISSING=/tmp/sc_status.missing

# sc_status_field NAME KEY: the value of KEY in NAME's status line.  A
# missing key (or device) fails the test, even from inside $(...), where
# die only ends the subshell: the runner sees SC_STATUS_MISSING, and the
# value printed instead, "?KEY", is neither a number nor 0 to $((...)) or
# [ -gt ] (busybox sh exits on it in arithmetic).
sc_status_field() {
	local line value
	line=$(dmsetup status "$1") || line=
	value=$(echo "$line" | tr ' ' '\n' | sed -n "s/^$2=//p")
	if [ -z "$value" ]; then
		echo "$1: no $2= in the status line '$line'" >>$SC_STATUS_MISSING
		echo "?$2"
		die "$1: no $2= in the status line '$line'"
	fi
	echo "$value"
}

# sc_dm_name NAME: the dm-N name of a device, as /sys/block knows it.
sc_dm_name() {
	echo "dm-$(dmsetup info -c --noheadings -o minor "$1" | tr -d ' ')"
}

# sc_refcnt: how many users hold the module.
sc_refcnt() {
	cat /sys/module/swapcache/refcnt
}

# shellcheck disable=SC2034 # for the tests that source this file
P=/sys/module/swapcache/parameters

# sc_fill DEV OFFSET SIZE PATTERN: write PATTERN (e.g. 0xaa) over a range.
sc_fill() {
	fio --name=fill --filename="$1" --rw=write --bs=64k --offset="$2" \
		--size="$3" --direct=1 --verify=pattern --verify_pattern="$4" \
		--do_verify=0 --output-format=terse >/dev/null ||
		die "cannot fill $1 at $2+$3 with $4"
}

# sc_holds DEV OFFSET SIZE PATTERN [BS]: O_DIRECT reads of the range, BS at a
# time (default 4k), return PATTERN and nothing else.
sc_holds() {
	fio --name=check --filename="$1" --rw=write --bs="${5:-4k}" \
		--offset="$2" --size="$3" --direct=1 --verify=pattern \
		--verify_pattern="$4" --verify_only --verify_fatal=1 \
		--output-format=terse >/dev/null
}

# sc_crc DEV OFFSET SIZE EXTRA...: fio over a range, 4 KiB O_DIRECT blocks
# with crc32c verify headers (each block its offset and checksum): with
# --do_verify=0 it writes them, with --verify_only it checks them.
sc_crc() {
	local dev=$1 off=$2 size=$3
	shift 3
	fio --name=crc --filename="$dev" --rw=write --bs=4k --offset="$off" \
		--size="$size" --direct=1 --verify=crc32c --verify_fatal=1 \
		--output-format=terse "$@" >/dev/null
}

# sc_crc32c DEV CRC OFFSET LEN [SKIP_FROM SKIP_TO]: CRC carried on over
# DEV's bytes at OFFSET, as the kernel's crc32c() (no inversion), the bytes
# in [SKIP_FROM, SKIP_TO) of the range counted as zero: what the module
# computes over its persistent header and checkpoint.
sc_crc32c() {
	local crc=$2 n=0 byte
	for byte in $(od -An -tu1 -v -j "$3" -N "$4" "$1"); do
		[ $n -ge "${5:--1}" ] && [ $n -lt "${6:--1}" ] && byte=0
		n=$((n + 1))
		crc=$((crc ^ byte))
		for _ in 1 2 3 4 5 6 7 8; do
			crc=$(((crc >> 1) ^ (0x82f63b78 & -(crc & 1))))
		done
	done
	echo "$crc"
}

# sc_read DEV OFFSET SIZE [BS]: O_DIRECT sequential reads of a range.
sc_read() {
	fio --name=read --filename="$1" --rw=read --bs="${4:-4k}" \
		--offset="$2" --size="$3" --direct=1 \
		--output-format=terse >/dev/null || die "cannot read $1 at $2"
}

# --- Helpers for the scanner tests (t-5x), on a filesystem over the target.

# sc_fs_setup FS [MNT]: make FS (ext4 or xfs) on /dev/mapper/sc, 4 KiB blocks,
# and mount it on MNT (default /mnt) with sc_fs_mount.  XFS needs a device
# of >= 300 MB.  ext4 is made with its inode tables and journal zeroed by
# mkfs, not lazily after mounting.
sc_fs_setup() {
	local fs=$1
	case $fs in
	ext4)
		mkfs.ext4 -q -F -b 4096 -E lazy_itable_init=0,lazy_journal_init=0 \
			/dev/mapper/sc || die "mkfs.ext4"
		;;
	xfs) mkfs.xfs -q -f -b size=4096 /dev/mapper/sc || die "mkfs.xfs" ;;
	*) die "sc_fs_setup: unknown filesystem $fs" ;;
	esac
	sc_fs_mount "$@"
}

# sc_fs_mount FS [MNT]: mount /dev/mapper/sc, made by sc_fs_setup, on MNT
# (default /mnt).  ext4 without block-bitmap prefetch: with it, ext4lazyinit
# reads bitmaps in the background after the mount, which shows up in
# read_misses and read_hits while tests count them.
sc_fs_mount() {
	local fs=$1 mnt=${2:-/mnt} opts=''
	[ "$fs" = ext4 ] && opts=no_prefetch_block_bitmaps
	mkdir -p "$mnt"
	mount -t "$fs" ${opts:+-o "$opts"} /dev/mapper/sc "$mnt" || die "mount $fs on $mnt"
}

# sc_hot_files: on /mnt, an opted-in /mnt/hot holding a 1 MiB file `big`
# and 200 one-page files s0..s199 (456 pages), and an 8 MiB /mnt/cold/f
# that is not opted in, all of random or distinct data.
sc_hot_files() {
	local i=0
	mkdir /mnt/hot /mnt/cold || die "mkdir hot, cold"
	setfattr -n user.swapcache -v 1 /mnt/hot || die "setfattr hot"
	dd if=/dev/urandom of=/mnt/hot/big bs=1M count=1 2>/dev/null || die "write big"
	while [ $i -lt 200 ]; do
		echo "small $i" >/mnt/hot/s$i || die "write s$i"
		i=$((i + 1))
	done
	dd if=/dev/urandom of=/mnt/cold/f bs=1M count=8 2>/dev/null || die "write cold"
}

# sc_cache_resident PAGES: turn swapcached on for target sc, a pass per
# tick, reads routed to the SSD, and wait until it has written exactly
# PAGES pages and stopped.
sc_cache_resident() {
	echo 1 >"$P/read_enable"
	echo 0 >"$P/hysteresis"
	echo 1 >"$P/data_enable"
	sc_wait_written sc "$1" 120
	sc_settle sc
	assert_eq "$(sc_status_field sc written)" "$1" "pages written"
}

# sc_drop_caches: write back, then drop the page cache, dentries and inodes,
# so that the next read of a file goes through the target.
sc_drop_caches() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
}

# sc_wait_written NAME PAGES SECONDS: poll (5 times a second) until NAME's
# `written` reaches at least PAGES; fail the test if it has not after
# SECONDS.  Callers assert the exact value afterwards.
sc_wait_written() {
	local name=$1 want=$2 polls=$(($3 * 5)) now
	while :; do
		now=$(sc_status_field "$name" written)
		[ "$now" -ge "$want" ] && return 0
		[ "$polls" -gt 0 ] ||
			die "$name: written is $now after $3 s, waited for $want"
		polls=$((polls - 1))
		sleep 0.2
	done
}

# sc_settle NAME: wait until NAME's `written` stays the same for 2 s (60 s
# at most, then fail the test).
sc_settle() {
	local last=-1 same=0 tries=0 now
	while [ $same -lt 4 ]; do
		now=$(sc_status_field "$1" written)
		if [ "$now" = "$last" ]; then
			same=$((same + 1))
		else
			same=0
		fi
		last=$now
		tries=$((tries + 1))
		[ $tries -le 120 ] || die "$1: written still growing after 60 s"
		sleep 0.5
	done
}

# sc_canary_round LABEL PAGES CANARY FILE...: read the FILEs, then CANARY,
# an opted-in file of target sc's filesystem whose pages are not in the
# page cache and not cached (t-51-optin.sh).  Once the canary's pages are
# written, the thread made passes after the FILEs were read; two seconds
# more are 20 ticks, each a whole pass once nothing eligible is left
# uncached.  `written` must then have grown by exactly PAGES and the
# canary's pages.
sc_canary_round() {
	local label=$1 want=$2 canary=$3 pages w
	shift 3
	pages=$((($(stat -c %s "$canary") + 4095) / 4096))
	w=$(sc_status_field sc written)
	cat "$@" "$canary" >/dev/null || die "$label: read"
	sc_wait_written sc $((w + want + pages)) 60
	sleep 2
	assert_eq "$(($(sc_status_field sc written) - w))" $((want + pages)) \
		"$label: pages written (expected $want + the canary's $pages)"
	echo "$label: $want pages written, as expected"
}

# sc_md5 FILE: the md5 of FILE's bytes.
sc_md5() {
	md5sum "$1" | cut -d' ' -f1
}

# sc_extents FILE: one line per mapped extent of FILE (holes left out),
# "FILE_OFFSET DEVICE_OFFSET LENGTH" in bytes, from FIEMAP (xfs_io works on
# any filesystem), clipped to the file's size rounded up to a 4 KiB page
# (XFS may keep blocks preallocated past the end).
sc_extents() {
	local size
	size=$(stat -c %s "$1") || die "no size for $1"
	size=$(((size + 4095) / 4096 * 4096))
	xfs_io -r -c fiemap "$1" |
		sed -n 's/^[[:space:]]*[0-9]*: \[\([0-9]*\)\.\.\([0-9]*\)\]: \([0-9]*\)\.\..*/\1 \2 \3/p' |
		while read -r _first _last _dev; do
			_first=$((_first * 512))
			_last=$(((_last + 1) * 512))
			[ $_last -le $size ] || _last=$size
			[ $_last -gt $_first ] || continue
			echo $_first $((_dev * 512)) $((_last - _first))
		done
}

# sc_read_extents DEV FILE...: O_DIRECT reads of DEV over every extent of
# the FILEs (DEV being the device their filesystem is on): the files' blocks
# through the block layer, with no page cache and no filesystem in between.
# The extents are listed first, and fio is told not to flush DEV's buffer
# cache (BLKFLSBUF), so that the filesystem reads no metadata meanwhile and
# read_hits/read_misses count the files' blocks only.  One fio run, one
# job per extent.
sc_read_extents() {
	local _dev=$1 _f _fo _do _len _bs _jobs='' _n=0
	shift
	for _f; do
		sc_extents "$_f" >/tmp/sc_extents.$$
		while read -r _fo _do _len; do
			_bs=64k
			[ $((_len % 65536)) -eq 0 ] || _bs=4k
			_n=$((_n + 1))
			_jobs="$_jobs --name=e$_n --bs=$_bs --offset=$_do --size=$_len"
		done </tmp/sc_extents.$$
	done
	rm -f /tmp/sc_extents.$$
	[ $_n -gt 0 ] || return 0
	# shellcheck disable=SC2086 # $_jobs: fio options, split on purpose
	fio --filename="$_dev" --rw=read --direct=1 --invalidate=0 --thread \
		--output-format=terse $_jobs >/dev/null ||
		die "cannot read the extents of $* on $_dev"
}

# --- Helpers for the tests of swapcachectl (t-8x).

# sc_mkfile PATH PAGES: a file of PAGES 4 KiB pages of random bytes, and
# the directories above it.
sc_mkfile() {
	case $1 in */*) mkdir -p "${1%/*}" ;; esac
	dd if=/dev/urandom of="$1" bs=4k count="$2" 2>/dev/null ||
		die "cannot write $1"
}

# sc_ext4_and_off: ext4 on a target `sc` over 256 MiB ram disks at /mnt,
# and a second ext4, off the target (on /dev/loop0), at /mnt2.
sc_ext4_and_off() {
	sc_ramdisks 256
	sc_create sc /dev/ram0 /dev/ram1
	sc_fs_setup ext4
	sc_loop_origin
	mkfs.ext4 -q -F /dev/loop0 || die "mkfs.ext4 on loop0"
	mkdir -p /mnt2
	mount /dev/loop0 /mnt2 || die "mount /mnt2"
}
