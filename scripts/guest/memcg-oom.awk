# Removes memory-cgroup OOM dumps from a kernel log (dmesg, or a console
# log with other output mixed in), passing every other line through, so that
# the kernel-problems patterns can be matched against what is left.
#
# A task that meets its cgroup's memory.max with nothing left to reclaim is
# the workload's limit at work, not a kernel fault: the soak's small swap
# cgroup meets it on swap-in when reclaim cannot swap out in time. Its dump
# still carries "Call Trace", which would otherwise count as a kernel
# problem. A dump counts as a memory cgroup's when its trace runs through
# mem_cgroup_out_of_memory; a global OOM is kept, and so is a dump whose
# end never came (a crash in the middle of it). Lines of another report that
# another CPU printed into the dump survive its removal: the dump itself has
# "Call Trace" but none of the words below.
#
# With -v count=FILE, the number of dumps removed is written to FILE.
# Busybox awk, mawk and gawk.

function flush(i) {
	for (i = 1; i <= held; i++)
		print line[i]
	held = 0
	inside = 0
	memcg = 0
}

{ sub(/\r$/, "") }

/invoked oom-killer: / {
	flush()
	inside = 1
}

inside && /\[ *[0-9]+\.[0-9]+\] / {
	line[++held] = $0
	if ($0 ~ /mem_cgroup_out_of_memory/)
		memcg = 1
	if ($0 ~ /Out of memory and no killable processes|out of memory: Killed process|Out of memory: Killed process/) {
		if (memcg) {
			for (i = 1; i <= held; i++)
				if (line[i] ~ /BUG:|Oops|WARNING:|Kernel panic|KASAN|UBSAN|general protection|soft lockup|blocked for more|circular locking|kmemleak/)
					print line[i]
			removed++
			held = 0
			inside = 0
			memcg = 0
		} else {
			flush()
		}
	} else if (held >= 500) {
		flush()
	}
	next
}

{ print }

END {
	flush()
	if (count != "")
		print removed + 0 >count
}
