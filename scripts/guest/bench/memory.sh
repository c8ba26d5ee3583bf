# shellcheck shell=dash
# Scenario 6b, the map at real scale (scripts/guest/bench/run sources it):
# RAM right after construction over 64 GiB, 1 TiB and 4 TiB cache devices
# and the constructor's time, for swapcache and for dm-cache with its
# smallest block (32 KiB) and lvmcache's default (64 KiB); then swapcache's
# RAM per cached page in its best shape (whole 16-page groups, by warm) and
# its worst (every slab 16 pages of 16 different groups, by the thread).
#
# The cache devices are stand-ins of the size measured, null_blk disks that
# are not memory backed, which serve as a dm-zero table would: writes
# complete and keep nothing, reads complete with nothing read, and nothing
# here reads the SSD back.  The origin is
# such a disk too, 16 TiB, except for the scattered shape, which needs ext4
# and so a memory-backed origin.  dm-cache's metadata device is a fresh, therefore
# zeroed, memory-backed null_blk, sized 16 bytes per cache block plus 16 MiB
# (its mapping and hint arrays take 8 + 4 bytes a block), allocated only
# where written, under a linear table that is switched to an error table
# before the cache is removed (see mem_ctor_dmc).
#
# What is counted, before and after, for either system: the vmalloc areas
# of its modules in /proc/vmallocinfo (swapcache's own; dm-cache's are
# dm_cache, dm_cache_smq, dm_persistent_data, dm_bufio and dm_bio_prison),
# SUnreclaim and Percpu from /proc/meminfo, and dm-bufio's own count of
# its metadata buffers (current_allocated_bytes: page-allocator pages,
# counted by neither).  The sum of the differences is the RAM figure; the
# slab and per-cpu ones carry the noise of whatever else the kernel did
# meanwhile.

MEM_ORIGIN_MIB=16777216
MEM_SIZES="64 1024 4096"
MEM_WARM_MIB=${BENCH_MEM_WARM_MIB:-512}
MEM_SCATTER_PAGES=${BENCH_MEM_SCATTER_PAGES:-16384}
MEM_REPS=${BENCH_MEM_REPS:-3}
# How much MemAvailable a dm-cache attempt must leave: its in-core size is
# estimated from the size below it, and an allocation the guest cannot
# satisfy would wake the OOM killer (vzalloc) rather than fail.
MEM_DMC_MARGIN_MIB=512
MEM_SC_MODS=swapcache
MEM_DMC_MODS="dm_cache dm_cache_smq dm_persistent_data dm_bufio dm_bio_prison"
MEM_BUFIO=/sys/module/dm_bufio/parameters/current_allocated_bytes

# now_ns: a clock in nanoseconds; busybox's date has no %N.
now_ns() {
	if [ -r /proc/timer_list ]; then
		awk '$1 == "now" && $2 == "at" { print $3; exit }' /proc/timer_list
	else
		awk '{ printf "%.0f\n", $1 * 1e9 }' /proc/uptime
	fi
}
# mem_snap "MODULE...": "vmalloc-bytes-with-guards vmalloc-page-bytes
# SUnreclaim Percpu dm-bufio", all in bytes; the vmalloc areas counted are
# those whose caller is in one of the modules named (/proc/vmallocinfo
# prints the module after the caller, "[name]").
mem_snap() {
	local b=0
	[ ! -r $MEM_BUFIO ] || b=$(cat $MEM_BUFIO)
	echo "$(awk -v mods="$1" 'BEGIN { n = split(mods, m, " ") }
		{ for (j = 1; j <= n; j++) if (index($0, " [" m[j] "]")) break }
		j <= n { s += $2; for (i = 3; i <= NF; i++)
			if ($i ~ /^pages=/) { sub(/pages=/, "", $i); p += $i } }
		END { print s + 0, p * 4096 }' /proc/vmallocinfo)" \
		"$(awk '$1 == "SUnreclaim:" { u = $2 * 1024 } $1 == "Percpu:" { c = $2 * 1024 }
		END { print u, c }' /proc/meminfo)" "$b"
}
# mem_rows SECTION SYSTEM INDEX BEFORE AFTER: the differences as rows;
# prints their sum, the RAM figure (vmalloc without guard pages).
mem_rows() {
	local sec=$1 sys=$2 idx=$3
	# shellcheck disable=SC2086 # fields, split on purpose
	set -- $4 $5
	row "$sec" "$sys" vmalloc "$idx" $(($6 - $1)) bytes
	row "$sec" "$sys" vmalloc_pages "$idx" $(($7 - $2)) bytes
	row "$sec" "$sys" sunreclaim "$idx" $(($8 - $3)) bytes
	row "$sec" "$sys" percpu "$idx" $(($9 - $4)) bytes
	row "$sec" "$sys" bufio "$idx" $((${10} - $5)) bytes
	echo $(($7 - $2 + $8 - $3 + $9 - $4 + ${10} - $5))
}
mem_avail() { awk '$1 == "MemAvailable:" { print $2 * 1024 }' /proc/meminfo; }
# mem_ssd GIB: the stand-in cache device, MEM_SSD.
mem_ssd() { MEM_SSD=$(nullb mssd $(($1 * 1024)) 0 0); }
# mem_create NAME TABLE: dmsetup create, timed; prints the milliseconds,
# or fails (its message in /tmp/mem.err).
mem_create() {
	local t0 t1
	t0=$(now_ns)
	dmsetup create "$1" --table "$2" 2>/tmp/mem.err || return 1
	t1=$(now_ns)
	dmsetup mknodes "$1"
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) / 1e6 }'
}

