# shellcheck shell=dash
# shellcheck disable=SC2154 # wear0, cpu0, wr0, wc0: set by the caller
# File phase: scenarios 3 to 6 and 7a, one system at a time on ext4, each
# fresh (scripts/guest/bench/run sources it).  The scenario functions
# compare with figures fs_setup's caller took first: wear0 (the SSD's
# dstat), and for swapcache cpu0, wr0 and wc0.

# Knobs for swapcache: everything on, a pass per tick, a budget that never
# runs dry during the warm-up (scenario 5 measures the budget on its own).
SC_MAXLAUNDER=4096
SC_ACCRATE=1000000000
SC_CURBURST=4000000000
# The CSV sections the warm-up and pollution rows go to; scenario 9 (net.sh)
# gives its own, one per network delay. NET_ORIGIN non-empty: the slow disk
# is a network block device (net.sh's net_origin), not a null_blk.
WARM_SEC=warmup
POLL_SEC=pollution
NET_ORIGIN=
# The backup's cgroup limit, if not MEMCG_MIB (net.sh: its reader's 1 MiB
# buffer is charged there, and fio was OOM-killed in a 1 MiB cgroup).
COLD_MEMCG_MIB=

# fs_setup SYSTEM: fresh devices, ext4 with the hot file in /mnt/hot
# (user.swapcache=1) and, for the caches, the cold file in /mnt/cold (not
# opted in), laid out before the cache exists so that no cache starts with
# them; then the cache, mounted on /mnt. The device keeps its readahead: the
# hot reader turns it off for its file with POSIX_FADV_RANDOM (one device
# read per missed block, which the cgroup's io.stat confirms), and the
# backup job needs it, since with none the kernel reads a page at a time
# whatever the read(2) size. Sets FS_TOP, FS_HDD, FS_SSD, FS_BC.
# With NET_ORIGIN set the slow disk is /dev/nbdN (origin_new); raw-nbd is
# then the raw slow disk, as raw-hdd is otherwise.
# Scenarios 4b and 8 (tight.sh) give other sizes: an SSD of SSD MiB, and
# COLD MiB of cold data (none if 0), as one file or, if FILES > 0, as
# FILES files under /mnt/cold/dN/, ten to a directory (what a backup walks).
# fs_setup SYSTEM [SSD COLD FILES]
fs_setup() {
	local sys=$1 view ssd_mib=${2:-$SSD_MIB} cold_mib=${3:-$COLD_MIB} files=${4:-0} i
	FS_HDD=- FS_SSD=- FS_BC=
	case $sys in
	raw-ssd)
		FS_SSD=$(nullb fssd $((HOT_MIB + 64)) 0)
		view=$FS_SSD
		;;
	raw-hdd | raw-nbd)
		origin_new $((HOT_MIB + 64))
		view=$FS_HDD
		;;
	*)
		origin_new $((HOT_MIB + cold_mib + 64))
		FS_SSD=$(nullb fssd "$ssd_mib" 0)
		view=$FS_HDD
		if [ "$sys" = bcache ]; then
			FS_BC=$(bc_backing "$FS_HDD")
			view=/dev/$FS_BC
		fi
		;;
	esac
	mkfs.ext4 -q -F -b 4096 -E lazy_itable_init=0,lazy_journal_init=0 "$view" || die "mkfs on $view"
	mount -t ext4 "$view" /mnt || die "mount $view"
	{ mkdir /mnt/hot /mnt/cold && setfattr -n user.swapcache -v 1 /mnt/hot; } || die "dirs"
	fill /mnt/hot/f 0 "$HOT_MIB" 0
	case $sys:$cold_mib:$files in
	raw-* | *:0:*) ;;
	*:0) fill /mnt/cold/f 0 "$cold_mib" 0 ;;
	*)
		i=0
		while [ $i -lt "$files" ]; do
			[ $((i % 10)) -ne 0 ] || mkdir /mnt/cold/d$((i / 10)) || die "mkdir cold"
			dd if=/dev/zero of=/mnt/cold/d$((i / 10))/f$i bs=1M count=$((cold_mib / files)) \
				2>/dev/null || die "cannot write cold file $i"
			i=$((i + 1))
		done
		sync
		;;
	esac
	umount /mnt || die "umount"
	case $sys in
	raw-*) FS_TOP=$view ;;
	dm-cache)
		dmc_create "$FS_HDD" "$FS_SSD"
		FS_TOP=/dev/mapper/dmc
		;;
	bcache)
		FS_BC_UUID=5c000000-0000-4000-8000-000000000002
		bc_attach "$FS_BC" "$FS_SSD" $FS_BC_UUID
		FS_TOP=/dev/$FS_BC
		;;
	swapcache)
		param data_enable 0
		sc_create sc "$FS_HDD" "$FS_SSD"
		FS_TOP=/dev/mapper/sc
		;;
	esac
	echo 3 >/proc/sys/vm/drop_caches
	mount -t ext4 "$FS_TOP" /mnt || die "mount $FS_TOP"
	cg_new hot "$MEMCG_MIB"
	cg_new cold "${COLD_MEMCG_MIB:-$MEMCG_MIB}"
	if [ "$sys" = swapcache ]; then
		param hysteresis 0
		param maxlaunder $SC_MAXLAUNDER
		param accrate $SC_ACCRATE
		param curburst $SC_CURBURST
		param meta_enable 1
		param read_enable 1
		param data_enable 1
	fi
}
fs_teardown() {
	umount /mnt || die "umount /mnt"
	rmdir "$CGROOT/hot" "$CGROOT/cold" || die "rmdir cgroups"
	case $1 in
	dm-cache) dmc_remove ;;
	bcache) bc_stop "$FS_BC" "$FS_BC_UUID" "$FS_HDD" ;;
	swapcache)
		param data_enable 0
		param meta_enable 0
		dmsetup remove sc || die "remove sc"
		;;
	esac
	[ "$FS_HDD" = - ] || origin_rm
	[ "$FS_SSD" = - ] || nullb_rm fssd
}
# origin_new MIB: the slow disk of MIB, in FS_HDD: a null_blk completing
# every request after HDD_NS, or with NET_ORIGIN set, /dev/nbdN over
# loopback (net.sh; not made in a subshell: it starts a server).
origin_new() {
	if [ -n "$NET_ORIGIN" ]; then
		net_origin "$1"
		FS_HDD=$NET_DEV
	else
		FS_HDD=$(nullb fhdd "$1" "$HDD_NS")
	fi
}
origin_rm() {
	if [ -n "$NET_ORIGIN" ]; then
		net_origin_rm
	else
		nullb_rm fhdd
	fi
}
# native SYSTEM: the cache's own "hits misses" so far.
native() {
	case $1 in
	swapcache) echo "$(sc_status_field sc read_hits) $(sc_status_field sc read_misses)" ;;
	dm-cache) dmsetup status dmc | awk '{ print $8, $9 }' ;;
	bcache) bc_counters "$FS_BC" ;;
	*) echo "0 0" ;;
	esac
}
# admitted SYSTEM: what the cache has taken in so far, in its own unit:
# dm-cache promotions (blocks), bcache bytes bypassed (I/O it chose not to
# cache), swapcache pages written.
admitted() {
	case $1 in
	swapcache) sc_status_field sc written ;;
	dm-cache) dmsetup status dmc | awk '{ print $13 }' ;;
	bcache) # printed with a binary suffix and one decimal
		awk '{ v = $1; m = index("kMGTPEZY", substr(v, length(v)))
			if (m) v = substr(v, 1, length(v) - 1)
			while (m-- > 0) v *= 1024
			printf "%.0f\n", v }' /sys/block/"$FS_BC/bcache"/stats_total/bypassed ;;
	esac
}
admitted_unit() {
	case $1 in
	swapcache) echo pages_written ;;
	dm-cache) echo promotions ;;
	bcache) echo bytes_bypassed ;;
	esac
}
# cgio CGROUP: "SSD reads, slow disk reads" the cgroup has issued so far.
cgio() {
	local a=0 b=0
	[ "$FS_SSD" = - ] || a=$(cg_rios "$1" "$FS_SSD")
	[ "$FS_HDD" = - ] || b=$(cg_rios "$1" "$FS_HDD")
	echo "$a $b"
}
settle() { [ "$1" != bcache ] || bc_settle "$FS_BC"; }
export HOT_FILE=/mnt/hot/f HOT_SIZE=$((HOT_MIB * M)) CG=hot
export COLD_FILE=/mnt/cold/f COLD_SIZE=$((COLD_MIB * M)) COLD_CG=cold

