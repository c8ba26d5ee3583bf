#!/bin/sh
# swapcachectl warm: a file's extents sent as the target's warm messages.
# With data_enable=0 nothing else writes to the SSD, and nothing is cached
# before, so `written` must grow by exactly the pages warm says it
# requested, which must be the file's pages:
# - a dry run prints the messages and sends none (written unchanged); the
#   lines it prints, run as they are, warm the file;
# - warm FILE, caches dropped: written grows by the file's pages; an
#   O_DIRECT read of it is then served from the SSD (read_hits grow by its
#   pages) and a buffered read returns its bytes;
# - a directory: the regular files below it, not those under a mount
#   point inside it;
# - a path on a filesystem that is not on a target fails, naming the
#   path, and the other paths are warmed all the same (exit 1);
# - pages not written back yet (delayed allocation) and unwritten extents
#   are skipped and counted, and nothing is sent for them;
# - --json is one JSON object with the same counts;
# - the same file test on XFS.
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh

J=/tests/json.awk

# warm_grows PAGES ARGS...: swapcachectl warm ARGS succeeds and written
# grows by exactly PAGES, which warm's summary says it requested.
warm_grows() {
	local pages=$1 w
	shift
	w=$(sc_status_field sc written)
	swapcachectl warm "$@" >/tmp/warm.out || die "warm $*: $(cat /tmp/warm.out)"
	sed 's/^/    /' /tmp/warm.out
	assert_eq "$(($(sc_status_field sc written) - w))" "$pages" "written after warm $*"
	grep -q "^warm: .* ($pages pages), " /tmp/warm.out ||
		die "warm $*: the summary does not say $pages pages"
	grep -q "written grew by $pages pages" /tmp/warm.out ||
		die "warm $*: does not report written growing by $pages"
}

# direct_hits FILE PAGES: an O_DIRECT read of FILE is served from the SSD,
# every page of it.
direct_hits() {
	local h
	h=$(sc_status_field sc read_hits)
	fio --name=read --filename="$1" --rw=read --bs=4k --size=$(($2 * 4096)) \
		--direct=1 --output-format=terse >/dev/null || die "fio read of $1"
	assert_eq "$(($(sc_status_field sc read_hits) - h))" "$2" "read_hits after reading $1 with O_DIRECT"
}

load_swapcache
# Whatever a modprobe.d file says: nothing but warm may write to the SSD.
echo 0 >$P/data_enable
echo 0 >$P/meta_enable
echo 1 >$P/read_enable

echo "--- ext4"
sc_ext4_and_off
cd /mnt || die "cd /mnt"
sc_mkfile f 1000
sc_mkfile g 300
sc_mkfile d/a 200
sc_mkfile d/sub/b 120
mkdir d/other
mount -t tmpfs none d/other || die "tmpfs in d"
sc_mkfile d/other/c 50
ln -s /mnt/f d/link
sc_mkfile /mnt2/off 40
sum=$(sc_md5 f)
sc_drop_caches
assert_eq "$(sc_status_field sc written)" 0 "written before any warm"

echo "--- dry run"
swapcachectl warm -n f >/tmp/dry || die "warm -n f: $(cat /tmp/dry)"
cat /tmp/dry
assert_eq "$(sc_status_field sc written)" 0 "written after a dry run"
grep -q '^warm (dry run, nothing sent): 1 files, .* (1000 pages), ' /tmp/dry ||
	die "dry run: no summary of 1000 pages"
grep '^dmsetup message sc 0 warm [0-9]* [0-9]*$' /tmp/dry >/tmp/dry.sh ||
	die "dry run: no messages"

echo "--- the dry run's messages, sent by dmsetup"
sh -e /tmp/dry.sh || die "the dry run's messages"
assert_eq "$(sc_status_field sc written)" 1000 "written after the dry run's messages"
dmsetup message sc 0 invalidate || die "invalidate"

