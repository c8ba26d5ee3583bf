#!/usr/bin/env python3
"""The report of `make bench`: tables and plot data from the CSV that the
guest (scripts/guest/bench/) prints on the VM's console between marker lines.

Usage: scripts/bench_report.py DIR

Reads DIR/console.log; writes DIR/results.csv (every figure, one per row),
DIR/results.md (the tables) and DIR/warmup.dat (gnuplot's data for the
warm-up curves).  BENCH_KO and BENCH_TREE in the environment name the
module and the tree measured.  Exits non-zero, and writes no tables, when
the CSV is missing, truncated or malformed, or lacks a figure a table
needs.  tests/bench/test_report.py tests it.
"""
import csv
import os
import re
import statistics
import sys

HIT = ["raw-ssd", "brd", "dm-linear", "dm-cache", "bcache", "swapcache"]
MISS = ["raw-hdd", "dm-cache", "bcache", "swapcache"]
FS = ["raw-hdd", "raw-ssd", "dm-cache", "bcache", "swapcache"]
CACHES = ["dm-cache", "bcache", "swapcache"]
# Scenario 9: the systems over the network origin, at every round trip.
NET = ["raw-nbd"] + CACHES
NET_WARM = ["iops", "clat_mean", "clat_p99", "hits", "misses", "cg_ssd_reads", "cg_hdd_reads"]
NET_POLL = ["during_iops", "during_cg_ssd_reads", "during_cg_hdd_reads", "cold_kibps",
            "after_iops", "after_hits", "after_misses", "after_cg_ssd_reads", "after_cg_hdd_reads"]
NET_DIRECT = ["iops", "clat_mean", "clat_p99"]
# Scenarios 1 and 2 also measure swapcache with its checksums on, over a
# pair of its own, in runs since the HIT_VERIFY knob exists.
VERIFY = "swapcache-verify"
# Scenario 6b: the stand-in sizes (GiB) and the systems constructed over them.
MEM_GIB = [64, 1024, 4096]
MEM_SYS = ["swapcache", "dm-cache-32k", "dm-cache-64k"]
MEM_PARTS = ["vmalloc", "vmalloc_pages", "sunreclaim", "percpu", "bufio"]
# ZFS L2ARC's in-core header for a block that is only on the cache device:
# 96 bytes plus a 32-byte checksum since illumos 5408, "managing ZFS cache
# devices requires lots of RAM" (OpenZFS commit b9541d6).
L2ARC_HDR = 128


class Incomplete(Exception):
    """The CSV cannot make a whole report; the message says why."""


def parse_console(log):
    """The CSV rows (6 fields each) between the markers of a console log."""
    log = log.replace("\r", "")
    m = re.search(r"^=== BENCH-CSV BEGIN (\d+) ===$(.*?)^=== BENCH-CSV END (\d+) ===$",
                  log, re.M | re.S)
    if not m:
        raise Incomplete("no CSV between the markers in the console log")
    n = int(m.group(1))
    rows = []
    for line in m.group(2).splitlines():
        if not line.startswith("@csv,"):
            continue  # a kernel message on the console
        f = line[len("@csv,"):].split(",")
        if len(f) != 6:
            raise Incomplete(f"malformed CSV row: {line!r}")
        rows.append(f)
    if len(rows) != n or int(m.group(3)) != n:
        raise Incomplete(f"the guest printed {n} rows, {len(rows)} arrived intact")
    return rows


class Figures:
    """The rows by key: numbers by (section, system, metric, index), text
    by (section, system, metric)."""

    def __init__(self, rows):
        self.rows = rows
        self.V = {}
        self.TEXT = {}
        for sec, sysn, met, idx, val, unit in rows:
            if unit == "text":
                self.TEXT[(sec, sysn, met)] = val
            else:
                self.V[(sec, sysn, met, int(idx))] = float(val)

    def get(self, sec, sysn, met, idx=0):
        k = (sec, sysn, met, idx)
        if k not in self.V:
            raise Incomplete(f"missing from the CSV: {sec}/{sysn}/{met}/{idx}")
        return self.V[k]

    def meta(self, k):
        return int(self.get("meta", "all", k))


SCENARIOS = range(1, 10)


def every(F):
    """Every scenario of the run's bench: consoles from before 4b and 8
    (bench/results/) have no TIGHT_SSD_MIB knob, and neither scenario;
    those from before 9 no NET_HOT_MIB."""
    if ("meta", "all", "NET_HOT_MIB", 0) in F.V:
        return set(SCENARIOS)
    return set(range(1, 9)) if ("meta", "all", "TIGHT_SSD_MIB", 0) in F.V else set(range(1, 8))


def net_rtts(F):
    """Scenario 9's round-trip times (µs), in the order run: the NET_RTT_US
    rows, indexed from 1."""
    out, i = [], 1
    while ("meta", "all", "NET_RTT_US", i) in F.V:
        out.append(int(F.get("meta", "all", "NET_RTT_US", i)))
        i += 1
    return out


def selected(F):
    """The scenarios the run measured: the ONLY knob's digits (4,5 -> 45),
    0 for all; consoles from before the knob ran them all."""
    if ("meta", "all", "ONLY", 0) not in F.V or F.meta("ONLY") == 0:
        return every(F)
    return {int(d) for d in str(F.meta("ONLY"))}


def full(F):
    return selected(F) == every(F)


def with_verify(F):
    """Whether the block scenarios measured swapcache-verify beside
    swapcache: consoles from before it (bench/results/) did not."""
    return ("meta", "all", "HIT_VERIFY", 0) in F.V


def block_systems(F, systems):
    """The hit or miss path's systems, swapcache-verify last if measured."""
    return systems + [VERIFY] if with_verify(F) else systems


def sc_warmup(sel):
    """Whether swapcache's warm-up ran: 3, 4 (before the backup) and 7 (7a)
    need it."""
    return bool(sel & {3, 4, 7})