# scenario_warmup SYSTEM: scenario 3, PASSES buffered random passes over
# the hot file (rows in section WARM_SEC).
scenario_warmup() {
	local sys=$1
	pass=1
	while [ $pass -le "$PASSES" ]; do
		# shellcheck disable=SC2046,SC2086 # fields, split on purpose
		set -- $(native $sys) $(cgio hot)
		n0="$1 $2" c0="$3 $4"
		fio_run /tmp/warm.out warmup.fio
		settle "$sys"
		# shellcheck disable=SC2046,SC2086 # fields, split on purpose
		set -- $n0 $(native $sys) $(fio_stats /tmp/warm.out warmup)
		hits=$(($3 - $1)) misses=$(($4 - $2)) iops=$5 mean=$6 p99=$7
		# shellcheck disable=SC2046,SC2086 # fields, split on purpose
		set -- $c0 $(cgio hot)
		cgs=$(($3 - $1)) cgh=$(($4 - $2))
		row "$WARM_SEC" "$sys" iops $pass "$iops" IOPS
		row "$WARM_SEC" "$sys" clat_mean $pass "$mean" us
		row "$WARM_SEC" "$sys" clat_p99 $pass "$p99" us
		row "$WARM_SEC" "$sys" hits $pass $hits count
		row "$WARM_SEC" "$sys" misses $pass $misses count
		row "$WARM_SEC" "$sys" cg_ssd_reads $pass $cgs count
		row "$WARM_SEC" "$sys" cg_hdd_reads $pass $cgh count
		extra=
		if [ "$sys" = swapcache ]; then
			row "$WARM_SEC" "$sys" cpu_ticks $pass "$(sc_cpu)" ticks
			row "$WARM_SEC" "$sys" written $pass "$(sc_status_field sc written)" pages
			row "$WARM_SEC" "$sys" cache_used $pass "$(sc_used)" pages
			row "$WARM_SEC" "$sys" evicted $pass "$(sc_status_field sc evicted)" pages
			extra=" (written $(sc_status_field sc written), used $(sc_used))"
		fi
		log "$WARM_SEC $sys pass $pass: $iops IOPS, hits $hits misses $misses," \
			"cgroup SSD/slow reads $cgs/$cgh$extra"
		pass=$((pass + 1))
	done
	[ "$(awk -F, -v s="$sys" -v sec="$WARM_SEC" '$1 == sec && $2 == s && $3 == "iops"' "$CSV" | wc -l)" -eq "$PASSES" ] ||
		die "warm-up of $sys incomplete"
}

