#!/bin/sh
# The opt-in decides which files swapcached writes, on ext4 and on XFS:
# - a file without user.swapcache on it or above it is never written, one
#   with user.swapcache=1 on itself is;
# - trusted.noswapcache=1 on a directory vetoes every file below it, even
#   one that has user.swapcache=1 itself, and on a file vetoes that file;
#   the files beside the vetoed directory are written;
# - any value but "1" ("0", "yes", "10") means unset, for both attributes;
# - use_chflags=0 caches files without the attribute, but the veto holds;
# - maxfilesize keeps out a file one page bigger than it, not one of
#   exactly that size nor a smaller one;
# - a control round: taking the veto off (and setting user.swapcache=1
#   where it was "yes") gets the same files written, so it was the
#   attributes that kept them out, not the way they were read.
#
# Every round starts from a cold page cache, reads its files once each
# (which leaves their pages inactive, the state the thread wants) and then
# a "canary": a 64-page opted-in file not read before.  Waiting for the
# canary's pages to be written shows the thread made passes after the
# files were read; two seconds more are 20 ticks, each a whole pass once
# nothing eligible is left uncached.  `written` must then have grown by
# exactly the pages of the files that should be cached, plus the canary's.
# File sizes (in pages) all differ, so a wrong count says which file.
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh

CANARY=64

# mkfile PATH PAGES: a file of PAGES 4 KiB pages of random bytes.
mkfile() {
	mkdir -p "${1%/*}"
	dd if=/dev/urandom of="$1" bs=4k count="$2" 2>/dev/null ||
		die "cannot write $1"
}

# round NAME EXPECTED FILE...: read the FILEs and a new canary (from a cold
# page cache); written must grow by EXPECTED pages plus the canary's.  The
# page cache is dropped at the end, before the next round changes an
# attribute or a parameter: pages left from this round would become
# eligible and be written then.
canaries=0
round() {
	local name=$1 want=$2
	shift 2
	canaries=$((canaries + 1))
	sc_canary_round "$fs, $name" "$want" /mnt/hot/canary$canaries "$@"
	sc_drop_caches
}

load_swapcache
sc_ramdisks 512

for fs in ext4 xfs; do
	echo "--- $fs"
	canaries=0
	sc_create sc /dev/ram0 /dev/ram1
	sc_fs_setup $fs
	cd /mnt || die "cd /mnt"

	mkdir hot
	setfattr -n user.swapcache -v 1 hot
	for i in 1 2 3 4 5 6; do
		mkfile hot/canary$i $CANARY
	done
	mkfile plain/f 300
	mkfile plain/own 200
	setfattr -n user.swapcache -v 1 plain/own
	mkdir tree
	setfattr -n user.swapcache -v 1 tree
	mkfile tree/f 150
	mkfile tree/veto/f 170
	mkfile tree/veto/sub/f 180
	mkfile tree/veto/own 190
	setfattr -n user.swapcache -v 1 tree/veto/own
	setfattr -n trusted.noswapcache -v 1 tree/veto
	mkfile tree/vfile 210
	setfattr -n trusted.noswapcache -v 1 tree/vfile
	mkfile tree/nv/f 160
	setfattr -n trusted.noswapcache -v 0 tree/nv
	for v in 0 yes 10; do
		mkfile v$v/f $((110 + ${#v} * 10))	# 120, 140, 130 pages
		setfattr -n user.swapcache -v $v v$v
	done
	mkfile hot/big 257
	mkfile hot/exact 256
	mkfile hot/small 100
	assert_eq "$(getfattr --only-values -n user.swapcache vyes)" yes \
		"the attribute's value"
	sc_drop_caches

	echo 0 >$P/hysteresis
	echo 1 >$P/data_enable

	round "no attribute" 200 plain/f plain/own
	round "veto" $((150 + 160)) tree/f tree/veto/f tree/veto/sub/f \
		tree/veto/own tree/vfile tree/nv/f
	round "values other than 1" 0 v0/f vyes/f v10/f

	echo 0 >$P/use_chflags
	round "use_chflags=0" $((300 + 120)) plain/f v0/f tree/veto/f \
		tree/veto/sub/f tree/vfile
	echo 1 >$P/use_chflags

	echo 1048576 >$P/maxfilesize
	round "maxfilesize=1 MiB" $((256 + 100)) hot/big hot/exact hot/small
	echo 0 >$P/maxfilesize

	setfattr -x trusted.noswapcache tree/veto
	setfattr -n user.swapcache -v 1 vyes
	round "control" $((170 + 180 + 190 + 140 + 257)) tree/veto/f \
		tree/veto/sub/f tree/veto/own tree/vfile vyes/f hot/big

	echo 0 >$P/data_enable
	cd /
	umount /mnt
	dmsetup remove sc || die "$fs: remove"
done