# mem_ctor_sc GIB: swapcache over a GIB GiB stand-in, MEM_REPS times; the
# memory of the first construction, the time of each.
mem_ctor_sc() {
	local gib=$1 rep=1 b a ms ram
	while [ $rep -le "$MEM_REPS" ]; do
		b=$(mem_snap "$MEM_SC_MODS")
		if ! ms=$(mem_create sc "0 $MEM_ORIG_SECTORS swapcache $MEM_ORIG $MEM_SSD"); then
			log "memory: swapcache over $gib GiB refused: $(cat /tmp/mem.err)"
			row memctor swapcache failed "$gib" 1 flag
			return
		fi
		a=$(mem_snap "$MEM_SC_MODS")
		row ctortime swapcache "gib$gib" $rep "$ms" ms
		if [ $rep = 1 ]; then
			row memctor swapcache slots "$gib" "$(sc_slots)" pages
			ram=$(mem_rows memctor swapcache "$gib" "$b" "$a")
			log "memory: swapcache over $gib GiB: $ram bytes, $ms ms"
		fi
		dmsetup remove sc || die "remove sc"
		rep=$((rep + 1))
	done
	row memctor swapcache failed "$gib" 0 flag
}

# mem_ctor_dmc GIB BLOCK_SECTORS SYSTEM: dm-cache over a GIB GiB stand-in,
# if the estimate from the size below (DMC_PER_BLOCK bytes a block) fits;
# sets DMC_PER_BLOCK from what it measured.
mem_ctor_dmc() {
	local gib=$1 bs=$2 sys=$3 blocks meta est b a ms ram
	blocks=$((gib * 2097152 / bs))
	row memctor "$sys" blocks "$gib" $blocks count
	est=$((DMC_PER_BLOCK * blocks))
	row memctor "$sys" estimate "$gib" $est bytes
	if [ $((est + 5 * blocks + MEM_DMC_MARGIN_MIB * M)) -gt "$(mem_avail)" ]; then
		log "memory: $sys over $gib GiB not attempted: about $((est / M)) MiB" \
			"in core, MemAvailable $(($(mem_avail) / M)) MiB"
		row memctor "$sys" skipped "$gib" 1 flag
		row memctor "$sys" failed "$gib" 0 flag
		return
	fi
	row memctor "$sys" skipped "$gib" 0 flag
	meta=$(((blocks * 16 + 16 * M + M - 1) / M))
	MEM_META=$(nullb mmeta $meta 0)
	meta=$(blockdev --getsz "$MEM_META")
	dmsetup create cmeta --table "0 $meta linear $MEM_META 0" || die "cannot make cmeta"
	dmsetup mknodes cmeta
	b=$(mem_snap "$MEM_DMC_MODS")
	if ! ms=$(mem_create dmc "0 $MEM_ORIG_SECTORS cache /dev/mapper/cmeta $MEM_SSD \
$MEM_ORIG $bs 1 writethrough smq 0"); then
		log "memory: $sys over $gib GiB refused: $(cat /tmp/mem.err)"
		row memctor "$sys" failed "$gib" 1 flag
	else
		a=$(mem_snap "$MEM_DMC_MODS")
		row ctortime "$sys" "gib$gib" 1 "$ms" ms
		ram=$(mem_rows memctor "$sys" "$gib" "$b" "$a")
		DMC_PER_BLOCK=$(((ram + blocks - 1) / blocks))
		row memctor "$sys" failed "$gib" 0 flag
		log "memory: $sys over $gib GiB ($blocks blocks): $ram bytes, $ms ms"
		# Removal writes the policy's hints, 4 bytes a block, to the
		# metadata: minutes under TCG at 1 TiB.  The cache is thrown
		# away, so its metadata device fails every write from now on.
		{ dmsetup load cmeta --table "0 $meta error" && dmsetup suspend cmeta &&
			dmsetup resume cmeta; } || die "cannot fail cmeta"
		dmsetup remove dmc || die "cannot remove dm-cache"
	fi
	dmsetup remove cmeta || die "cannot remove cmeta"
	nullb_rm mmeta
}

# mem_warm: whole groups, by warm, over the 4 TiB stand-in.
mem_warm() {
	local b a ram
	b=$(mem_snap "$MEM_SC_MODS")
	sc_create sc "$MEM_ORIG" "$MEM_SSD"
	a=$(mem_snap "$MEM_SC_MODS")
	dmsetup message sc 0 warm 0 $((MEM_WARM_MIB * 2048)) || die "warm"
	row memwarm swapcache used 0 "$(sc_used)" pages
	ram=$(mem_rows memwarm swapcache 0 "$a" "$(mem_snap "$MEM_SC_MODS")")
	log "memory: warm of $MEM_WARM_MIB MiB: $(sc_used) pages cached, +$ram bytes"
	dmsetup message sc 0 invalidate || die "invalidate"
	dmsetup remove sc || die "remove sc"
	# shellcheck disable=SC2046,SC2086 # fields, split on purpose
	set -- $b $(mem_snap "$MEM_SC_MODS")
	row memwarm swapcache vmalloc_left 0 $(($6 - $1)) bytes
}

