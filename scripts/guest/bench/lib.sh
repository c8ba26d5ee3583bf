# shellcheck shell=dash
# The bench guest's helpers (scripts/guest/bench/run sources it): the CSV,
# null_blk devices, fio, cgroups and swapcache's own figures.

log() { echo "bench: [$(cut -d' ' -f1 /proc/uptime)s] $*"; }
# row SECTION SYSTEM METRIC INDEX VALUE UNIT: one figure of the CSV.
row() {
	case $6:$5 in
	text:*[!A-Za-z0-9.+_-]*) die "bad text $1/$2/$3/$4: '$5'" ;;
	text:*) ;;
	*:'' | *:*[!0-9.e+-]*) die "non-numeric $1/$2/$3/$4: '$5'" ;;
	esac
	echo "$1,$2,$3,$4,$5,$6" >>"$CSV"
}
now() { cut -d' ' -f1 /proc/uptime; }

# --- devices

NB=/sys/kernel/config/nullb
# nullb NAME MIB LATENCY_NS [MEMORY_BACKED]: a fresh null_blk disk, memory
# backed unless MEMORY_BACKED is 0 (then reads complete with nothing read
# and writes keep nothing); prints its path. LATENCY_NS 0: completed inline
# (the SSD).
nullb() {
	local d=$NB/$1
	mkdir "$d" || die "nullb $1"
	{ echo "$2" >"$d/size" && echo "${4:-1}" >"$d/memory_backed" &&
		echo 4096 >"$d/blocksize"; } || die "nullb $1 config"
	if [ "$3" -gt 0 ]; then
		{ echo 2 >"$d/irqmode" && echo "$3" >"$d/completion_nsec"; } ||
			die "nullb $1 timer"
	else
		echo 0 >"$d/irqmode" || die "nullb $1 irqmode"
	fi
	echo 1 >"$d/power" || die "nullb $1 power"
	# Named after the configfs item on these kernels, nullbN on others.
	if [ -b "/dev/$1" ]; then
		echo "/dev/$1"
	elif [ -b "/dev/nullb$(cat "$d/index")" ]; then
		echo "/dev/nullb$(cat "$d/index")"
	else
		die "nullb $1: no device node"
	fi
}
nullb_rm() {
	{ echo 0 >"$NB/$1/power" && rmdir "$NB/$1"; } || die "cannot remove nullb $1"
}
# fill PATH OFFSET_MIB MIB DIRECT
fill() {
	FILE=$1 OFFSET=$(($2 * M)) SIZE=$(($3 * M)) DIRECT=$4 \
		fio --output-format=terse /bench/fill.fio >/tmp/fill.out 2>&1 ||
		die "cannot write $1: $(cat /tmp/fill.out)"
}
sysname() { echo "${1##*/}"; }
# dstat DEV: reads, sectors read, writes, sectors written so far.
dstat() { awk '{ print $1, $3, $5, $7 }' "/sys/block/$(sysname "$1")/stat"; }
majmin() { cat "/sys/block/$(sysname "$1")/dev"; }

# --- fio

# fio_run OUT JOBFILE: run a job file (its environment set by the caller),
# one terse line per job in OUT; dies unless every job ran without error.
fio_run() {
	fio --output-format=terse --terse-version=3 "/bench/$2" >/tmp/fio.raw 2>/tmp/fio.err ||
		die "fio $2 failed: $(cat /tmp/fio.err /tmp/fio.raw | tail -n 5)"
	grep '^3;' /tmp/fio.raw >"$1" || die "fio $2 printed no results: $(cat /tmp/fio.raw)"
	awk -F';' '$5 != 0 { exit 1 }' "$1" || die "fio $2: a job failed: $(cat "$1")"
}
# fio_stats OUT JOB: "IOPS clat_mean_us clat_p99_us read_KiB/s runtime_ms"
fio_stats() {
	awk -F';' -v job="$2" '$3 == job {
		p99 = ""
		for (i = 18; i <= 37; i++)
			if ($i ~ /^99\.000000%=/) { split($i, a, "="); p99 = a[2] }
		print $8, $16, p99, $7, $9; found = 1
	} END { exit !found }' "$1" || die "no stats for fio job $2"
}

# --- cgroups (v2, mounted by /init)

CGROOT=/sys/fs/cgroup
cg_setup() {
	grep -qw memory $CGROOT/cgroup.controllers || die "no memory controller"
	echo "+memory +io" >$CGROOT/cgroup.subtree_control || die "cannot enable memory and io"
}
# cg_new NAME MIB: a fresh cgroup with memory.max = MIB.
cg_new() {
	[ ! -d "$CGROOT/$1" ] || rmdir "$CGROOT/$1" || die "cgroup $1 busy"
	{ mkdir "$CGROOT/$1" && echo $(($2 * M)) >"$CGROOT/$1/memory.max"; } ||
		die "cgroup $1"
}
# cg_rios NAME DEV: reads the cgroup issued to DEV (io.stat).
cg_rios() {
	awk -v d="$(majmin "$2")" '$1 == d { for (i = 2; i <= NF; i++)
		if ($i ~ /^rios=/) { sub(/rios=/, "", $i); print $i; f = 1 } }
		END { if (!f) print 0 }' "$CGROOT/$1/io.stat"
}

# --- swapcache

sc_pid() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(cat "$p/comm" 2>/dev/null)" = swapcached ] && { echo "${p#/proc/}"; return; }
	done
	die "no swapcached thread"
}
# CPU time of swapcached so far, in clock ticks (USER_HZ, 100 on x86).
sc_cpu() { awk '{ print $14 + $15 }' /proc/"$SC_PID/stat"; }
# sc_used [NAME]: pages cached in NAME (sc by default).
sc_used() { local u; u=$(sc_status_field "${1:-sc}" cache_pages); echo "${u%/*}"; }
sc_slots() { local u; u=$(sc_status_field sc cache_pages); echo "${u#*/}"; }
# The map's memory: every vmalloc area the module holds (the map and its
# per-slab reader counts, its only ones), as "bytes with guard pages, bytes
# of pages".  Found by the module's name, which /proc/vmallocinfo prints
# after the caller's: a function's name would change with the code.
sc_map_bytes() {
	awk '$0 ~ / \[swapcache\]( |$)/ { s += $2; for (i = 3; i <= NF; i++)
		if ($i ~ /^pages=/) { sub(/pages=/, "", $i); p += $i } }
		END { if (!s) exit 1; print s, p * 4096 }' /proc/vmallocinfo ||
		die "no vmalloc area of swapcache in /proc/vmallocinfo"
}
param() { echo "$2" >"$P/$1" || die "cannot set $1=$2"; }