def check(F):
    """Raise Incomplete unless every figure the tables need is there."""
    missing = []

    def need(sec, systems, metrics, indexes):
        for s in systems:
            for mt in metrics:
                for i in indexes:
                    if (sec, s, mt, i) not in F.V:
                        missing.append(f"{sec}/{s}/{mt}/{i}")

    # The knobs, which the guest prints first: the counts of rounds and
    # passes say which other rows to look for.
    need("meta", ["all"], ["ROUNDS", "PASSES", "RUNTIME", "MEMCG_MIB", "HOT_MIB",
                           "SSD_MIB", "COLD_MIB", "HIT_MIB", "MISS_MIB", "HDD_NS"], [0])
    if missing:
        raise Incomplete("missing from the CSV: " + ", ".join(missing))
    sel = selected(F)
    if ("meta", "all", "ONLY", 0) in F.V and 6 in sel:
        # Runs since the scale part of scenario 6 exists; older consoles
        # (bench/results/) have neither it nor the knob.
        check_memory(F, need)
    R = range(1, F.meta("ROUNDS") + 1)
    PP = range(1, F.meta("PASSES") + 1)
    need("meta", ["all"], ["complete", "total_seconds"], [0])
    if 1 in sel:
        need("hit", block_systems(F, HIT), ["iops", "clat_mean", "clat_p99", "hdd_reads", "ssd_reads"], R)
        need("prep", block_systems(F, CACHES), ["passes", "hdd_reads_last_pass"], [0])
    if 2 in sel:
        need("miss", block_systems(F, MISS), ["iops", "clat_mean", "clat_p99", "hdd_reads", "ssd_reads"], R)
    for sec, n in (("hit", 1), ("miss", 2)):
        if with_verify(F) and n in sel:
            need(sec, ["swapcache", VERIFY], ["read_hits", "ssd_errors"], R)
    if 3 in sel:
        need("warmup", FS, ["iops", "hits", "misses", "cg_ssd_reads", "cg_hdd_reads"], PP)
    if sc_warmup(sel):
        need("warmup", ["swapcache"], ["iops", "hits", "misses", "cg_ssd_reads", "cg_hdd_reads",
                                       "cpu_ticks"], PP)
        need("warmup", ["swapcache"], ["iops_scanner_off", "hits_scanner_off", "misses_scanner_off"], [0])
        need("memory", ["swapcache"], ["map_bytes", "map_page_bytes", "slots", "used"], [0])
        need("cpu", ["swapcache"], ["warmup_start", "warmup_ticks", "warmup_written"], [0])
    if 4 in sel:
        need("pollution", CACHES, ["during_iops", "during_cg_ssd_reads", "during_cg_hdd_reads",
             "cold_kibps", "after_iops", "after_hits", "after_misses",
             "after_cg_ssd_reads", "after_cg_hdd_reads"], [0])
        need("pollution", CACHES, ["during_ssd_sectors_written", "during_admitted"], [0])
    if {4, 5} <= sel:
        need("wear", CACHES, ["ssd_sectors_read", "ssd_sectors_written"], [0])
        need("wear", ["swapcache"], ["write_count"], [0])
    if 5 in sel:
        need("rate", ["swapcache"], ["accrate", "seconds", "bytes"], [0])
        need("rate", ["swapcache"], ["curburst_after", "reader_iops", "window_seconds", "window_bytes"], [0])
    if 4 in sel and 8 in every(F):
        need("meta", ["all"], ["TIGHT_SSD_MIB", "REST_FILES"], [0])
        need("rest", CACHES, ["warm_hits", "warm_misses"], PP)
        need("rest", CACHES, ["backup_seconds", "backup_ssd_sectors_written", "backup_admitted",
             "after_iops", "after_hits", "after_misses", "after_cg_ssd_reads",
             "after_cg_hdd_reads"], [0])
        need("rest", ["swapcache"], ["backup_evicted"], [0])
    if 8 in sel:
        need("meta", ["all"], ["AMP_SSD_MIB"], [0])
        need("amp", ["swapcache"], ["ssd_sectors_written", "hits", "misses", "cg_ssd_reads",
             "cg_hdd_reads", "written", "evicted"], PP)
    if 9 in sel:
        need("meta", ["all"], ["NET_HOT_MIB", "NET_MEMCG_MIB", "NET_SSD_MIB", "NET_DIRECT_MIB"], [0])
        need("meta", ["all"], ["NET_RTT_US"], [1])
        need("netdirect", ["raw-ssd"], NET_DIRECT, [0])
        need("netwarmssd", ["raw-ssd"], NET_WARM, PP)
        need("netdirect", ["raw-nbd"], NET_DIRECT, [0])
        need("netdirect", ["lo"], ["ping_rtt"], [0])
        for us in net_rtts(F):
            need("netdirect", ["raw-nbd"], NET_DIRECT, [us])
            need("netdirect", ["lo"], ["ping_rtt"], [us])
            need(f"netwarm{us}", NET, NET_WARM, PP)
            need(f"netpoll{us}", CACHES, NET_POLL, [0])
    if 7 in sel:
        need("smallfiles", ["swapcache"], ["files", "admitted", "admit_ticks", "admit_seconds",
             "create_seconds", "used", "slots", "map_bytes", "map_page_bytes"], [0])
        need("smallfiles", ["swapcache"], ["idle_ticks", "idle_seconds", "idle_written"], [0])
        need("resident", ["swapcache"], ["admitted", "admit_ticks", "admit_seconds"], [0])
        need("resident", ["ssd"], ["ssd_write_ticks", "ssd_write_bytes"], [0])
    if missing:
        raise Incomplete("missing from the CSV: " + ", ".join(missing[:20]))
    if ("meta", "all", "kernel_release") not in F.TEXT:
        raise Incomplete("the CSV does not say which kernel ran")


