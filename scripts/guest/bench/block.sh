# shellcheck shell=dash
# Block phase: scenarios 1 (hit path) and 2 (miss path), all systems side
# by side on raw devices (scripts/guest/bench/run sources it).

# block_setup: every system's devices, the hit range filled; the caches
# read-enabled.
block_setup() {
	log "block phase: devices"
	modprobe brd rd_nr=1 rd_size=$((SSD_MIB * 1024)) max_part=0 || die "brd"
	HDD0=$(nullb bhdd0 "$BLK_HDD_MIB" "$HDD_NS") SSD0=$(nullb bssd0 "$SSD_MIB" 0)
	HDD1=$(nullb bhdd1 "$BLK_HDD_MIB" "$HDD_NS") SSD1=$(nullb bssd1 "$SSD_MIB" 0)
	HDD2=$(nullb bhdd2 "$BLK_HDD_MIB" "$HDD_NS") SSD2=$(nullb bssd2 "$SSD_MIB" 0)
	HDD3=$(nullb bhdd3 "$BLK_HDD_MIB" "$HDD_NS") SSD3=$(nullb bssd3 "$SSD_MIB" 0)
	HDD4=$(nullb bhdd4 "$BLK_HDD_MIB" "$HDD_NS") SSD4=$(nullb bssd4 "$SSD_MIB" 0)
	for h in "$HDD0" "$HDD1" "$HDD2" "$HDD3" "$HDD4"; do
		fill "$h" 0 "$BLK_HDD_MIB" 1
	done
	fill "$SSD0" 0 "$HIT_MIB" 1
	fill /dev/ram0 0 "$HIT_MIB" 1
	# dm's own cost on the hit path: dm-linear straight over the raw SSD.
	dmsetup create lin --table "0 $(blockdev --getsz "$SSD0") linear $SSD0 0" || die "dm-linear"
	dmsetup mknodes lin
	dmc_create "$HDD1" "$SSD1"
	BC=$(bc_backing "$HDD2")
	BC_UUID=5c000000-0000-4000-8000-000000000001
	bc_attach "$BC" "$SSD2" $BC_UUID
	sc_create sc "$HDD3" "$SSD3"
	# The same target with its checksums on, over a pair of its own: the
	# hit path's cost of verify is this one's IOPS over sc's, per round.
	sc_create scv "$HDD4" "$SSD4" 1 verify
	dmsetup table scv | grep -q ' 1 verify$' || die "scv has no verify: $(dmsetup table scv)"
	row meta all HIT_VERIFY 0 1 knob
	# What verify's crc32c runs on: the kernel's highest-priority crc32c
	# driver. Under TCG (-cpu max) it is crc32c-intel, whose SSE4.2
	# instruction the emulator carries out in software, so the ratio says
	# little about what the instruction costs on hardware.
	row meta all crc32c_driver 0 "$(awk -F' *: ' '$1 == "name" { n = $2 }
		$1 == "driver" { d = $2 }
		$1 == "priority" && n == "crc32c" && $2 + 0 > best { best = $2 + 0; b = d }
		END { print b ? b : "none" }' /proc/crypto)" text
	param read_enable 1
	param data_enable 0
	param meta_enable 0
}

# devices SYSTEM: the system's "top device, slow disk, SSD" (- when none).
devices() {
	case $1 in
	raw-ssd) echo "$SSD0 - $SSD0" ;;
	brd) echo "/dev/ram0 - -" ;;
	dm-linear) echo "/dev/mapper/lin - $SSD0" ;;
	raw-hdd) echo "$HDD0 $HDD0 -" ;;
	dm-cache) echo "/dev/mapper/dmc $HDD1 $SSD1" ;;
	bcache) echo "/dev/$BC $HDD2 $SSD2" ;;
	swapcache) echo "/dev/mapper/sc $HDD3 $SSD3" ;;
	swapcache-verify) echo "/dev/mapper/scv $HDD4 $SSD4" ;;
	*) die "no system $1" ;;
	esac
}
top() { devices "$1" | cut -d' ' -f1; }
# dmname SYSTEM: the dm name of a swapcache system, nothing for the others.
dmname() {
	case $1 in
	swapcache) echo sc ;;
	swapcache-verify) echo scv ;;
	esac
}
# reads SYSTEM HDD|SSD: reads so far on the system's slow disk or SSD (0 if
# it has none).
reads() {
	local d
	case $2 in
	HDD) d=$(devices "$1" | cut -d' ' -f2) ;;
	SSD) d=$(devices "$1" | cut -d' ' -f3) ;;
	esac
	if [ "$d" = - ]; then echo 0; else dstat "$d" | cut -d' ' -f1; fi
}

