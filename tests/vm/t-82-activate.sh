#!/bin/sh
# swapcache-activate against a swapcachetab with good lines (devices named by
# UUID=, PARTUUID= and /dev/disk/by-id/), a malformed line, a device that
# never appears, a UUID two disks carry and a table the kernel refuses: the
# bad lines are reported by line number and skipped, the good targets come
# up with the parameters of the shipped modprobe.d example, and status, stop
# (refused while mounted), start again and a read through the SSD leave the
# filesystem's data intact; then a reboot as far as the guest allows (the
# module unloaded, activation, `mount -a` from /etc/fstab), where an origin
# named by UUID= still comes up once the cache holds a copy of its
# superblock (not at its own offset: the cache device's header is there).
# There is no udev in the guest: the test makes the /dev/disk links udev
# would.
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh

tab=/etc/swapcachetab
[ ! -d /sys/module/swapcache ] || die "the module is loaded before the test"
modprobe brd rd_nr=6 rd_size=32768 max_part=0 || die "cannot load brd"
[ -b /dev/ram5 ] || die "brd made no /dev/ram5"

# The example with DragonFly's recommended line enabled, as an admin would;
# removed however the test ends, or every later test's modprobe would turn
# the thread on.
mkdir -p /etc/modprobe.d
trap 'rm -f /etc/modprobe.d/swapcache.conf' EXIT
sed 's/^#\(options swapcache read_enable=\)/\1/' \
	/tools/swapcache-activate/swapcache.conf >/etc/modprobe.d/swapcache.conf
grep -q '^options swapcache read_enable=1 meta_enable=1 data_enable=1' \
	/etc/modprobe.d/swapcache.conf || die "the example has no recommended line"

uuid=0ddba110-5ca1-4e0d-9a1e-5eedcafe0001
dup=0ddba110-5ca1-4e0d-9a1e-5eedcafe0002
mkfs.ext4 -q -F -U "$uuid" /dev/ram0 || die "mkfs.ext4 on ram0"
mkfs.ext4 -q -F -U "$dup" /dev/ram4 || die "mkfs.ext4 on ram4"
mkfs.ext4 -q -F -U "$dup" /dev/ram5 || die "mkfs.ext4 on ram5"
mkdir -p /dev/disk/by-partuuid /dev/disk/by-id /dev/disk/by-uuid
ln -s /dev/ram1 /dev/disk/by-partuuid/5c0ffee0-01
# udev links a UUID to one of the disks that carry it; that must not hide
# the other.
ln -s /dev/ram4 "/dev/disk/by-uuid/$dup"
ln -s /dev/ram2 /dev/disk/by-id/ata-SLOW_DISK_B
ln -s /dev/ram3 /dev/disk/by-id/nvme-FAST_SSD_B
cat >$tab <<TAB
# the test's targets
alpha UUID=$uuid PARTUUID=5c0ffee0-01

beta  /dev/disk/by-id/ata-SLOW_DISK_B /dev/disk/by-id/nvme-FAST_SSD_B -  # by id
broken /dev/ram4
gamma /dev/disk/by-id/ata-NOT_THERE /dev/ram5
delta /dev/ram4 /dev/ram5 frobnicate
twin UUID=$dup /dev/ram5
TAB

# activate ARGS...: run swapcache-activate, its stderr in /tmp/act.err and
# its stdout in /tmp/act.out; prints its exit status.
activate() {
	_rc=0
	swapcache-activate "$@" >/tmp/act.out 2>/tmp/act.err || _rc=$?
	sed 's/^/  /' /tmp/act.out /tmp/act.err >&2
	echo "$_rc"
}
# said TEXT: swapcache-activate's last run said TEXT on stderr.
said() {
	grep -qF "$1" /tmp/act.err || die "expected '$1' from swapcache-activate"
}
# active NAMES: exactly the mapped devices NAMES exist.
active() {
	assert_eq "$(dmsetup ls | awk '$1 != "No" { print $1 }' | sort | tr '\n' ' ')" \
		"$*" "mapped devices"
}