def check_memory(F, need):
    """The rows of scenario 6b, through check()'s need(): which ones depends
    on what each construction came to (refused, not attempted)."""
    need("meta", ["all"], ["MEM_REPS", "MEM_WARM_MIB", "MEM_SCATTER_PAGES"], [0])
    need("memctor", ["all"], ["slabinfo_swapcache"], [0])
    need("memctor", MEM_SYS, ["failed"], MEM_GIB)
    need("memctor", MEM_SYS[1:], ["blocks", "estimate", "skipped"], MEM_GIB)
    for s in MEM_SYS:
        for g in MEM_GIB:
            if F.V.get(("memctor", s, "failed", g), 1) or F.V.get(("memctor", s, "skipped", g), 0):
                continue
            need("memctor", [s], MEM_PARTS, [g])
            if s == "swapcache":
                need("memctor", [s], ["slots"], [g])
                if ("meta", "all", "MEM_REPS", 0) in F.V:
                    need("ctortime", [s], [f"gib{g}"], range(1, F.meta("MEM_REPS") + 1))
            else:
                need("ctortime", [s], [f"gib{g}"], [1])
    need("memwarm", ["swapcache"], MEM_PARTS + ["used", "vmalloc_left"], [0])
    need("memscatter", ["swapcache"], MEM_PARTS + ["used", "resident"], [0])


med = statistics.median


def ratio(a, b):
    return a / b if b else float("nan")


def pct(a, b):
    return f"{100 * a / b:.1f}%" if b else "n/a"


def f0(x):
    return f"{x:.0f}"


def f1(x):
    return f"{x:.1f}"


def f2(x):
    return f"{x:.2f}"


def f3(x):
    return f"{x:.3f}"


def path_row(F, sec, s, raw, R, extra=None):
    """One system's row of the hit or miss path table: IOPS, latencies and
    the ratio to the raw device, medians over rounds R; then EXTRA, a column
    only the hit path has; then the share of reads the SSD served."""
    get = F.get
    ios = [get(sec, s, "iops", r) for r in R]
    rr = [ratio(get(sec, s, "iops", r), get(sec, raw, "iops", r)) for r in R]
    sr = sum(get(sec, s, "ssd_reads", r) for r in R)
    hr = sum(get(sec, s, "hdd_reads", r) for r in R)
    share = pct(sr, sr + hr) if s in CACHES + [VERIFY] else "—"
    cells = [s, f0(med(ios)), f1(med([get(sec, s, "clat_mean", r) for r in R])),
             f0(med([get(sec, s, "clat_p99", r) for r in R])), f3(med(rr)),
             " ".join(f2(x) for x in rr)]
    if extra is not None:
        cells.append(extra)
    cells.append(share)
    return "| " + " | ".join(cells) + " |"


def verify_line(F, sec, R):
    """The cost of verify on the hit or miss path: swapcache-verify's IOPS
    over swapcache's, per round (they run next to each other in every
    round), and swapcache's own counts, which say whether the reads were
    hits (read_hits) that passed their check (ssd_errors)."""
    get = F.get
    rr = [ratio(get(sec, VERIFY, "iops", r), get(sec, "swapcache", "iops", r)) for r in R]
    parts = []
    for s in ("swapcache", VERIFY):
        hits = sum(get(sec, s, "read_hits", r) for r in R)
        ssd = sum(get(sec, s, "ssd_reads", r) for r in R)
        parts.append(f"{s} {hits:.0f} read_hits for {ssd:.0f} SSD reads, "
                     f"ssd_errors={get(sec, s, 'ssd_errors', R[-1]):.0f} at the end")
    what = "hit" if sec == "hit" else "miss"
    return (f"Verify on beside off ({what} path): {VERIFY} IOPS / swapcache IOPS per round "
            + " ".join(f2(x) for x in rr) + f", median **{f3(med(rr))}**. "
            "swapcache's own counters over these rounds: " + "; ".join(parts) + "."
            + (f" crc32c driver: `{F.TEXT[('meta', 'all', 'crc32c_driver')]}`."
               if ("meta", "all", "crc32c_driver") in F.TEXT else ""))