# scenario_scanner: scenarios 6 and 7a, swapcache's map and CPU time over
# the warm-up just done, and one more pass with the scanner off.
scenario_scanner() {
	local sys=swapcache
	cpu1=$(sc_cpu)
	wr1=$(sc_status_field sc written)
	row cpu swapcache warmup_start 0 "$cpu0" ticks
	# One more pass with the scanner off (everything is cached by
	# now): what the reads cost without swapcached beside them.
	param data_enable 0
	param meta_enable 0
	# shellcheck disable=SC2046,SC2086 # fields, split on purpose
	set -- $(native $sys)
	n0="$1 $2"
	fio_run /tmp/warm.out warmup.fio
	# shellcheck disable=SC2046,SC2086 # fields, split on purpose
	set -- $n0 $(native $sys) $(fio_stats /tmp/warm.out warmup)
	row warmup $sys iops_scanner_off 0 "$5" IOPS
	row warmup $sys hits_scanner_off 0 $(($3 - $1)) count
	row warmup $sys misses_scanner_off 0 $(($4 - $2)) count
	log "warmup $sys, one more pass with swapcached idle: $5 IOPS," \
		"hits $(($3 - $1)) misses $(($4 - $2))"
	param meta_enable 1
	param data_enable 1
	# shellcheck disable=SC2046,SC2086 # fields, split on purpose
	set -- $(sc_map_bytes)
	row memory swapcache map_bytes 0 "$1" bytes
	row memory swapcache map_page_bytes 0 "$2" bytes
	row memory swapcache slots 0 "$(sc_slots)" pages
	row memory swapcache used 0 "$(sc_used)" pages
	row cpu swapcache warmup_ticks 0 $((cpu1 - cpu0)) ticks
	row cpu swapcache warmup_written 0 $((wr1 - wr0)) pages
}

