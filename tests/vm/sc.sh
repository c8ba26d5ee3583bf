# Helpers for tests of the swapcache target, sourced after lib.sh.
# Guest side: busybox sh, no udev (hence the mknodes after every create).

# sc_ramdisks MIB: two brd disks, /dev/ram0 (origin) and /dev/ram1 (cache).
sc_ramdisks() {
	modprobe brd rd_nr=2 rd_size=$(($1 * 1024)) max_part=0 ||
		die "cannot load brd"
	[ -b /dev/ram0 ] && [ -b /dev/ram1 ] || die "brd made no /dev/ram0-1"
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
