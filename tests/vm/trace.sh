# shellcheck shell=dash
# Kprobe helpers for tests that count kernel function calls, sourced after
# lib.sh.  Probes are named sc_NAME; trace_cleanup removes them all (call it
# from an EXIT trap: a probe left on a module's function keeps it loaded).

T=/sys/kernel/tracing

# trace_setup: mount tracefs if needed, empty the trace buffer.
trace_setup() {
	[ -f $T/kprobe_events ] || mount -t tracefs nodev $T ||
		die "cannot mount tracefs"
	[ -f $T/kprobe_events ] || die "no kprobe events in this kernel"
	echo 0 >$T/tracing_on
	echo 16384 >$T/buffer_size_kb
	: >$T/trace
	echo 1 >$T/tracing_on
}

# probe_add NAME 'p|r' FUNC [FETCHARGS] [FILTER]: an enabled kprobe (p) or
# kretprobe (r) on FUNC, its events filtered by FILTER if given.
probe_add() {
	echo "$2:sc_$1 $3 $4" >>$T/kprobe_events || die "cannot probe $3"
	if [ -n "$5" ]; then
		echo "$5" >"$T/events/kprobes/sc_$1/filter" ||
			die "bad filter for $3: $5"
	fi
	echo 1 >"$T/events/kprobes/sc_$1/enable" || die "cannot enable sc_$1"
}

# probe_hits NAME: how many times the probe fired (filter or not).
probe_hits() {
	awk -v n="sc_$1" '$1 == n { print $2 }' $T/kprobe_profile
}

# probe_events NAME [FILE]: how many of its events are in the trace buffer,
# or in FILE (a copy from trace_freeze).
probe_events() {
	grep -c " sc_$1: " "${2:-$T/trace}" || true
}

# trace_freeze FILE: copy the trace buffer to FILE with tracing held off,
# so that counts taken from FILE describe one moment.  Counts taken from
# the live buffer one grep after another each take in what came meanwhile:
# on a slow kernel, several walks between the first count and the last.
trace_freeze() {
	echo 0 >$T/tracing_on
	cat $T/trace >"$1" || die "cannot copy the trace"
	echo 1 >$T/tracing_on
}

# trace_cleanup: disable and remove every sc_ probe, empty the buffer.
trace_cleanup() {
	[ -f $T/kprobe_events ] || return 0
	for _e in "$T"/events/kprobes/sc_*/enable; do
		[ -f "$_e" ] && echo 0 >"$_e"
	done
	sed -n 's/^[pr][^:]*:kprobes\/\(sc_[^ ]*\) .*/-:\1/p' $T/kprobe_events |
		while read -r _p; do echo "$_p" >>$T/kprobe_events; done
	: >$T/trace
}