# mem_scatter: the worst shape, by the thread: ext4 on swapcache, an
# opted-in file of MEM_SCATTER_PAGES x 64 KiB written O_DIRECT (nothing of
# it in the page cache), then every 16th 4 KiB block of it read, buffered,
# with POSIX_FADV_RANDOM (no readahead: one page per read), each once.
# io_size ends fio after one pass over the file: without it fio goes on
# until it has read size bytes, wrapping round the file, so each page was
# read 16 times, and on the classic LRU (6.1) the second read activates a
# page, which the thread never takes (tests/vm/t-58-scatter.sh; BENCH.md,
# "Found on the way").  Each resident page is alone in its 16-page
# group (the file is laid out in extents, so its pages 16 apart are 16
# origin blocks apart), and the thread packs 16 such groups into each slab.
mem_scatter() {
	local size=$((MEM_SCATTER_PAGES * 65536)) b a ram used last=-1 same=0 i=0
	MEM_SORIG=$(nullb msorig $((size / M + 256)) 0)
	param data_enable 0
	sc_create sc "$MEM_SORIG" "$MEM_SSD"
	mkfs.ext4 -q -F -b 4096 -E lazy_itable_init=0,lazy_journal_init=0 /dev/mapper/sc ||
		die "mkfs scatter"
	mount -t ext4 /dev/mapper/sc /mnt || die "mount scatter"
	{ mkdir /mnt/hot && setfattr -n user.swapcache -v 1 /mnt/hot; } || die "scatter dir"
	fill /mnt/hot/s 0 $((size / M)) 1
	sync
	echo 3 >/proc/sys/vm/drop_caches
	fio --name=scatter --filename=/mnt/hot/s --rw=read:60k --bs=4k --size=$size \
		--io_size=$((MEM_SCATTER_PAGES * 4096)) --ioengine=psync --fadvise_hint=random \
		--output-format=terse >/tmp/scatter.out 2>&1 ||
		die "scatter read: $(tail -n 3 /tmp/scatter.out)"
	b=$(mem_snap "$MEM_SC_MODS")
	param hysteresis 0
	param maxlaunder "$SC_MAXLAUNDER"
	param accrate "$SC_ACCRATE"
	param curburst "$SC_CURBURST"
	param meta_enable 0
	param data_enable 1
	# Until three seconds go by with nothing more cached, once something
	# is, at most 120 s.
	while [ $same -lt 6 ] && [ $i -lt 240 ]; do
		sleep 0.5
		used=$(sc_used)
		if [ "$used" = "$last" ] && [ "$used" -gt 0 ]; then same=$((same + 1)); else same=0; fi
		last=$used i=$((i + 1))
	done
	param data_enable 0
	# Not a failure of the run: the table says so.
	[ "$used" -gt 0 ] || log "memory: the thread cached none of the scattered pages" \
		"in 120 s (lru_gen: $(cat /sys/kernel/mm/lru_gen/enabled 2>/dev/null || echo none))"
	a=$(mem_snap "$MEM_SC_MODS")
	row memscatter swapcache used 0 "$used" pages
	row memscatter swapcache resident 0 "$MEM_SCATTER_PAGES" pages
	ram=$(mem_rows memscatter swapcache 0 "$b" "$a")
	log "memory: scattered: $used of $MEM_SCATTER_PAGES pages cached, +$ram bytes"
	umount /mnt || die "umount scatter"
	dmsetup remove sc || die "remove sc"
	nullb_rm msorig
}

scenario_memory() {
	local gib
	log "memory: constructions over 64 GiB, 1 TiB and 4 TiB stand-ins"
	row memctor all slabinfo_swapcache 0 "$(grep -c swapcache /proc/slabinfo)" count
	row meta all clock_ns 0 "$([ -r /proc/timer_list ] && echo 1 || echo 0)" flag
	param data_enable 0
	MEM_ORIG=$(nullb morig $MEM_ORIGIN_MIB 0 0)
	MEM_ORIG_SECTORS=$(blockdev --getsz "$MEM_ORIG")
	for gib in $MEM_SIZES; do
		mem_ssd "$gib"
		mem_ctor_sc "$gib"
		nullb_rm mssd
	done
	for bs in 64 128; do
		DMC_PER_BLOCK=0
		for gib in $MEM_SIZES; do
			mem_ssd "$gib"
			mem_ctor_dmc "$gib" $bs "dm-cache-$((bs / 2))k"
			nullb_rm mssd
		done
	done
	mem_ssd 4096
	mem_warm
	nullb_rm morig
	mem_scatter
	nullb_rm mssd
}
