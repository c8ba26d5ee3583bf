#!/bin/sh
# What the opt-in costs a full pass, and that remembering directories'
# verdicts does not keep a stale one.  Every full pass judges every file
# with pages (scan.c, optin.c): trusted.noswapcache and user.swapcache,
# read with __vfs_getxattr() on the file and on each directory above it
# up to the filesystem's root.  For a file at /mnt/tree/dN/fM that was 7
# reads (4 vetoes, 3 opt-ins, the last at /mnt/tree), about half of what
# an event pass over small files cost.  With a directory's verdict kept
# for one tick of the thread (keyed by its inode and ctime), a file below
# an opted-in directory costs its own veto alone, and only when a group
# of it is to be taken: over files that are cached already (the memo
# passes over them), next to nothing.
#
# On ext4, then XFS, each on swapcache: FILES one-page files in NDIRS
# directories /mnt/tree/dN, user.swapcache=1 on /mnt/tree alone, all read
# and cached (hysteresis=0).  Kprobes count swapcached's __vfs_getxattr()
# calls (by attribute name), its walks (iterate_supers_type(), one a
# tick), its group memo's lookups (sc_memo_find(), one per group a walk
# looks at; each file here is one group) and the ends of its full passes
# (sc_memo_pass_end(), which no focused pass calls).  Then:
#  1. cost: two parameter writes, each an event that ends a quiet spell
#     and keeps the pass after it from being a focused one (focus.h).  The
#     calls between the first pass end and the second are exactly one full
#     pass's, from the head of the inode list to its end, whatever the
#     thread was doing before; the pass ends are events in the same buffer
#     as the calls (with the global trace clock: the thread may move to
#     another CPU between ticks), so no clock has to be matched to
#     another, as the module's "memo: pass" dynamic debug line in dmesg
#     would need, and no dynamic debug is needed.  Its memo lookups must
#     number at least FILES (the pass looked at every file), and its reads
#     at most one in ten files (the own vetoes of the files whose groups
#     the memo does not know: 13-36 of 2,000 seen), plus, for each tick
#     the pass took, 2 (a veto, an opt-in) for each directory of the tree
#     (the dN, /mnt/tree, the root: a tick may meet them all) and 2 for
#     the file the tick resumes at, which is judged again.  Measured on
#     main before the change: 7.00 a file (14,007 reads in 2 ticks, 6.1,
#     ext4 and XFS alike); with the directories remembered but every
#     file's own veto read, 1 a file.  The bound is checked after steps 2
#     and 3, so that those still report when it fails.
#  2. veto: trusted.noswapcache=1 set on d1, which the thread judged opted
#     in a moment before; 50 new files read in d1 and 50 in d2, one more
#     in d2 vetoed itself (a file's own veto, which the thread may read
#     later than its directories'), and a 64-page canary, as in
#     t-51-optin.sh (sc_canary_round(), sc.sh).  `written` grows by d2's
#     50 and the canary's 64 alone.
#  3. veto lifted: d1's new files and a new canary read again from the
#     origin: d1's 50 are written.
# Only the new files' pages are dropped (fadvise), before the veto is set
# and before it is lifted: pages that became eligible would be written
# before the round could count them.  The files of step 1 stay in the
# page cache, so d1, its inode the same throughout, is judged at each full
# pass before and after each change: a verdict kept past its change would
# show.
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh
# shellcheck source=trace.sh
. /tests/trace.sh
clock0=
cleanup() {
	trace_cleanup
	[ -z "$clock0" ] || echo "$clock0" >$T/trace_clock
}
trap cleanup EXIT

FILES=2000
NDIRS=4
NEW=50
CANARY=64
# The directories of the tree, whose veto and opt-in a tick may read once
# each: d1..dN, /mnt/tree and the root.
DIRS=$((NDIRS + 2))

# wait_events NAME COUNT SECONDS: poll until the trace buffer holds COUNT
# events of probe NAME; fail the test if it does not after SECONDS.
wait_events() {
	local polls=$(($3 * 5))
	until [ "$(probe_events "$1")" -ge "$2" ]; do
		[ $polls -gt 0 ] ||
			die "$fs: $(probe_events "$1") sc_$1 events after $3 s, waited for $2"
		polls=$((polls - 1))
		sleep 0.2
	done
}

# drop_pages FILE...: the FILEs' pages out of the page cache, nothing else's.
drop_pages() {
	for _f; do
		xfs_io -r -c "fadvise -d 0 0" "$_f" || die "$fs: drop $_f's pages"
	done
}

load_swapcache
sc_ramdisks 512	# XFS wants a device of 300 MB or more
trace_setup
clock0=$(sed 's/.*\[\(.*\)\].*/\1/' $T/trace_clock)
echo global >$T/trace_clock || die "cannot set the global trace clock"
cost_fail=

