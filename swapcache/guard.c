// SPDX-License-Identifier: GPL-2.0
/*
 * Write guards: why no stale copy ever enters the map.
 *
 * A write, discard or write-zeroes drops the cached blocks it overlaps
 * before it is issued: in the map function, or, when that takes more than
 * one bounded step of the map walk, in a worker that then issues it (the
 * lock is let go between steps, which is safe because the write's guards,
 * below, were bumped before the first step, so nothing of its range can
 * be entered meanwhile).  `invalidate` counts as a write over every guard
 * for the same reason.  What remains is the race with an
 * insertion: a cluster whose data was taken (read from the origin, or
 * later copied from the page cache) at T0 and is entered into the map at
 * T1, after its SSD write.  A write to one of its blocks issued between T0
 * and T1 has already dropped whatever was cached, and would leave the old
 * copy in the map.  Write guards close that window: 4096 pairs of counters,
 * "started" and "completed", each covering the 64 KiB origin regions that
 * hash to it.  A write bumps "started" for its regions in the map function
 * and "completed" when it ends.  At T0 the inserter records "started" for
 * its regions and gives up if any of them has a write in flight (started
 * != completed), since such a write could land before or after the data
 * is read.  At T1, under the map's write lock, it enters the cluster, and
 * then takes it out again if any "started" moved.  Both steps are whole:
 * the map allocates nothing under the lock, so a fill either enters every
 * block of the cluster or, finding no room in its reserve, none, and the
 * take-out evicts the very run the fill made, in the same hold of the
 * lock.  Full barriers on both
 * sides (after the writer's bump, before the inserter's check) make it a
 * Dekker pair: either the writer sees the inserted blocks and drops them,
 * or the inserter sees the bump and withdraws.  Collisions in the hash
 * only make an insertion give up more often than it must.
 *
 * Every function here is lock-free and never sleeps: any context.
 */
#include <linux/atomic.h>

#include "swapcache.h"

/*
 * started and completed are bumped for the same set of guards by a write's
 * map and end_io, so that set must depend on the range alone.
 */
static void sc_guards_bump(struct sc_target *sc, u64 first, u64 last,
			   bool start)
{
	u64 region;
	u32 i;

	if (last - first >= SC_NR_GUARDS - 1) {
		for (i = 0; i < SC_NR_GUARDS; i++)
			atomic_inc(start ? &sc->guards[i].started :
					   &sc->guards[i].completed);
		return;
	}
	for (region = first; region <= last; region++) {
		i = sc_guard_index(region);
		atomic_inc(start ? &sc->guards[i].started :
				   &sc->guards[i].completed);
	}
}

/**
 * sc_guards_enter() - count a write as started in its regions' guards
 * @sc: the target
 * @first: the first guarded region the write covers
 * @last: the last one; a range of SC_NR_GUARDS or more covers every guard
 *
 * Call before the write looks at the map.  Any context.
 */
void sc_guards_enter(struct sc_target *sc, u64 first, u64 last)
{
	sc_guards_bump(sc, first, last, true);
	/*
	 * Guards before the map, pairing with the barrier in
	 * sc_guards_raced(): either the inserter sees this write in the
	 * guards, or this write sees the inserted blocks in the map.
	 */
	smp_mb__after_atomic();
}

/**
 * sc_guards_exit() - count a write as completed in its regions' guards
 * @sc: the target
 * @first: as given to sc_guards_enter()
 * @last: as given to sc_guards_enter()
 *
 * Call once the write is done.  Any context, end_io's included.
 */
void sc_guards_exit(struct sc_target *sc, u64 first, u64 last)
{
	/* The write is done before its guards say so (T0 checks). */
	smp_mb__before_atomic();
	sc_guards_bump(sc, first, last, false);
}

/**
 * sc_guard_quiet() - take one guard's T0
 * @sc: the target
 * @guard: which guard (sc_guard_index())
 * @started: set to its started count
 *
 * Any context.
 *
 * Return: true when no write under it is in flight (completed has caught
 * up with @started).
 */
bool sc_guard_quiet(struct sc_target *sc, u32 guard, u32 *started)
{
	*started = atomic_read(&sc->guards[guard].started);
	smp_rmb();	/* started before completed: see sc_guards_enter() */
	return atomic_read(&sc->guards[guard].completed) == *started;
}

/**
 * sc_guard_moved() - whether a write started under a guard since a T0
 * @sc: the target
 * @guard: which guard
 * @started: its started count at T0
 *
 * Any context.  No barrier: see sc_guards_raced() for the check that
 * decides.
 *
 * Return: true when the started count is no longer @started.
 */
bool sc_guard_moved(struct sc_target *sc, u32 guard, u32 started)
{
	return atomic_read(&sc->guards[guard].started) != started;
}

/**
 * sc_guard_snapshot() - take T0 for a cluster: its guards' started counts
 * @sc: the target
 * @oblocks: the cluster's origin blocks
 * @count: how many, at most SC_SLAB_SIZE
 * @snap: filled in, for sc_insert()
 *
 * Take it before the data is read or copied.  Any context.
 *
 * Return: false when a write to one of the cluster's regions is in flight,
 * since such a write may land before or after the data is taken and
 * nothing would tell which: the cluster must not be cached now.
 */
bool sc_guard_snapshot(struct sc_target *sc, const sc_oblock_t *oblocks,
		       unsigned int count, struct sc_guard_snap *snap)
{
	unsigned int n;

	snap->nr = count;
	for (n = 0; n < count; n++) {
		snap->index[n] = sc_guard_index(sc_oblock_region(oblocks[n]));
		if (!sc_guard_quiet(sc, snap->index[n], &snap->started[n]))
			return false;
	}
	return true;
}

/**
 * sc_guards_raced() - T1: whether a write started since a cluster's T0
 * @sc: the target
 * @snap: the cluster's T0, from sc_guard_snapshot()
 *
 * Call after the cluster is in the map, under the map's write lock, and
 * take it out again if this returns true.  Any context.
 *
 * Return: true when one of the cluster's guards moved.
 */
bool sc_guards_raced(struct sc_target *sc, const struct sc_guard_snap *snap)
{
	unsigned int n;

	/* Pairs with the barrier in sc_guards_enter(). */
	smp_mb();
	for (n = 0; n < snap->nr; n++)
		if (sc_guard_moved(sc, snap->index[n], snap->started[n]))
			return true;
	return false;
}