def render(F, env):
    """results.md: a table or a paragraph per scenario."""
    rows, V, TEXT, get, meta = F.rows, F.V, F.TEXT, F.get, F.meta
    ROUNDS, PASSES = meta("ROUNDS"), meta("PASSES")
    R = range(1, ROUNDS + 1)
    PP = range(1, PASSES + 1)
    md = []
    P = md.append
    P(f"Kernel `{TEXT[('meta', 'all', 'kernel_release')]}`, QEMU TCG, 2 vCPUs; "
      f"{ROUNDS} rounds of {meta('RUNTIME')} s for the block scenarios, "
      f"{PASSES} warm-up passes; whole run {get('meta', 'all', 'total_seconds'):.0f} s. "
      f"Module sha256 {env.get('BENCH_KO', '?')}…, built from tree {env.get('BENCH_TREE', '?')}.")
    P("")
    sel = selected(F)
    if not full(F):
        what = ("the memory scenario only" if sel == {6} else
                "scenario" + ("s " if len(sel) > 1 else " ") + ", ".join(map(str, sorted(sel))) + " only")
        md[0] = (f"Kernel `{TEXT[('meta', 'all', 'kernel_release')]}`, QEMU TCG, 2 vCPUs; "
                 f"{what} (BENCH_ONLY={','.join(map(str, sorted(sel)))}); whole run "
                 f"{get('meta', 'all', 'total_seconds'):.0f} s. Module sha256 "
                 f"{env.get('BENCH_KO', '?')}…, built from tree {env.get('BENCH_TREE', '?')}.")
    if sel == {6}:
        memory_scale(F, P)
        return "\n".join(md) + "\n"
    if sel != {9}:  # scenario 9's heading says what its devices are
        P(f"Devices: slow disk = null_blk, {meta('HDD_NS') / 1e6:g} ms hrtimer completion; "
          f"SSD = null_blk, inline completion, {meta('SSD_MIB')} MiB; each system its own fresh pair.")
        P("")

    if 1 in sel:
        # Scenario 1
        P("### 1. Hit path: 4 KiB random O_DIRECT reads of a cached "
          f"{meta('HIT_MIB')} MiB range (psync, QD1)")
        P("")
        P("| system | IOPS | mean µs | p99 µs | × raw SSD (median of rounds) | rounds | × dm-linear (median) | reads served by the SSD |")
        P("|---|---|---|---|---|---|---|---|")
        for s in block_systems(F, HIT):
            rl = [ratio(get("hit", s, "iops", r), get("hit", "dm-linear", "iops", r)) for r in R]
            P(path_row(F, "hit", s, "raw-ssd", R, f3(med(rl)) if s in CACHES + [VERIFY] else "—"))
        P("")
        if with_verify(F):
            P(verify_line(F, "hit", R))
            P("")
        P("dm-linear is a plain device-mapper target over the raw SSD: the part of every "
          "dm target's cost that is device-mapper's own.")
        P("")
        prep = []
        for s in block_systems(F, CACHES):
            prep.append(f"{s} {get('prep', s, 'passes'):.0f} pass(es), "
                        f"{get('prep', s, 'hdd_reads_last_pass'):.0f} slow-disk reads in the last")
        P("Caching the range: swapcache by `dmsetup message sc 0 warm`; dm-cache and bcache "
          "by passes of random 4 KiB reads, each block once, until a pass reads nothing "
          "from the slow disk (at most 12); every cache then gets such a pass as a check: "
          + "; ".join(prep) + ".")
        P("")

    if 2 in sel:
        # Scenario 2
        P(f"### 2. Miss path: the same reads on never-read blocks ({meta('MISS_MIB') // 2} MiB "
          f"read once each out of a fresh {meta('MISS_MIB')} MiB range per round)")
        P("")
        P("| system | IOPS | mean µs | p99 µs | × raw slow disk (median of rounds) | rounds | reads served by the SSD |")
        P("|---|---|---|---|---|---|---|")
        for s in block_systems(F, MISS):
            P(path_row(F, "miss", s, "raw-hdd", R))
        P("")
        if with_verify(F):
            P(verify_line(F, "miss", R))
            P("")

    if 3 in sel:
        # Scenario 3
        P(f"### 3. Buffered warm-up: ext4, a {meta('HOT_MIB')} MiB opted-in file, memory cgroup "
          f"limit {meta('MEMCG_MIB')} MiB, 4 KiB random reads, each block once per pass")
        P("")
        hdr = " | ".join(f"pass {p}" for p in PP)
        P(f"IOPS per pass:\n\n| system | {hdr} |")
        P("|---|" + "---|" * PASSES)
        for s in FS:
            P(f"| {s} | " + " | ".join(f0(get("warmup", s, "iops", p)) for p in PP) + " |")
        P("")
        P(f"SSD hit ratio per pass, from each cache's own counters (in brackets: the "
          f"reader's cgroup, SSD reads / all its device reads, from io.stat):\n\n| system | {hdr} |")
        P("|---|" + "---|" * PASSES)
        for s in CACHES:
            cells = []
            for p in PP:
                h, mi = get("warmup", s, "hits", p), get("warmup", s, "misses", p)
                cs, ch = get("warmup", s, "cg_ssd_reads", p), get("warmup", s, "cg_hdd_reads", p)
                cells.append(f"{pct(h, h + mi)} ({pct(cs, cs + ch)})")
            P(f"| {s} | " + " | ".join(cells) + " |")
        P("")
        steady = lambda s: med([get("warmup", s, "iops", p) for p in range(2, PASSES + 1)])
        peers = {s: steady(s) for s in ["dm-cache", "bcache"]}
        best = max(peers, key=peers.get)
        P(f"Steady state (median of passes 2-{PASSES}): swapcache {f0(steady('swapcache'))} IOPS, "
          f"best peer {best} {f0(peers[best])} IOPS: × {f3(ratio(steady('swapcache'), peers[best]))}; "
          f"raw SSD {f0(steady('raw-ssd'))}, raw slow disk {f0(steady('raw-hdd'))}.")
        P("")
        cpu = [get("cpu", "swapcache", "warmup_start")] + [get("warmup", "swapcache", "cpu_ticks", p) for p in PP]
        P("swapcached's CPU time per pass (s): " +
          ", ".join(f"{(cpu[p] - cpu[p - 1]) / 100:.2f}" for p in PP) +
          f". One more pass after pass {PASSES} with the scanner off (data_enable=0, "
          f"meta_enable=0; {get('warmup', 'swapcache', 'hits_scanner_off'):.0f} hits, "
          f"{get('warmup', 'swapcache', 'misses_scanner_off'):.0f} misses): "
          f"{f0(get('warmup', 'swapcache', 'iops_scanner_off'))} IOPS.")
        P("")

    if 4 in sel:
        # Scenario 4
        P(f"### 4. Pollution: the hot file read while a backup job reads a "
          f"{meta('COLD_MIB')} MiB file (4 × the SSD, not opted in) once, sequentially, 1 MiB reads")
        P("")
        P("| system | hot IOPS during | hot hit ratio during (cgroup) | backup MiB/s | SSD MiB written during the backup | cache's own account | hot IOPS after (one pass) | hot hit ratio after (own counters) | after (cgroup) |")
        P("|---|---|---|---|---|---|---|---|---|")
        UNIT = {r[1]: r[5] for r in rows if r[0] == "pollution" and r[2] == "during_admitted"}
        for s in CACHES:
            g = lambda mt: get("pollution", s, mt)
            ad, u = g("during_admitted"), UNIT.get(s, "")
            own = f"{ad / 2**20:.1f} MiB bypassed" if u == "bytes_bypassed" else f"{ad:.0f} {u.replace('_', ' ')}"
            P(f"| {s} | {f0(g('during_iops'))} | {pct(g('during_cg_ssd_reads'), g('during_cg_ssd_reads') + g('during_cg_hdd_reads'))} | "
              f"{f1(g('cold_kibps') / 1024)} | {f1(g('during_ssd_sectors_written') * 512 / 2**20)} | {own} | {f0(g('after_iops'))} | "
              f"{pct(g('after_hits'), g('after_hits') + g('after_misses'))} | "
              f"{pct(g('after_cg_ssd_reads'), g('after_cg_ssd_reads') + g('after_cg_hdd_reads'))} |")
        P("")

    # Scenario 4b
    if 4 in sel and 8 in every(F):
        ts = meta("TIGHT_SSD_MIB")
        P(f"### 4b. Pollution at rest: a {ts} MiB SSD ({ts / meta('HOT_MIB'):.2f} × the hot file), "
          f"the hot file warmed up ({PASSES} passes), then a backup of {4 * ts} MiB in "
          f"{meta('REST_FILES')} files (`find | xargs cat`, not opted in) while it rests, "
          "then one hot pass")
        P("")
        P("| system | hit ratio, last warm pass | backup s | SSD MiB written during the backup | cache's own account | "
          "first hot pass after: hit ratio (own counters) | (cgroup) | IOPS |")
        P("|---|---|---|---|---|---|---|---|")
        UNIT = {r[1]: r[5] for r in rows if r[0] == "rest" and r[2] == "backup_admitted"}
        for s in CACHES:
            g = lambda mt, i=0: get("rest", s, mt, i)
            ad, u = g("backup_admitted"), UNIT.get(s, "")
            own = f"{ad / 2**20:.1f} MiB bypassed" if u == "bytes_bypassed" else f"{ad:.0f} {u.replace('_', ' ')}"
            if s == "swapcache":
                own += f", {g('backup_evicted'):.0f} pages evicted"
            wh, wm = g("warm_hits", PASSES), g("warm_misses", PASSES)
            P(f"| {s} | {pct(wh, wh + wm)} | {f1(g('backup_seconds'))} | "
              f"{f1(g('backup_ssd_sectors_written') * 512 / 2**20)} | {own} | "
              f"{pct(g('after_hits'), g('after_hits') + g('after_misses'))} | "
              f"{pct(g('after_cg_ssd_reads'), g('after_cg_ssd_reads') + g('after_cg_hdd_reads'))} | "
              f"{f0(g('after_iops'))} |")
        P("")

    # Scenario 5
    if {4, 5} <= sel:
        P("### 5. Wear: SSD traffic over scenarios 3 and 4 (the SSD's own /sys/block stat)")
        P("")
        P("| system | SSD MiB read | SSD MiB written | bytes written per byte read |")
        P("|---|---|---|---|")
        for s in CACHES:
            rd = get("wear", s, "ssd_sectors_read") * 512
            wr = get("wear", s, "ssd_sectors_written") * 512
            P(f"| {s} | {f1(rd / 2**20)} | {f1(wr / 2**20)} | {f3(ratio(wr, rd))} |")
        P("")
    elif 5 in sel:
        P("### 5. Write rate: swapcache at a fixed budget")
        P("")
    if 5 in sel:
        acc, secs, byt = get("rate", "swapcache", "accrate"), get("rate", "swapcache", "seconds"), get("rate", "swapcache", "bytes")
        ws, wb = get("rate", "swapcache", "window_seconds"), get("rate", "swapcache", "window_bytes")
        P((f"swapcache's `write_count` over 3 and 4: {get('wear', 'swapcache', 'write_count') / 2**20:.1f} MiB. "
           if 4 in sel else "") +
          f"Write rate at a fixed budget: accrate {acc:.0f} B/s, budget emptied, minburst = accrate, "
          f"reader kept {f0(get('rate', 'swapcache', 'reader_iops'))} IOPS of uncached pages coming for {secs:.1f} s: "
          f"{byt:.0f} bytes written = {byt / secs:.0f} B/s = × {f3(ratio(byt / secs, acc))} accrate "
          f"(budget left at the end: {get('rate', 'swapcache', 'curburst_after'):.0f} bytes); "
          f"from 10 s in to 5 s before the end ({ws:.1f} s): {wb:.0f} bytes = {wb / ws:.0f} B/s = "
          f"**× {f3(ratio(wb / ws, acc))} accrate**" +
          (f"; swapcached used {get('rate', 'swapcache', 'window_cpu_ticks') / 100:.2f} s of CPU in that window."
           if ("rate", "swapcache", "window_cpu_ticks", 0) in V else "."))
        P("")

    # Scenario 6: 6a for what was measured (the map after swapcache's
    # warm-up, after the small files), 6b when it ran.
    maps = [(sec, what) for sec, what in (("memory", f"{meta('SSD_MIB')} MiB, after the warm-up"),
                                          ("smallfiles", "small-file SSD, after admitting them"))
            if (sec, "swapcache", "map_bytes", 0) in V]
    if maps and 6 in sel:
        P("### 6. Memory: swapcache's map (the constructor's vmalloc areas in /proc/vmallocinfo; "
          "in brackets without their guard pages)")
        P("")
        P("| cache | map bytes | cache slots | bytes per slot | pages cached | bytes per cached page | per page at the 75% watermark |")
        P("|---|---|---|---|---|---|---|")
        for sec, what in maps:
            mb, mp = get(sec, "swapcache", "map_bytes"), get(sec, "swapcache", "map_page_bytes")
            sl, us = get(sec, "swapcache", "slots"), get(sec, "swapcache", "used")
            P(f"| {what} | {mb:.0f} ({mp:.0f}) | {sl:.0f} | {f2(mb / sl)} ({f2(mp / sl)}) | {us:.0f} | "
              f"{f2(ratio(mb, us))} ({f2(ratio(mp, us))}) | {f2(mb / (sl * 0.75))} ({f2(mp / (sl * 0.75))}) |")
        P("")
    if ("meta", "all", "ONLY", 0) in V and 6 in sel:
        memory_scale(F, P)

    # Scenario 8
    if 8 in sel:
        P(f"### 8. Write amplification: swapcache on a {meta('AMP_SSD_MIB')} MiB SSD, the "
          f"{meta('HOT_MIB')} MiB opted-in file read in passes with {meta('MEMCG_MIB')} MiB of it "
          "resident (the warm-up's reader), budget unlimited")
        P("")
        P("| pass | device reads (hits + misses) | hit ratio (own counters) | (cgroup) | SSD MiB written | "
          "SSD bytes written per byte read from the devices | pages written, evicted so far |")
        P("|---|---|---|---|---|---|---|")
        tw = tr = 0
        for p in PP:
            g = lambda mt: get("amp", "swapcache", mt, p)
            rd = g("hits") + g("misses")
            wr = g("ssd_sectors_written") * 512
            tw, tr = tw + wr, tr + rd * 4096
            P(f"| {p} | {rd:.0f} | {pct(g('hits'), rd)} | "
              f"{pct(g('cg_ssd_reads'), g('cg_ssd_reads') + g('cg_hdd_reads'))} | {f1(wr / 2**20)} | "
              f"{f3(ratio(wr, rd * 4096))} | {g('written'):.0f}, {g('evicted'):.0f} |")
        P("")
        P(f"All passes: {f1(tw / 2**20)} MiB written to the SSD for {f1(tr / 2**20)} MiB read from the "
          f"devices: **{f3(ratio(tw, tr))}** bytes written per byte read.")
        P("")

    if 9 in sel:
        net_tables(F, P)

    if 7 in sel:
        # Scenario 7
        tk, wrp = get("cpu", "swapcache", "warmup_ticks"), get("cpu", "swapcache", "warmup_written")
        gib = wrp * 4096 / 2**30
        P("### 7. Scanner cost: CPU time of the `swapcached` thread (utime + stime)")
        P("")
        P(f"- Warm-up (scenario 3, all passes): {tk / 100:.2f} s of CPU for {wrp:.0f} pages "
          f"admitted ({gib * 1024:.1f} MiB): {ratio(tk / 100, gib):.1f} s per GiB admitted.")
        nf = get("smallfiles", "swapcache", "files")
        at, ap = get("smallfiles", "swapcache", "admit_ticks"), get("smallfiles", "swapcache", "admitted")
        agib = ap * 4096 / 2**30
        P(f"- {nf:.0f} one-page opted-in files (created in {get('smallfiles', 'swapcache', 'create_seconds'):.0f} s): "
          f"admitting {ap:.0f} pages took {at / 100:.2f} s of CPU over {get('smallfiles', 'swapcache', 'admit_seconds'):.0f} s "
          f"({ratio(at / 100, agib):.1f} s per GiB); {get('smallfiles', 'swapcache', 'used'):.0f} pages cached "
          f"of {get('smallfiles', 'swapcache', 'slots'):.0f} slots.")
        for h in sorted({k[3] for k in V if k[:3] == ("smallfiles", "swapcache", "idle_ticks")}):
            it, isec = get("smallfiles", "swapcache", "idle_ticks", h), get("smallfiles", "swapcache", "idle_seconds", h)
            iw = get("smallfiles", "swapcache", "idle_written", h)
            ep = V.get(("smallfiles", "swapcache", "event_pass_ticks", h))
            if ep is not None:
                P(f"- Writing hysteresis={h} (a parameter write is an event): {ep / 100:.2f} s of CPU "
                  f"until the thread stood still.")
            ml = V.get(("smallfiles", "swapcache", "event_pass_memo_lookups", h))
            if ml is not None:
                mf = get("smallfiles", "swapcache", "event_pass_memo_found", h)
                mm = get("smallfiles", "swapcache", "event_pass_memo_met", h)
                mt = get("smallfiles", "swapcache", "event_pass_memo_table", h)
                P(f"  Its group memo: {mf:.0f} of {ml:.0f} lookups found ({100 * ratio(mf, ml):.0f}%), "
                  f"{mm:.0f} groups met, a table of {mt:.0f} groups.")
            P(f"- Idle over them, nothing left to write, hysteresis={h}: {it / 100:.2f} s of CPU in {isec:.0f} s "
              f"({100 * it / 100 / isec:.1f}% of one CPU), {iw:.0f} pages written.")
        rt, rp = get("resident", "swapcache", "admit_ticks"), get("resident", "swapcache", "admitted")
        rgib = rp * 4096 / 2**30
        st, sb = get("resident", "ssd", "ssd_write_ticks"), get("resident", "ssd", "ssd_write_bytes")
        P(f"- A resident {rgib * 1024:.1f} MiB file, no reader beside (7c): admitting {rp:.0f} pages took "
          f"{rt / 100:.2f} s of CPU over {get('resident', 'swapcache', 'admit_seconds'):.0f} s "
          f"({ratio(rt / 100, rgib):.1f} s per GiB); the same bytes written to the emulated SSD by `dd` "
          f"(O_DIRECT, 64 KiB): {st / 100:.2f} s of CPU ({ratio(st / 100, sb / 2**30):.1f} s per GiB).")
        P("")
    return "\n".join(md) + "\n"


