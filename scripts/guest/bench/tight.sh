# shellcheck shell=dash
# Scenarios 4b and 8: caches on an SSD barely larger than, or smaller than,
# what is read (scripts/guest/bench/run sources it; file.sh's helpers).

# hot_pass SYSTEM: one warm-up pass over the hot file (warmup.fio); sets
# HP_IOPS, HP_HITS, HP_MISSES (the cache's own counters), HP_CGS, HP_CGH
# (the reader cgroup's SSD and slow-disk reads) and HP_SSDW (SSD sectors
# written during the pass).
hot_pass() {
	local sys=$1 n0 c0 w0
	# shellcheck disable=SC2046,SC2086 # fields, split on purpose
	set -- $(native "$sys") $(cgio hot) $(dstat "$FS_SSD")
	n0="$1 $2" c0="$3 $4" w0=$8
	fio_run /tmp/warm.out warmup.fio
	settle "$sys"
	# shellcheck disable=SC2046,SC2086 # fields, split on purpose
	set -- $n0 $(native "$sys") $(fio_stats /tmp/warm.out warmup)
	HP_HITS=$(($3 - $1)) HP_MISSES=$(($4 - $2)) HP_IOPS=$5
	# shellcheck disable=SC2046,SC2086 # fields, split on purpose
	set -- $c0 $(cgio hot) $(dstat "$FS_SSD")
	HP_CGS=$(($3 - $1)) HP_CGH=$(($4 - $2)) HP_SSDW=$(($8 - w0))
}

# scenario_rest: scenario 4b, for each cache: an SSD of TIGHT_SSD_MIB (1.1x
# the hot file), the hot file (opted in) warmed up by PASSES passes, then a
# backup of REST_FILES files, 4x the SSD, not opted in, read by
# `find | xargs cat` in the cold cgroup while the hot file rests, then one
# hot pass: its hit ratio, and the SSD bytes written during the backup.
scenario_rest() {
	local sys p t0 w0 ad0 e0
	for sys in dm-cache bcache swapcache; do
		log "rest $sys: setup (SSD ${TIGHT_SSD_MIB}M, backup $((4 * TIGHT_SSD_MIB))M in $REST_FILES files)"
		fs_setup $sys "$TIGHT_SSD_MIB" $((4 * TIGHT_SSD_MIB)) "$REST_FILES"
		settle $sys
		p=1
		while [ $p -le "$PASSES" ]; do
			hot_pass $sys
			row rest $sys warm_hits $p $HP_HITS count
			row rest $sys warm_misses $p $HP_MISSES count
			log "rest $sys warm pass $p: $HP_IOPS IOPS, hits $HP_HITS misses $HP_MISSES"
			p=$((p + 1))
		done
		[ $sys != swapcache ] || e0=$(sc_status_field sc evicted)
		# shellcheck disable=SC2046,SC2086 # fields, split on purpose
		set -- $(dstat "$FS_SSD") $(admitted $sys)
		w0=$4 ad0=$5 t0=$(now)
		sh -c "echo \$\$ >$CGROOT/cold/cgroup.procs && find /mnt/cold -type f | xargs cat >/dev/null" ||
			die "the backup failed"
		row rest $sys backup_seconds 0 "$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')" s
		settle $sys
		# shellcheck disable=SC2046,SC2086 # fields, split on purpose
		set -- $(dstat "$FS_SSD") $(admitted $sys)
		row rest $sys backup_ssd_sectors_written 0 $(($4 - w0)) sectors
		row rest $sys backup_admitted 0 $(($5 - ad0)) "$(admitted_unit $sys)"
		[ $sys != swapcache ] ||
			row rest $sys backup_evicted 0 $(($(sc_status_field sc evicted) - e0)) pages
		hot_pass $sys
		row rest $sys after_iops 0 "$HP_IOPS" IOPS
		row rest $sys after_hits 0 $HP_HITS count
		row rest $sys after_misses 0 $HP_MISSES count
		row rest $sys after_cg_ssd_reads 0 $HP_CGS count
		row rest $sys after_cg_hdd_reads 0 $HP_CGH count
		log "rest $sys: backup wrote $(($4 - w0)) SSD sectors; first hot pass after it:" \
			"hits $HP_HITS misses $HP_MISSES"
		fs_teardown $sys
	done
}

# scenario_amp: scenario 8, swapcache's write amplification when the
# opted-in page cache outgrows the SSD: an SSD of AMP_SSD_MIB, the hot file
# read in PASSES passes by a reader whose cgroup keeps MEMCG_MIB of it
# resident, the budget unlimited. Per pass: SSD sectors written, the reads
# that reached a device, hits.
scenario_amp() {
	local sys=swapcache p
	log "amp: SSD ${AMP_SSD_MIB}M, hot ${HOT_MIB}M, cgroup ${MEMCG_MIB}M"
	fs_setup $sys "$AMP_SSD_MIB" 0
	p=1
	while [ $p -le "$PASSES" ]; do
		hot_pass $sys
		row amp $sys ssd_sectors_written $p $HP_SSDW sectors
		row amp $sys hits $p $HP_HITS count
		row amp $sys misses $p $HP_MISSES count
		row amp $sys cg_ssd_reads $p $HP_CGS count
		row amp $sys cg_hdd_reads $p $HP_CGH count
		row amp $sys written $p "$(sc_status_field sc written)" pages
		row amp $sys evicted $p "$(sc_status_field sc evicted)" pages
		log "amp pass $p: SSD sectors written $HP_SSDW, hits $HP_HITS misses $HP_MISSES," \
			"written $(sc_status_field sc written) evicted $(sc_status_field sc evicted)"
		p=$((p + 1))
	done
	fs_teardown $sys
}
