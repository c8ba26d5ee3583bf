# Helpers for tests of the swapcache target, sourced after lib.sh.
# Guest side: busybox sh, no udev (hence the mknodes after every create).

# sc_ramdisks MIB: two brd disks, /dev/ram0 (origin) and /dev/ram1 (cache).
sc_ramdisks() {
	modprobe brd rd_nr=2 rd_size=$(($1 * 1024)) max_part=0 ||
		die "cannot load brd"
	[ -b /dev/ram0 ] && [ -b /dev/ram1 ] || die "brd made no /dev/ram0-1"
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

# sc_status_field NAME KEY: the value of KEY in NAME's status line.
sc_status_field() {
	dmsetup status "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# sc_dm_name NAME: the dm-N name of a device, as /sys/block knows it.
sc_dm_name() {
	echo "dm-$(dmsetup info -c --noheadings -o minor "$1" | tr -d ' ')"
}

# sc_refcnt: how many users hold the module.
sc_refcnt() {
	cat /sys/module/swapcache/refcnt
}

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

# sc_read DEV OFFSET SIZE [BS]: O_DIRECT sequential reads of a range.
sc_read() {
	fio --name=read --filename="$1" --rw=read --bs="${4:-4k}" \
		--offset="$2" --size="$3" --direct=1 \
		--output-format=terse >/dev/null || die "cannot read $1 at $2"
}