# block_prep: scenario 1's preparation, the hit range cached in each cache.
block_prep() {
	log "block phase: caching the first $HIT_MIB MiB"
	dmsetup message sc 0 warm 0 $((HIT_MIB * 2048)) || die "warm"
	dmsetup message scv 0 warm 0 $((HIT_MIB * 2048)) || die "warm scv"
	for s in dm-cache bcache swapcache swapcache-verify; do
		n=0
		while :; do
			n=$((n + 1))
			h0=$(reads $s HDD)
			DEV=$(top $s) OFFSET=0 SIZE=$((HIT_MIB * M)) fio_run /tmp/pre.out preread.fio
			left=$(($(reads $s HDD) - h0))
			[ $left -eq 0 ] && break
			[ $n -lt 12 ] || break
		done
		log "$s: pass $n over the range read $left times from the slow disk"
		row prep $s passes 0 $n count
		row prep $s hdd_reads_last_pass 0 "$left" count
	done
	row prep swapcache warmed_pages 0 "$(sc_used)" pages
	row prep swapcache-verify warmed_pages 0 "$(sc_used scv)" pages
}

# run_one SCENARIO SYSTEM ROUND JOB OFFSET_MIB SIZE_MIB [IO_MIB]
run_one() {
	local h0 s0 h1 s1 st dm rh0 rh1
	dm=$(dmname "$2")
	# swapcache's own count of hits, and of SSD reads that failed (with
	# verify: a read whose checksum did not match counts there too), so
	# the report can say that the hit path's reads were hits, checked.
	[ -z "$dm" ] || rh0=$(sc_status_field "$dm" read_hits)
	h0=$(reads "$2" HDD) s0=$(reads "$2" SSD)
	DEV=$(top "$2") OFFSET=$(($5 * M)) SIZE=$(($6 * M)) IO_SIZE=$((${7:-0} * M)) \
		RUNTIME=$RUNTIME fio_run /tmp/run.out "$4"
	h1=$(reads "$2" HDD) s1=$(reads "$2" SSD)
	if [ -n "$dm" ]; then
		rh1=$(sc_status_field "$dm" read_hits)
		row "$1" "$2" read_hits "$3" $((rh1 - rh0)) count
		row "$1" "$2" ssd_errors "$3" "$(sc_status_field "$dm" ssd_errors)" count
	fi
	st=$(fio_stats /tmp/run.out "${4%.fio}")
	# shellcheck disable=SC2046,SC2086 # fields, split on purpose
	set -- "$1" "$2" "$3" $st "$((h1 - h0))" "$((s1 - s0))"
	row "$1" "$2" iops "$3" "$4" IOPS
	row "$1" "$2" clat_mean "$3" "$5" us
	row "$1" "$2" clat_p99 "$3" "$6" us
	row "$1" "$2" hdd_reads "$3" "$9" count
	row "$1" "$2" ssd_reads "$3" "${10}" count
	log "$1 $2 round $3: $4 IOPS, mean $5 us, p99 $6 us, slow disk reads $9, SSD reads ${10}"
}

# block_rounds: scenarios 1 and 2, ROUNDS rounds.
block_rounds() {
	r=1
	while [ $r -le "$ROUNDS" ]; do
		log "block phase: round $r of $ROUNDS"
		# Odd rounds go one way, even rounds the other, so that a steady
		# drift of the emulator's speed favours no system in the medians.
		hit_order="raw-ssd brd dm-linear dm-cache bcache swapcache swapcache-verify"
		miss_order="raw-hdd dm-cache bcache swapcache swapcache-verify"
		if [ $((r % 2)) -eq 0 ]; then
			hit_order="swapcache-verify swapcache bcache dm-cache dm-linear brd raw-ssd"
			miss_order="swapcache-verify swapcache bcache dm-cache raw-hdd"
		fi
		for s in $hit_order; do
			run_one hit "$s" $r hit.fio 0 "$HIT_MIB"
		done
		off=$((HIT_MIB + (r - 1) * MISS_MIB))
		for s in $miss_order; do
			run_one miss "$s" $r miss.fio $off "$MISS_MIB" $((MISS_MIB / 2))
		done
		r=$((r + 1))
	done
}

# block_teardown: every block-phase device gone.
block_teardown() {
	log "block phase: teardown"
	{ dmsetup remove sc && dmsetup remove scv && dmsetup remove lin; } ||
		die "remove sc, scv, lin"
	bc_stop "$BC" "$BC_UUID" "$HDD2"
	dmc_remove
	for s in 0 1 2 3 4; do
		nullb_rm bhdd$s
		nullb_rm bssd$s
	done
	rmmod brd || die "rmmod brd"
}