echo "--- warm FILE"
sc_drop_caches
warm_grows 1000 f
direct_hits f 1000
sc_drop_caches
h=$(sc_status_field sc read_hits)
assert_eq "$(sc_md5 f)" "$sum" "f read back through the SSD"
assert_eq "$(($(sc_status_field sc read_hits) - h))" 1000 "read_hits of a buffered read of f"
# Cached already: requested again, nothing written again.
w=$(sc_status_field sc written)
swapcachectl warm f >/tmp/warm.out || die "warm f again"
cat /tmp/warm.out
assert_eq "$(sc_status_field sc written)" "$w" "written after warming f again"
grep -q "1000 pages requested in .* written grew by 0 pages (fewer: blocks cached already" /tmp/warm.out ||
	die "warm f again: does not say why nothing was written"

echo "--- a directory, and a path off the target"
w=$(sc_status_field sc written)
rc=0
swapcachectl warm /mnt2/off d g >/tmp/warm.out 2>/tmp/warm.err || rc=$?
cat /tmp/warm.out /tmp/warm.err
assert_eq "$rc" 1 "exit status of warm with a path off the target"
grep -q "^swapcachectl: /mnt2/off: ext4 on /mnt2 (7:0) is not on a swapcache target" /tmp/warm.err ||
	die "no error naming /mnt2/off"
# d/a, d/sub/b and g; not d/other/c (another mount), not d/link.
grep -q "^warm: 3 files, .* (620 pages), " /tmp/warm.out || die "the summary of d and g"
assert_eq "$(($(sc_status_field sc written) - w))" 620 "written after warm of d and g"
direct_hits d/a 200
umount d/other || die "umount d/other"

echo "--- what is skipped"
sc_mkfile late 64
xfs_io -f -c "falloc 0 400k" prealloc || die "falloc"
w=$(sc_status_field sc written)
swapcachectl warm late prealloc >/tmp/warm.out || die "warm late prealloc"
cat /tmp/warm.out
grep -q "^  skipped 64 pages not written back yet" /tmp/warm.out ||
	die "the 64 pages not written back are not reported"
grep -q "^  skipped 100 pages in unwritten" /tmp/warm.out ||
	die "the 100 unwritten pages are not reported"
grep -q "^warm: 2 files, 0 extents, 0.0 MiB requested (0 pages), 0 messages" /tmp/warm.out ||
	die "something was requested for late and prealloc"
assert_eq "$(sc_status_field sc written)" "$w" "written after warming skipped pages"
sync
warm_grows 64 late

echo "--- --json"
sc_mkfile j 30
sync
swapcachectl warm --json j >/tmp/warm.json || die "warm --json"
cat /tmp/warm.json
awk -f $J /tmp/warm.json || die "warm --json is not JSON"
grep -q '"files":1,"extents":1,"requested_pages":30,"requested_bytes":122880,' /tmp/warm.json ||
	die "warm --json counts"
grep -q '"written_pages":30}' /tmp/warm.json || die "warm --json written_pages"
swapcachectl warm --json -n j >/tmp/warm.json || die "warm --json -n"
awk -f $J /tmp/warm.json || die "warm --json -n is not JSON"
grep -q '"dry_run":true,' /tmp/warm.json || die "warm --json -n: dry_run"
grep -q '"planned":\[{"target":"sc","sector":0,"start_sector":[0-9]*,"nr_sectors":240}\]' /tmp/warm.json ||
	die "warm --json -n: planned"

cd /
umount /mnt /mnt2 || die "umount"
dmsetup remove sc || die "remove sc"
rmmod brd || die "rmmod brd"

echo "--- xfs"
sc_ramdisks 320
sc_create sc /dev/ram0 /dev/ram1
sc_fs_setup xfs
sc_mkfile /mnt/f 1000
sc_drop_caches
warm_grows 1000 /mnt/f
direct_hits /mnt/f 1000