def net_tables(F, P):
    """Scenario 9: the network origin, a table per round trip, then the
    claim: warmed swapcache over the raw network device, and over the raw
    SSD."""
    get, meta = F.get, F.meta
    PASSES = meta("PASSES")
    PP = range(1, PASSES + 1)
    rtts = net_rtts(F)
    ssd = meta("NET_SSD_MIB")
    P(f"### 9. Network origin: NBD over the guest's loopback (nbd-server exporting an inline null_blk), "
      f"netem delay RTT/2 each way on lo; SSD = null_blk, inline completion; a {meta('NET_HOT_MIB')} MiB opted-in file, memory cgroup "
      f"limit {meta('NET_MEMCG_MIB')} MiB, {PASSES} warm-up passes, then the hot file beside a "
      f"{4 * ssd} MiB backup and one more pass; SSD {ssd} MiB; each system fresh at every RTT")
    P("")
    P(f"One 4 KiB read, O_DIRECT, no cache (the raw device's first {meta('NET_DIRECT_MIB')} MiB, "
      "each block once, QD1); ping: busybox's, 5 echoes over lo:")
    P("")
    P("| device | RTT set (µs) | ping RTT (µs) | IOPS | mean µs | p99 µs |")
    P("|---|---|---|---|---|---|")
    P(f"| raw SSD | — | — | {f0(get('netdirect', 'raw-ssd', 'iops'))} | "
      f"{f1(get('netdirect', 'raw-ssd', 'clat_mean'))} | {f0(get('netdirect', 'raw-ssd', 'clat_p99'))} |")
    for us in [0] + rtts:
        g = lambda mt: get("netdirect", "raw-nbd", mt, us)
        P(f"| raw NBD | {us or '0 (no netem)'} | {f0(get('netdirect', 'lo', 'ping_rtt', us))} | {f0(g('iops'))} | "
          f"{f1(g('clat_mean'))} | {f0(g('clat_p99'))} |")
    P("")
    hdr = " | ".join(f"pass {p}" for p in PP)
    for us in rtts:
        sec = f"netwarm{us}"
        P(f"RTT {us} µs: IOPS, hit ratio (the cache's own counters), p99 µs, per pass; during the "
          "backup: IOPS, hit ratio (the reader's cgroup, SSD reads / its device reads); after it: "
          "IOPS, hit ratio (own counters):")
        P("")
        P(f"| system | {hdr} | during the backup | after |")
        P("|---|" + "---|" * (PASSES + 2))
        for s in NET:
            cells = []
            for p in PP:
                h, mi = get(sec, s, "hits", p), get(sec, s, "misses", p)
                hit = pct(h, h + mi) if s in CACHES else "—"
                cells.append(f"{f0(get(sec, s, 'iops', p))}, {hit}, {f0(get(sec, s, 'clat_p99', p))}")
            if s in CACHES:
                g = lambda mt: get(f"netpoll{us}", s, mt)
                cells.append(f"{f0(g('during_iops'))}, "
                             f"{pct(g('during_cg_ssd_reads'), g('during_cg_ssd_reads') + g('during_cg_hdd_reads'))}")
                cells.append(f"{f0(g('after_iops'))}, {pct(g('after_hits'), g('after_hits') + g('after_misses'))}")
            else:
                cells += ["—", "—"]
            P(f"| {s} | " + " | ".join(cells) + " |")
        P("")
    ssd_iops = med([get("netwarmssd", "raw-ssd", "iops", p) for p in PP])
    P(f"The same passes on the raw SSD (no network): IOPS " +
      ", ".join(f0(get("netwarmssd", "raw-ssd", "iops", p)) for p in PP) +
      f" (median {f0(ssd_iops)}), p99 µs " +
      ", ".join(f0(get("netwarmssd", "raw-ssd", "clat_p99", p)) for p in PP) + ".")
    P("")
    WP = range(2, PASSES + 1) if PASSES > 1 else PP
    wp = f"the median IOPS of passes {WP[0]}-{WP[-1]}" if len(WP) > 1 else f"pass {WP[0]}'s IOPS"
    P(f"Warmed caches ({wp}, after the first pass has filled them) over the raw "
      f"NBD device and the raw SSD (the medians of all their passes, which are alike: no cache); "
      f"hit ratio and p99 over the same passes:")
    P("")
    P("| RTT set (µs) | ping RTT (µs) | raw NBD IOPS | p99 µs | swapcache IOPS | p99 µs | hit ratio | "
      "× raw NBD | × raw SSD | dm-cache × raw NBD | bcache × raw NBD |")
    P("|---|---|---|---|---|---|---|---|---|---|---|")
    claim = {}
    for us in rtts:
        sec = f"netwarm{us}"
        raw = med([get(sec, "raw-nbd", "iops", p) for p in PP])
        warm = {s: med([get(sec, s, "iops", p) for p in WP]) for s in CACHES}
        h = sum(get(sec, "swapcache", "hits", p) for p in WP)
        mi = sum(get(sec, "swapcache", "misses", p) for p in WP)
        claim[us] = (warm["swapcache"], raw)
        P(f"| {us} | {f0(get('netdirect', 'lo', 'ping_rtt', us))} | {f0(raw)} | "
          f"{f0(med([get(sec, 'raw-nbd', 'clat_p99', p) for p in PP]))} | {f0(warm['swapcache'])} | "
          f"{f0(med([get(sec, 'swapcache', 'clat_p99', p) for p in WP]))} | {pct(h, h + mi)} | "
          f"{f2(ratio(warm['swapcache'], raw))} | {f3(ratio(warm['swapcache'], ssd_iops))} | "
          f"{f2(ratio(warm['dm-cache'], raw))} | {f2(ratio(warm['bcache'], raw))} |")
    P("")
    if 1000 in claim:
        sc, raw = claim[1000]
        P(f"The claim at a 1 ms round trip (as set; ping's above): warmed swapcache {f0(sc)} IOPS over "
          f"raw NBD {f0(raw)}: **× {f2(ratio(sc, raw))}**; over the raw SSD {f0(ssd_iops)}: "
          f"**× {f3(ratio(sc, ssd_iops))}**.")
        P("")


