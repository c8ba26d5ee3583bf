# shellcheck shell=dash
# Scenario 7b (scripts/guest/bench/run sources it).

# sf_knobs: the thread's knobs as scenario 3 sets them: a pass per tick, a
# budget that never runs dry.
sf_knobs() {
	param hysteresis 0
	param maxlaunder "$SC_MAXLAUNDER"
	param accrate "$SC_ACCRATE"
	param curburst "$SC_CURBURST"
	param read_enable 1
}

# sf_admit: turn the thread on and wait until three seconds go by without
# a page written; sets wr0, cpu0, t0 before and wr1, cpu1, t1 after.
sf_admit() {
	wr0=$(sc_status_field sc written) cpu0=$(sc_cpu) t0=$(now)
	param data_enable 1
	last=-1 still=0
	while [ $still -lt 3 ]; do
		sleep 1
		w=$(sc_status_field sc written)
		if [ "$w" -eq "$last" ]; then still=$((still + 1)); else still=0; fi
		last=$w
	done
	wr1=$(sc_status_field sc written) cpu1=$(sc_cpu) t1=$(now)
}

# sf_still: wait until swapcached's CPU time stays the same for 2 s (60 s at
# most, then fail); sets cpu1 and t1 when it does.
sf_still() {
	last=-1 still=0 tries=0
	while [ $still -lt 2 ]; do
		[ $tries -lt 60 ] || die "swapcached still busy after 60 s"
		tries=$((tries + 1))
		sleep 1
		c=$(sc_cpu)
		if [ "$c" -eq "$last" ]; then still=$((still + 1)); else still=0; fi
		last=$c
	done
	cpu1=$last t1=$(now)
}

