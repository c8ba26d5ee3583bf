#!/bin/sh
# Swap through the target with meta_enable=1, where the soak found an oops
# (Documentation/SOAK.md, "What it found"): a swap-in is a READ without
# REQ_META whose page is a swap-cache folio, and the metadata test used to
# follow that folio's mapping to its host, which the swap address space
# does not have: an oops in the submission path.
#
# A swap file on ext4 over the target; tmpfs data written and read back by
# a process in a memory cgroup four times too small for it, so that the
# data is swapped out and in; meta_enable=1 and read_enable=1.  The data
# read back (and after swapoff) must equal what was written, and pswpin
# must have grown: without swap-ins the test would prove nothing.
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh

CG=/sys/fs/cgroup/t60

load_swapcache
sc_ramdisks 256
sc_create sc /dev/ram0 /dev/ram1
sc_fs_setup ext4
dd if=/dev/zero of=/mnt/swap bs=1M count=160 2>/dev/null || die "swap file"
chmod 600 /mnt/swap
mkswap /mnt/swap >/dev/null || die "mkswap"
swapon /mnt/swap || die "swapon"
echo 1 >$P/meta_enable
echo 1 >$P/read_enable

echo +memory >/sys/fs/cgroup/cgroup.subtree_control ||
	die "no memory controller"
mkdir $CG
echo 24M >$CG/memory.max
mkdir -p /t60
mount -t tmpfs -o size=200M tmpfs /t60
dd if=/dev/urandom of=/tmp/t60.src bs=1M count=96 2>/dev/null
want=$(sc_md5 /tmp/t60.src)

in0=$(awk '$1 == "pswpin" { print $2 }' /proc/vmstat)
# In the cgroup: the copy is charged to it and swapped out as it grows,
# and reading it back swaps it in.
sh -c "echo \$\$ >$CG/cgroup.procs && cp /tmp/t60.src /t60/data &&
	md5sum /t60/data >/tmp/t60.md5" || die "copy in the cgroup"
assert_eq "$(cut -d' ' -f1 /tmp/t60.md5)" "$want" "data read back in the cgroup"
in1=$(awk '$1 == "pswpin" { print $2 }' /proc/vmstat)
echo "pswpin: $((in1 - in0)) pages swapped in; status: $(dmsetup status sc)"
[ $((in1 - in0)) -gt 1000 ] || die "only $((in1 - in0)) pages swapped in"

# swapoff brings the pages back into their cgroup: let them fit.
echo max >$CG/memory.max
swapoff /mnt/swap || die "swapoff"
assert_eq "$(sc_md5 /t60/data)" "$want" "data after swapoff"
umount /t60
rmdir $CG
rm -f /tmp/t60.src /tmp/t60.md5
umount /mnt
dmsetup remove sc