def mib(x):
    return f"{x / 2**20:.2f} MiB"


def ram(F, sec, s, i):
    """The RAM figure of a measurement: vmalloc pages, slab, per-cpu and
    dm-bufio differences summed."""
    return sum(F.get(sec, s, p, i) for p in MEM_PARTS if p != "vmalloc")


def memory_scale(F, P):
    """Scenario 6b: RAM after construction over large stand-ins, and per
    cached page in the best and worst shapes, beside dm-cache and L2ARC."""
    get, V = F.get, F.V
    P("### 6b. Memory at scale: RAM right after construction (cache device: a stand-in of "
      "that size, a null_blk that is not memory backed, as a dm-zero table would be; "
      "origin: a 16 TiB one of the same kind)")
    P("")
    P("RAM = vmalloc pages of the system's modules (/proc/vmallocinfo; with guard pages "
      "in brackets) + SUnreclaim + Percpu differences (/proc/meminfo) + dm-bufio's "
      "`current_allocated_bytes`; constructor time = `dmsetup create`'s wall time, "
      f"swapcache's the median of {F.meta('MEM_REPS')}, dm-cache's one run.")
    P("")
    P("| system | SSD | blocks | RAM | per TiB of SSD | vmalloc | slab | per-cpu | dm-bufio | create ms | × the 64 GiB one |")
    P("|---|---|---|---|---|---|---|---|---|---|---|")
    base = {}
    for s in MEM_SYS:
        for g in MEM_GIB:
            size = f"{g} GiB" if g < 1024 else f"{g // 1024} TiB"
            blocks = (get("memctor", s, "slots", g) / 16 if s == "swapcache" and ("memctor", s, "slots", g) in V
                      else V.get(("memctor", s, "blocks", g), float("nan")))
            unit = "slabs" if s == "swapcache" else "blocks"
            head = f"| {s} | {size} | {blocks:.0f} {unit} |"
            if V.get(("memctor", s, "skipped", g), 0):
                P(f"{head} not attempted: about {mib(get('memctor', s, 'estimate', g))} in core "
                  "by the size below, more than the guest can spare | | | | | | | |")
                continue
            if get("memctor", s, "failed", g):
                P(f"{head} refused | | | | | | | |")
                continue
            reps = [k[3] for k in V if k[:3] == ("ctortime", s, f"gib{g}")]
            ms = med([get("ctortime", s, f"gib{g}", r) for r in reps])
            base.setdefault(s, ms)
            r = ram(F, "memctor", s, g)
            P(f"{head} {mib(r)} | {mib(r * 1024 / g)} | {mib(get('memctor', s, 'vmalloc_pages', g))} "
              f"({mib(get('memctor', s, 'vmalloc', g))}) | {get('memctor', s, 'sunreclaim', g) / 1024:.0f} KiB | "
              f"{get('memctor', s, 'percpu', g) / 1024:.0f} KiB | {get('memctor', s, 'bufio', g) / 1024:.0f} KiB | "
              f"{ms:.1f} | {f2(ratio(ms, base[s]))} |")
    P("")
    n = get("memctor", "all", "slabinfo_swapcache")
    P(f"Slab caches of swapcache's own in /proc/slabinfo: {n:.0f}.")
    P("")
    P("RAM per cached page (swapcache: what caching added after construction, 4 TiB stand-in; "
      "dm-cache: its RAM after construction at the largest size measured, which it "
      "allocates whole up front, over the pages its blocks hold):")
    P("")
    P("| system | shape | pages cached | RAM added | bytes per cached page | vmalloc alone, per page |")
    P("|---|---|---|---|---|---|")
    for sec, shape in (("memwarm", f"whole 16-page groups (`warm` of {F.meta('MEM_WARM_MIB')} MiB)"),
                       ("memscatter", f"scattered: every 16th page of a file resident, "
                                      f"{F.meta('MEM_SCATTER_PAGES')} pages, cached by the thread")):
        u, r = get(sec, "swapcache", "used"), ram(F, sec, "swapcache", 0)
        if not u:
            P(f"| swapcache | {shape} | none: the thread cached none of them in 120 s | — | — | — |")
            continue
        P(f"| swapcache | {shape} | {u:.0f} | {r / 1024:.0f} KiB | {f2(ratio(r, u))} | "
          f"{f2(ratio(get(sec, 'swapcache', 'vmalloc_pages'), u))} |")
    for s, ppb in (("dm-cache-32k", 8), ("dm-cache-64k", 16)):
        done = [g for g in MEM_GIB if not V.get(("memctor", s, "skipped", g), 0)
                and not get("memctor", s, "failed", g)]
        if not done:
            P(f"| {s} | — | — | never constructed | — | — |")
            continue
        g = done[-1]
        b, r = get("memctor", s, "blocks", g), ram(F, "memctor", s, g)
        for shape, pages in (("full, whole blocks", b * ppb), ("one wanted page per block", b)):
            P(f"| {s} | {shape} ({g} GiB) | {pages:.0f} | {mib(r)} | {f2(r / pages)} | "
              f"{f2(get('memctor', s, 'vmalloc_pages', g) / pages)} |")
    P(f"| ZFS L2ARC | per block only on the cache device: {L2ARC_HDR}-byte header | — | — | "
      f"{L2ARC_HDR} at 4 KiB records, {L2ARC_HDR // 8} at 32 KiB, {L2ARC_HDR // 32} at 128 KiB | — |")
    P("")
    left = get("memwarm", "swapcache", "vmalloc_left")
    P(f"After `invalidate` and removal, swapcache's vmalloc areas differ from before the "
      f"construction by {left:.0f} bytes.")
    P("")


