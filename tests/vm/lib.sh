# shellcheck shell=dash
# Helpers for the guest-side tests (busybox ash); source it:
#     . /tests/lib.sh
# tests/vm/run runs each /tests/t-*.sh with `sh -e`, so any failing command
# fails the test; these helpers say why.
#
# The guest has no udev: libdevmapper makes the /dev/mapper nodes itself
# (/init exports DM_DISABLE_UDEV=1), and `dmsetup mknodes` repairs them.
# busybox dd has no oflag=direct: use fio for direct I/O.

# die MSG: fail the test with MSG.
die() {
	echo "FAIL: $*" >&2
	exit 1
}

# assert_eq ACTUAL EXPECTED MSG: fail unless the two strings are equal.
assert_eq() {
	[ "$1" = "$2" ] || die "${3:-assert_eq}: got '$1', expected '$2'"
}

# expect_fail CMD [ARGS...]: run CMD, and fail the test if CMD succeeds.
expect_fail() {
	if "$@"; then
		die "expected to fail: $*"
	fi
	return 0
}

# log_mark: write a mark no other line has into the kernel log (at info
# level: not echoed on the console) and print it, for log_since.  The log
# is never cleared (dmesg -c): the runner and /init read all of it for
# problems, whatever test is running.
log_mark() {
	_mark="log mark $(cat /proc/sys/kernel/random/uuid)"
	echo "<6>$_mark" >/dev/kmsg
	echo "$_mark"
}

# log_since MARK: the kernel log lines after MARK; all of the log if MARK
# has scrolled out of the ring buffer.
log_since() {
	dmesg | awk -v mark="$1" '
		{ line[NR] = $0 }
		index($0, mark) { from = NR + 1 }
		END { for (i = from ? from : 1; i <= NR; i++) print line[i] }'
}

# load_swapcache [PARAM=VALUE...]: load the module under test (and dm-mod)
# unless it is loaded already. scripts/vm --module puts it at /swapcache.ko
# and, depmod'ed, under /lib/modules/$(uname -r)/extra/.
# shellcheck disable=SC2120 # module parameters, when a caller gives any
load_swapcache() {
	[ -d /sys/module/swapcache ] && return 0
	[ -f /swapcache.ko ] || die "no /swapcache.ko: run scripts/vm with --module"
	modprobe swapcache "$@" || die "cannot load swapcache.ko"
}

# Modules the tests load, unloaded by cleanup_all, users before the used.
TEST_MODULES="swapcache dm_cache_smq dm_cache dm_delay dm_flakey bcache brd null_blk loop nbd sch_netem"

# cleanup_all: unmount what lives on test devices, remove every dm device and
# loop device, unload the test modules. Returns non-zero, saying what, when
# something stays: a module that cannot be unloaded once its devices are gone
# is a leaked reference.
cleanup_all() {
	_ok=0
	# Deepest mount points first (those of test devices hold no blanks).
	# shellcheck disable=SC2013
	for _m in $(awk '$1 ~ "^/dev/(mapper/|dm-|ram|nullb|loop|bcache|nbd)" { print $2 }' /proc/mounts | sort -r); do
		umount "$_m" || { echo "cleanup: cannot unmount $_m" >&2; _ok=1; }
	done
	if dmsetup ls 2>/dev/null | grep -qv '^No devices found'; then
		dmsetup remove_all || { echo "cleanup: dm devices remain: $(dmsetup ls)" >&2; _ok=1; }
	fi
	for _l in /dev/loop[0-9]*; do
		[ -b "$_l" ] && losetup -d "$_l" 2>/dev/null
	done
	# null_blk disks made through configfs (t-47, t-65) hold the module:
	# a test that dies before its own rmdir would leave every later test
	# failing to unload null_blk.
	for _d in /sys/kernel/config/nullb/*/; do
		[ -d "$_d" ] || continue
		rmdir "$_d" || { echo "cleanup: cannot remove $_d" >&2; _ok=1; }
	done
	# Network block devices, their server and netem (tests/vm/nbd.sh).
	if type nbd_down >/dev/null 2>&1; then
		nbd_down
	fi
	for _m in $TEST_MODULES; do
		# initstate: loaded as a module, not built in.
		[ -e "/sys/module/$_m/initstate" ] || continue
		rmmod "$_m" || { echo "cleanup: cannot unload $_m" >&2; _ok=1; }
	done
	return $_ok
}

# vm_disks N: load virtio_blk and wait for the N disks scripts/vm --disk
# attached, /dev/vda on: each must carry the serial scripts/vm gave it
# (disk0, disk1... in --disk order), so a disk never stands in for another.
vm_disks() {
	_n=0
	modprobe virtio_pci || die "cannot load virtio_pci"
	modprobe virtio_blk || die "cannot load virtio_blk"
	for _d in a b c d e f g h; do
		[ $_n -lt "$1" ] || return 0
		_t=50
		while [ ! -b /dev/vd$_d ] && [ $_t -gt 0 ]; do
			sleep 0.1
			_t=$((_t - 1))
		done
		[ -b /dev/vd$_d ] || die "no /dev/vd$_d: did scripts/vm get $1 --disk?"
		assert_eq "$(cat /sys/block/vd$_d/serial)" "disk$_n" "/dev/vd$_d's serial"
		_n=$((_n + 1))
	done
	die "vm_disks: at most 8 disks"
}

# vm_request_crash: once this script exits 0 and the kernel log is clean,
# /init resets the machine (sysrq b) instead of powering off, with every
# device as the script left it (tables live, nothing synced after); run
# scripts/vm with --expect-crash, which accepts only that ending.
vm_request_crash() {
	: >/run/sc-crash-request
}