# scenario_pollution SYSTEM: scenario 4, the hot file read while a backup
# reads the cold one, then one more pass (rows in section POLL_SEC).
scenario_pollution() {
	local sys=$1
	# shellcheck disable=SC2046,SC2086 # fields, split on purpose
	set -- $(cgio hot) $(dstat "$FS_SSD") $(admitted $sys)
	c0="$1 $2" sw0=$6 ad0=$7
	fio_run /tmp/poll.out pollution.fio
	settle "$sys"
	# shellcheck disable=SC2046,SC2086 # fields, split on purpose
	set -- $(dstat "$FS_SSD") $(admitted $sys)
	row "$POLL_SEC" "$sys" during_ssd_sectors_written 0 $(($4 - sw0)) sectors
	row "$POLL_SEC" "$sys" during_admitted 0 $(($5 - ad0)) "$(admitted_unit "$sys")"
	# shellcheck disable=SC2046,SC2086 # fields, split on purpose
	set -- $c0 $(cgio hot) $(fio_stats /tmp/poll.out hot)
	dssd=$(($3 - $1)) dhdd=$(($4 - $2)) iops=$5
	row "$POLL_SEC" "$sys" during_iops 0 "$iops" IOPS
	row "$POLL_SEC" "$sys" during_cg_ssd_reads 0 $dssd count
	row "$POLL_SEC" "$sys" during_cg_hdd_reads 0 $dhdd count
	row "$POLL_SEC" "$sys" during_ms 0 "$9" ms
	# shellcheck disable=SC2046,SC2086 # fields, split on purpose
	set -- $(fio_stats /tmp/poll.out cold)
	row "$POLL_SEC" "$sys" cold_kibps 0 "$4" KiB/s
	log "$POLL_SEC $sys: during the backup $iops IOPS, cgroup SSD/slow" \
		"reads $dssd/$dhdd; backup at $4 KiB/s"
	# shellcheck disable=SC2046,SC2086 # fields, split on purpose
	set -- $(native $sys) $(cgio hot)
	n0="$1 $2" c0="$3 $4"
	fio_run /tmp/warm.out warmup.fio
	settle "$sys"
	# shellcheck disable=SC2046,SC2086 # fields, split on purpose
	set -- $n0 $(native $sys) $(fio_stats /tmp/warm.out warmup)
	row "$POLL_SEC" "$sys" after_iops 0 "$5" IOPS
	row "$POLL_SEC" "$sys" after_hits 0 $(($3 - $1)) count
	row "$POLL_SEC" "$sys" after_misses 0 $(($4 - $2)) count
	# shellcheck disable=SC2046,SC2086 # fields, split on purpose
	set -- $c0 $(cgio hot)
	row "$POLL_SEC" "$sys" after_cg_ssd_reads 0 $(($3 - $1)) count
	row "$POLL_SEC" "$sys" after_cg_hdd_reads 0 $(($4 - $2)) count
	log "$POLL_SEC $sys: after the backup, cgroup SSD/slow reads $(($3 - $1))/$(($4 - $2))"
}

# scenario_wear SYSTEM: scenario 5a, SSD traffic over 3 and 4.
scenario_wear() {
	local sys=$1
	# shellcheck disable=SC2046,SC2086 # fields, split on purpose
	set -- $wear0 $(dstat "$FS_SSD")
	row wear "$sys" ssd_sectors_read 0 $(($6 - $2)) sectors
	row wear "$sys" ssd_sectors_written 0 $(($8 - $4)) sectors
	log "wear $sys: SSD sectors read $(($6 - $2)), written $(($8 - $4))"
}

# scenario_rate: scenario 5b, swapcache's write rate at a fixed accrate.
scenario_rate() {
	# Scenario 5b: the write rate at a fixed accrate. The cache is
	# emptied so that the hot file's pages are all candidates again;
	# the budget starts empty, and writing resumes as soon as one
	# second's worth has accrued (minburst = accrate).
	dmsetup message sc 0 invalidate || die "invalidate"
	param minburst "$RATE_ACCRATE"
	param maxburst $((RATE_ACCRATE * 2))
	param accrate "$RATE_ACCRATE"
	param curburst 0
	# The rate is taken from 10 s in (fio is reading by then) to
	# 5 s before the end; the whole run's total is kept too.
	[ "$RATE_SECS" -ge 20 ] || die "BENCH_RATE_SECS must be at least 20"
	wc0=$(cat "$P/write_count") t0=$(now)
	RUNTIME=$RATE_SECS fio_run /tmp/rate.out rate.fio &
	fpid=$!
	sleep 10
	wa=$(cat "$P/write_count") ta=$(now) cpa=$(sc_cpu)
	sleep $((RATE_SECS - 15))
	wb=$(cat "$P/write_count") tb=$(now) cpb=$(sc_cpu)
	wait $fpid || die "the rate reader failed"
	wc1=$(cat "$P/write_count") t1=$(now) cb=$(cat "$P/curburst")
	row rate swapcache window_seconds 0 "$(awk -v a="$ta" -v b="$tb" 'BEGIN { printf "%.2f", b - a }')" s
	row rate swapcache window_bytes 0 $((wb - wa)) bytes
	row rate swapcache window_cpu_ticks 0 $((cpb - cpa)) ticks
	log "rate: $((wb - wa)) bytes in $(awk -v a="$ta" -v b="$tb" 'BEGIN { print b - a }') s of steady state"
	row rate swapcache accrate 0 "$RATE_ACCRATE" B/s
	row rate swapcache seconds 0 "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')" s
	row rate swapcache bytes 0 $((wc1 - wc0)) bytes
	row rate swapcache curburst_after 0 "$cb" bytes
	row rate swapcache reader_iops 0 "$(fio_stats /tmp/rate.out rate | cut -d' ' -f1)" IOPS
	log "rate: $((wc1 - wc0)) bytes in $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s" \
		"at accrate $RATE_ACCRATE (curburst now $cb)"
	param minburst 10000000
	param maxburst 2000000000
}