# sf_memo MARK H: the group memo's count for the last full pass logged
# after MARK (swapcached's dynamic debug line, scan.c), as rows for
# hysteresis H; nothing when the module logs none.
sf_memo() {
	# shellcheck disable=SC2046 # fields, split on purpose
	set -- "$2" $(dmesg | awk -v mark="$1" '
		index($0, mark) { on = 1; l = ""; next }
		on && /memo: pass / { l = $0 }
		END { print l }' |
		sed -n 's/.*memo: pass \([0-9]*\) lookups \([0-9]*\) found \([0-9]*\) claimed \([0-9]*\) met; table \([0-9]*\), wants \([0-9]*\).*/\1 \2 \3 \4 \5 \6/p')
	if [ $# -ne 7 ]; then
		log "small files, hysteresis $1: no memo line from the module"
		return 0
	fi
	row smallfiles swapcache event_pass_memo_lookups "$1" "$2" count
	row smallfiles swapcache event_pass_memo_found "$1" "$3" count
	row smallfiles swapcache event_pass_memo_claimed "$1" "$4" count
	row smallfiles swapcache event_pass_memo_met "$1" "$5" count
	row smallfiles swapcache event_pass_memo_table "$1" "$6" groups
	log "small files, hysteresis $1: the pass's memo: $2 lookups, $3 found," \
		"$4 claimed, $5 groups met; table of $6 groups, wants $7"
}

# scenario_smallfiles: swapcached idling over SMALL_FILES one-page opted-in files
# that are all in the page cache and all cached already. Each file is its
# own 16-page group; the SSD is sized for the worst case, a 64 KiB slab per
# file (the thread packs small groups into shared slabs, so it needs far
# less), and null_blk allocates only the pages written.
scenario_smallfiles() {
	log "small files: $SMALL_FILES files"
	sf_slabs=$((SMALL_FILES * 100 / 70 + 64))
	SF_HDD=$(nullb sfhdd $((SMALL_FILES * 5 / 1024 + 256)) "$HDD_NS")
	SF_SSD=$(nullb sfssd $((sf_slabs / 16 + 1)) 0)
	param data_enable 0
	sc_create sc "$SF_HDD" "$SF_SSD"
	mkfs.ext4 -q -F -b 4096 -E lazy_itable_init=0,lazy_journal_init=0 \
		-N $((SMALL_FILES + 20000)) /dev/mapper/sc || die "mkfs small"
	mount -t ext4 /dev/mapper/sc /mnt || die "mount small"
	{ mkdir /mnt/small && setfattr -n user.swapcache -v 1 /mnt/small; } || die "small dir"
	t0=$(now)
	i=0
	while [ $i -lt "$SMALL_FILES" ]; do
		d=/mnt/small/$((i / 1000))
		[ $((i % 1000)) -ne 0 ] || mkdir $d || die "mkdir $d"
		echo "$i" >$d/$i || die "create $d/$i"
		i=$((i + 1))
	done
	sync
	t1=$(now)
	row smallfiles swapcache files 0 "$SMALL_FILES" count
	row smallfiles swapcache create_seconds 0 "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" s
	log "small files: created in $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s"
	sf_knobs
	sf_admit
	row smallfiles swapcache admitted 0 $((wr1 - wr0)) pages
	row smallfiles swapcache admit_ticks 0 $((cpu1 - cpu0)) ticks
	row smallfiles swapcache admit_seconds 0 "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" s
	row smallfiles swapcache used 0 "$(sc_used)" pages
	row smallfiles swapcache slots 0 "$(sc_slots)" pages
	# shellcheck disable=SC2046,SC2086 # fields, split on purpose
	set -- $(sc_map_bytes)
	row smallfiles swapcache map_bytes 0 "$1" bytes
	row smallfiles swapcache map_page_bytes 0 "$2" bytes
	log "small files: $((wr1 - wr0)) pages admitted, swapcached used $((cpu1 - cpu0)) ticks," \
		"status: $(dmsetup status sc)"
	[ $((wr1 - wr0)) -ge $((SMALL_FILES * 9 / 10)) ] ||
		die "only $((wr1 - wr0)) of $SMALL_FILES small files were admitted"
	# A parameter write is an event (the guide's "quiet pass"): it starts
	# one full pass, which over 100,000 files lasts seconds and was once
	# most of the idle window.  That pass is reported on its own; the
	# window opens once the thread's CPU time has stood still for 2 s.
	# The memo's count of that pass comes from the module's dynamic debug
	# line at each full pass's end (scan.c), not from kprobes; it is turned
	# off after this scenario, so that it does not fill the later ones' logs.
	dyndbg=
	for f in /proc/dynamic_debug/control /sys/kernel/debug/dynamic_debug/control; do
		[ -w $f ] || continue
		echo 'module swapcache format "memo: pass" +p' >$f 2>/dev/null && dyndbg=$f
		break
	done
	for h in 0 $HYST_DEFAULT; do
		mark="bench mark $(cat /proc/sys/kernel/random/uuid)"
		echo "<6>$mark" >/dev/kmsg
		cpu0=$(sc_cpu) t0=$(now)
		param hysteresis "$h"
		sf_still
		row smallfiles swapcache event_pass_ticks "$h" $((cpu1 - cpu0)) ticks
		sf_memo "$mark" "$h"
		log "small files, hysteresis $h written: $((cpu1 - cpu0)) ticks until still," \
			"$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s"
		cpu0=$(sc_cpu) wr0=$(sc_status_field sc written) t0=$(now)
		sleep "$IDLE_SECS"
		cpu1=$(sc_cpu) wr1=$(sc_status_field sc written) t1=$(now)
		row smallfiles swapcache idle_ticks "$h" $((cpu1 - cpu0)) ticks
		row smallfiles swapcache idle_seconds "$h" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" s
		row smallfiles swapcache idle_written "$h" $((wr1 - wr0)) pages
		log "small files idle, hysteresis $h: $((cpu1 - cpu0)) ticks in $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s," \
			"$((wr1 - wr0)) pages written"
	done
	if [ -n "$dyndbg" ]; then
		echo 'module swapcache format "memo: pass" -p' >"$dyndbg" ||
			log "small files: the memo's debug line could not be turned off"
	fi
	param data_enable 0
	umount /mnt || die "umount small"
	dmsetup remove sc || die "remove sc"
	nullb_rm sfhdd
	nullb_rm sfssd
}

# scenario_resident: scenario 7c, what admitting costs with nothing else
# going on. An opted-in HOT_MIB file, written O_DIRECT, is read whole
# (buffered, no cgroup: every page stays resident) with the thread off;
# then the thread is turned on and admits it all in a few ticks, without
# the tick-by-tick re-walk that a reader beside it causes in scenario 3.
# The emulated SSD's own share is measured beside it: the same bytes
# written to the SSD device by dd, O_DIRECT, in 64 KiB writes (the
# thread's cluster), whose CPU time (busybox time, 10 ms) is what the block layer and null_blk's copy into its memory cost
# per byte, work that a real SSD's DMA does instead.
scenario_resident() {
	local pages=$((HOT_MIB * 256))
	log "resident: $HOT_MIB MiB admitted with no reader beside"
	RS_HDD=$(nullb rshdd $((HOT_MIB + 64)) "$HDD_NS")
	RS_SSD=$(nullb rsssd $((HOT_MIB * 2 + 16)) 0)
	busybox time -f '%U %S' dd if=/dev/zero of="$RS_SSD" bs=64k count=$((HOT_MIB * 16)) \
		oflag=direct 2>/tmp/rs-dd.err >/dev/null || die "resident: dd to the SSD: $(cat /tmp/rs-dd.err)"
	# shellcheck disable=SC2046 # fields, split on purpose
	set -- $(tail -n 1 /tmp/rs-dd.err)
	[ $# -eq 2 ] || die "resident: no times from dd: $(cat /tmp/rs-dd.err)"
	row resident ssd ssd_write_ticks 0 "$(awk -v u="$1" -v s="$2" 'BEGIN { printf "%d", (u + s) * 100 + 0.5 }')" ticks
	row resident ssd ssd_write_bytes 0 $((HOT_MIB * 1048576)) bytes
	param data_enable 0
	sc_create sc "$RS_HDD" "$RS_SSD"
	mkfs.ext4 -q -F -b 4096 -E lazy_itable_init=0,lazy_journal_init=0 /dev/mapper/sc || die "mkfs resident"
	mount -t ext4 /dev/mapper/sc /mnt || die "mount resident"
	{ mkdir /mnt/res && setfattr -n user.swapcache -v 1 /mnt/res; } || die "resident dir"
	dd if=/dev/zero of=/mnt/res/f bs=1M count="$HOT_MIB" oflag=direct 2>/dev/null || die "resident file"
	sync
	echo 3 >/proc/sys/vm/drop_caches
	cat /mnt/res/f >/dev/null || die "read resident file"
	sf_knobs
	sf_admit
	param data_enable 0
	row resident swapcache admitted 0 $((wr1 - wr0)) pages
	row resident swapcache admit_ticks 0 $((cpu1 - cpu0)) ticks
	row resident swapcache admit_seconds 0 "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" s
	log "resident: $((wr1 - wr0)) pages admitted, swapcached used $((cpu1 - cpu0)) ticks"
	[ $((wr1 - wr0)) -ge $((pages * 9 / 10)) ] ||
		die "resident: only $((wr1 - wr0)) of $pages pages were admitted"
	umount /mnt || die "umount resident"
	dmsetup remove sc || die "remove sc"
	nullb_rm rshdd
	nullb_rm rsssd
}