for fs in ext4 xfs; do
	echo "--- $fs"
	sc_create sc /dev/ram0 /dev/ram1
	sc_fs_setup $fs
	mkdir /mnt/tree /mnt/hot || die "$fs: mkdir"
	setfattr -n user.swapcache -v 1 /mnt/tree || die "$fs: setfattr tree"
	setfattr -n user.swapcache -v 1 /mnt/hot || die "$fs: setfattr hot"
	d=1
	while [ $d -le $NDIRS ]; do
		mkdir /mnt/tree/d$d || die "$fs: mkdir d$d"
		d=$((d + 1))
	done
	i=0
	while [ $i -lt $FILES ]; do
		echo "file $i" >/mnt/tree/d$((i % NDIRS + 1))/f$i || die "$fs: write f$i"
		i=$((i + 1))
	done
	sc_mkfile /mnt/hot/canary1 $CANARY
	sc_mkfile /mnt/hot/canary2 $CANARY
	sc_drop_caches
	sleep 1.5	# the memo takes files last changed before the current second
	cat /mnt/tree/d*/f* >/dev/null || die "$fs: read the files"

	if [ "$fs" = ext4 ]; then
		# shellcheck disable=SC2016 # $arg3: the kprobe's, not ours
		probe_add getx p __vfs_getxattr 'name=+0($arg3):string' \
			'comm == "swapcached"'
		probe_add walk p iterate_supers_type '' 'comm == "swapcached"'
		probe_add pend p swapcache:sc_memo_pass_end '' 'comm == "swapcached"'
		probe_add memo p swapcache:sc_memo_find '' 'comm == "swapcached"'
	fi
	sc_cache_resident $FILES
	sync
	sleep 2

	# 1. One full pass's reads, between the ends of two.
	: >$T/trace
	echo 0 >$P/hysteresis
	wait_events pend 1 120
	echo 0 >$P/hysteresis
	wait_events pend 2 120
	trace_freeze /tmp/t79.trace
	# shellcheck disable=SC2046 # fields, split on purpose
	set -- $(sed -n 's/^# entries-in-buffer\/entries-written: \([0-9]*\)\/\([0-9]*\) .*/\1 \2/p' \
		/tmp/t79.trace)
	[ $# -eq 2 ] || die "$fs: no entry counts in the trace's header"
	[ "$1" -eq "$2" ] || die "$fs: the trace lost events ($1 kept of $2)"
	# shellcheck disable=SC2046 # fields, split on purpose
	set -- $(awk '
		/ sc_pend: / { n++; next }
		n != 1 { next }
		/ sc_walk: / { walks++ }
		/ sc_memo: / { lookups++ }
		/ sc_getx: / {
			reads++
			if (index($0, "name=\"trusted.noswapcache\"")) vetoes++
			else if (index($0, "name=\"user.swapcache\"")) optins++
		}
		END { printf "%d %d %d %d %d\n", reads, vetoes, optins, walks, lookups }
		' /tmp/t79.trace)
	reads=$1 vetoes=$2 optins=$3 walks=$4 lookups=$5
	bound=$((FILES / 10 + (2 * DIRS + 2) * walks))
	echo "$fs, one full pass over $FILES files in $walks ticks, $lookups memo" \
		"lookups: $reads getxattr ($vetoes vetoes, $optins opt-ins)," \
		"$(awk -v r="$reads" -v f=$FILES 'BEGIN { printf "%.2f", r / f }')" \
		"a file; at most $bound allowed"
	[ "$walks" -ge 1 ] || die "$fs: no walk between two full passes' ends"
	[ "$lookups" -ge $FILES ] ||
		die "$fs: $lookups memo lookups in a full pass over $FILES files"
	[ "$reads" -le $bound ] ||
		cost_fail="${cost_fail:+$cost_fail; }$fs: $reads getxattr in a full pass over $FILES files, more than $bound"

	# 2. A veto set on a directory the thread has just judged opted in.
	# The new files are written with the thread off, so that it takes
	# them from the reads, not from the writes.
	echo 0 >$P/data_enable
	setfattr -n trusted.noswapcache -v 1 /mnt/tree/d1 || die "$fs: veto d1"
	i=0
	while [ $i -lt $NEW ]; do
		echo "new d1 $i" >/mnt/tree/d1/n$i || die "$fs: write d1/n$i"
		echo "new d2 $i" >/mnt/tree/d2/n$i || die "$fs: write d2/n$i"
		i=$((i + 1))
	done
	echo "new d2 vetoed" >/mnt/tree/d2/vetoed || die "$fs: write d2/vetoed"
	setfattr -n trusted.noswapcache -v 1 /mnt/tree/d2/vetoed ||
		die "$fs: veto d2/vetoed"
	sync
	drop_pages /mnt/tree/d1/n* /mnt/tree/d2/n* /mnt/tree/d2/vetoed
	echo 1 >$P/data_enable
	sc_canary_round "$fs, d1 vetoed" $NEW /mnt/hot/canary1 \
		/mnt/tree/d1/n* /mnt/tree/d2/n* /mnt/tree/d2/vetoed

	# 3. The veto lifted: d1's files are written.
	drop_pages /mnt/tree/d1/n*
	setfattr -x trusted.noswapcache /mnt/tree/d1 || die "$fs: unveto d1"
	sc_canary_round "$fs, d1's veto lifted" $NEW /mnt/hot/canary2 \
		/mnt/tree/d1/n*

	echo 0 >$P/data_enable
	umount /mnt || die "$fs: umount"
	dmsetup remove sc || die "$fs: remove"
done
[ -z "$cost_fail" ] || die "$cost_fail"