start=$(date +%s)
assert_eq "$(activate -t 3 start)" 1 "start with bad lines"
[ $(($(date +%s) - start)) -ge 3 ] || die "start did not wait for the missing device"
said "$tab:5: expected 'name origin cache [options]'; line skipped"
said "$tab:6: gamma: origin /dev/disk/by-id/ata-NOT_THERE did not appear within 3s"
said "$tab:7: delta: dmsetup create failed (the kernel log says why)"
said "$tab:8: twin: UUID=$dup matches several devices: /dev/ram4 /dev/ram5"
active "alpha beta "
dmsetup deps -o devname alpha | grep -q '(ram0)' || die "alpha's origin is not ram0"
dmsetup deps -o devname alpha | grep -q '(ram1)' || die "alpha's cache is not ram1"
dmsetup deps -o devname beta | grep -q '(ram2)' || die "beta's origin is not ram2"
dmsetup deps -o devname beta | grep -q '(ram3)' || die "beta's cache is not ram3"
for p in read_enable meta_enable data_enable use_chflags; do
	assert_eq "$(cat $P/$p)" 1 "$p from /etc/modprobe.d/swapcache.conf"
done
echo 0 >$P/data_enable
echo 0 >$P/meta_enable

assert_eq "$(activate status)" 1 "status with inactive lines"
grep -q '^alpha: active cache_pages=' /tmp/act.out || die "status: alpha not active"
grep -q '^gamma: inactive$' /tmp/act.out || die "status: gamma not inactive"

# Data written through alpha.
mkdir -p /mnt
mount -t ext4 /dev/mapper/alpha /mnt || die "mount alpha"
head -c 4194304 /dev/urandom >/mnt/data
sum=$(md5sum </mnt/data)

# Only the good lines from here on.
sed -i '/^\(broken\|gamma\|delta\|twin\) /d' $tab
assert_eq "$(activate stop)" 1 "stop with alpha mounted"
said "$tab:2: alpha: dmsetup remove failed"
active "alpha "
assert_eq "$(activate start)" 0 "start with alpha already active"
said "alpha: already active"
active "alpha beta "
assert_eq "$(activate status)" 0 "status with all active"

umount /mnt
assert_eq "$(activate stop)" 0 "stop"
active ""
assert_eq "$(activate status)" 1 "status when stopped"
grep -q '^alpha: inactive$' /tmp/act.out || die "status: alpha not inactive"

assert_eq "$(activate start)" 0 "start again"
active "alpha beta "
# Read back through the SSD: warm the whole origin, then read the file.
dmsetup message alpha 0 warm 0 "$(blockdev --getsz /dev/ram0)" || die "warm alpha"
mount -t ext4 -o ro /dev/mapper/alpha /mnt || die "mount alpha again"
sc_drop_caches
assert_eq "$(md5sum </mnt/data)" "$sum" "the file after stop and start"
[ "$(sc_status_field alpha read_hits)" -gt 0 ] || die "the file was not read from the SSD"
umount /mnt
assert_eq "$(activate stop)" 0 "stop before the reboot"
active ""

# A reboot, as far as this guest can have one (no systemd): the module
# goes, then what the boot runs before local filesystems: activation,
# which loads the module with the modprobe.d options, then the fstab
# mounts.
rmmod swapcache || die "rmmod swapcache"
[ ! -e /etc/fstab ] || die "the guest has an /etc/fstab of its own"
echo "/dev/mapper/alpha /mnt ext4 ro 0 0" >/etc/fstab
trap 'rm -f /etc/modprobe.d/swapcache.conf /etc/fstab' EXIT
# The cache device now holds copies of the origin's first blocks, its
# superblock among them (warm filled the data slabs in order), but not at
# their own offsets: its first slab is swapcache's header.  blkid finds the
# origin's UUID on the origin only, and the UUID= line names one device.
[ "$(blkid -o value -s UUID /dev/ram1 || true)" != "$uuid" ] ||
	die "the cache device carries the origin's UUID"
assert_eq "$(activate start)" 0 "start at boot, origin by UUID="
active "alpha beta "
assert_eq "$(cat $P/read_enable)" 1 "read_enable from modprobe.d at boot"
mount -a || die "mount -a from /etc/fstab"
assert_eq "$(md5sum </mnt/data)" "$sum" "the file after the reboot"
umount /mnt
assert_eq "$(activate stop)" 0 "final stop"
active ""
echo "activation: bad lines skipped by number, data intact across stop, start and a reboot"