def warmup_dat(F):
    """gnuplot's data: one block per system, pass / IOPS / hit %."""
    out = []
    for s in FS:
        out.append(f'"{s}" iops hit\n')  # the block's title, for columnheader
        for p in range(1, F.meta("PASSES") + 1):
            h, mi = F.get("warmup", s, "hits", p), F.get("warmup", s, "misses", p)
            hit = 100 * h / (h + mi) if s in CACHES and h + mi else float("nan")
            out.append(f"{p} {F.get('warmup', s, 'iops', p):.0f} {hit:.2f}\n")
        out.append("\n\n")
    return "".join(out)


def main(argv):
    if len(argv) != 2:
        sys.exit("usage: bench_report.py DIR")
    out = argv[1]
    with open(os.path.join(out, "console.log"), encoding="utf-8", errors="replace") as fh:
        log = fh.read()
    try:
        rows = parse_console(log)
        with open(os.path.join(out, "results.csv"), "w", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(["section", "system", "metric", "index", "value", "unit"])
            w.writerows(rows)
        F = Figures(rows)
        check(F)
        md = render(F, os.environ)
        dat = warmup_dat(F) if 3 in selected(F) else None
    except Incomplete as e:
        sys.exit(f"bench: {e}")
    with open(os.path.join(out, "results.md"), "w") as fh:
        fh.write(md)
    # A run without scenario 3 has no warm-up curves: no data, no plots.
    if dat is not None:
        with open(os.path.join(out, "warmup.dat"), "w") as fh:
            fh.write(dat)


if __name__ == "__main__":
    main(sys.argv)
