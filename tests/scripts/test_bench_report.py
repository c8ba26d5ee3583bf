#!/usr/bin/env python3
"""Tests of scripts/bench_report.py, on consoles made up here: a complete
CSV (every figure the report needs, found by asking check() until it is
satisfied), then the ways a console can fall short.  scripts/lint runs it.
"""
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "..", "..", "scripts", "bench_report.py")
sys.path.insert(0, os.path.dirname(SCRIPT))
import bench_report as br  # noqa: E402


def complete_rows(only=None, flags=None, verify=False, seed=()):
    """Rows for every figure check() asks for, each value 1 (2 passes, 2
    rounds), plus the kernel's name and two idle hysteresis settings.  ONLY,
    if given, is the BENCH_ONLY knob (the run then has scenario 6b too);
    every construction succeeded unless FLAGS, {(system, GiB): "failed" or
    "skipped"}, says otherwise.  VERIFY: the run measured swapcache-verify
    in the block scenarios (the HIT_VERIFY knob).  SEED: rows to start
    with, whose values then stand."""
    flags = flags or {}
    rows = [["meta", "all", "ROUNDS", "0", "2", "knob"],
            ["meta", "all", "PASSES", "0", "2", "knob"],
            ["meta", "all", "kernel_release", "0", "6.1.0-test", "text"]]
    if only is not None:
        rows.append(["meta", "all", "ONLY", "0", str(only), "knob"])
    if verify:
        rows.append(["meta", "all", "HIT_VERIFY", "0", "1", "knob"])
    rows += [list(r) for r in seed]
    for _ in range(100):
        try:
            br.check(br.Figures(rows))
            break
        except br.Incomplete as e:
            msg = str(e)
            assert msg.startswith("missing from the CSV: "), msg
            for key in msg[len("missing from the CSV: "):].split(", "):
                sec, sysn, met, idx = key.split("/")
                val = "1"
                if met in ("failed", "skipped"):
                    val = "1" if flags.get((sysn, int(idx))) == met else "0"
                rows.append([sec, sysn, met, idx, val, "count"])
    else:
        raise AssertionError("check() is never satisfied")
    if only not in (None, 0) and "7" not in str(only):
        return rows
    rows.append(["smallfiles", "swapcache", "idle_ticks", "50", "1", "ticks"])
    rows.append(["smallfiles", "swapcache", "idle_seconds", "50", "1", "s"])
    rows.append(["smallfiles", "swapcache", "idle_written", "50", "1", "pages"])
    return rows


def console(rows, begin=None, end=None, noise=()):
    """A console log with rows between the markers, kernel lines between
    them and \\r line ends, as the serial console gives them."""
    n = len(rows)
    lines = ["init: boot", f"=== BENCH-CSV BEGIN {n if begin is None else begin} ==="]
    for i, r in enumerate(rows):
        if i in noise:
            lines.append("[   12.345678] a kernel message")
        lines.append("@csv," + ",".join(r))
    lines.append(f"=== BENCH-CSV END {n if end is None else end} ===")
    return "\r\n".join(lines) + "\r\n"


class Parse(unittest.TestCase):
    def test_rows_between_markers(self):
        rows = complete_rows()
        self.assertEqual(br.parse_console(console(rows, noise=(0, 5))), rows)

    def test_no_markers(self):
        with self.assertRaisesRegex(br.Incomplete, "no CSV between the markers"):
            br.parse_console("init: boot\n")

    def test_truncated(self):
        rows = complete_rows()
        with self.assertRaisesRegex(br.Incomplete, "arrived intact"):
            br.parse_console(console(rows[:-1], begin=len(rows), end=len(rows)))

    def test_malformed_row(self):
        rows = complete_rows()
        rows[3] = rows[3][:5]
        with self.assertRaisesRegex(br.Incomplete, "malformed CSV row"):
            br.parse_console(console(rows))


class Check(unittest.TestCase):
    def test_missing_figure(self):
        rows = [r for r in complete_rows() if r[:3] != ["hit", "bcache", "iops"]]
        with self.assertRaisesRegex(br.Incomplete, "hit/bcache/iops/1"):
            br.check(br.Figures(rows))

    def test_scale_rows_needed_once_the_run_has_them(self):
        for only in (0, 6):
            rows = [r for r in complete_rows(only) if r[:3] != ["memscatter", "swapcache", "used"]]
            with self.assertRaisesRegex(br.Incomplete, "memscatter/swapcache/used/0"):
                br.check(br.Figures(rows))

    def test_memory_only_needs_no_other_scenario(self):
        rows = complete_rows(6)
        self.assertFalse([r for r in rows if r[0] in ("hit", "warmup", "smallfiles")])
        self.assertTrue([r for r in rows if r[0] == "memscatter"])

    def test_refused_construction_needs_no_figures(self):
        rows = complete_rows(6, {("swapcache", 4096): "failed",
                                 ("dm-cache-32k", 4096): "skipped"})
        self.assertFalse([r for r in rows if r[:4] == ["memctor", "swapcache", "vmalloc", "4096"]])
        self.assertFalse([r for r in rows if r[:4] == ["memctor", "dm-cache-32k", "bufio", "4096"]])
        self.assertTrue([r for r in rows if r[:4] == ["memctor", "dm-cache-32k", "bufio", "1024"]])

    def test_verify_rows_needed_once_the_run_has_them(self):
        rows = complete_rows(12, verify=True)
        for key in (["hit", "swapcache-verify", "iops"], ["miss", "swapcache-verify", "iops"],
                    ["hit", "swapcache-verify", "read_hits"], ["hit", "swapcache", "ssd_errors"],
                    ["prep", "swapcache-verify", "passes"]):
            short = [r for r in rows if r[:3] != key]
            with self.assertRaisesRegex(br.Incomplete, "/".join(key)):
                br.check(br.Figures(short))
        # Consoles from before it need none of them.
        self.assertFalse([r for r in complete_rows(12) if r[1] == "swapcache-verify"])

    def test_no_kernel_name(self):
        rows = [r for r in complete_rows() if r[2] != "kernel_release"]
        with self.assertRaisesRegex(br.Incomplete, "which kernel"):
            br.check(br.Figures(rows))


class Render(unittest.TestCase):
    def test_every_scenario(self):
        F = br.Figures(complete_rows())
        md = br.render(F, {"BENCH_KO": "abc123", "BENCH_TREE": "v1-dirty"})
        for n in range(1, 8):
            self.assertIn(f"### {n}. ", md)
        self.assertIn("Kernel `6.1.0-test`", md)
        self.assertIn("Module sha256 abc123…, built from tree v1-dirty.", md)
        self.assertIn("hysteresis=0:", md)
        self.assertIn("hysteresis=50:", md)
        for s in br.HIT:
            self.assertIn(f"| {s} | ", md)

    def test_verify_ratio(self):
        """swapcache-verify over swapcache, per round, and the median; the
        counters that say the reads were checked hits."""
        def val(r):
            if r[2] == "iops" and r[0] in ("hit", "miss"):
                return {("swapcache", "1"): "200", ("swapcache", "2"): "100",
                        ("swapcache-verify", "1"): "150", ("swapcache-verify", "2"): "90"
                        }.get((r[1], r[3]), r[4])
            if r[2] == "read_hits" and r[1] == "swapcache-verify":
                return "450" if r[0] == "hit" else "0"
            return r[4]
        rows = [r[:4] + [val(r)] + r[5:] for r in complete_rows(12, verify=True)]
        md = br.render(br.Figures(rows), {})
        self.assertIn("| swapcache-verify | 120 | ", md)
        self.assertIn("Verify on beside off (hit path): swapcache-verify IOPS / swapcache IOPS "
                      "per round 0.75 0.90, median **0.825**.", md)
        self.assertIn("swapcache-verify 900 read_hits for 2 SSD reads, ssd_errors=1 at the end", md)
        self.assertIn("Verify on beside off (miss path): ", md)
        self.assertIn("swapcache-verify 0 read_hits", md)
        self.assertNotIn("Verify on beside off", br.render(br.Figures(complete_rows(12)), {}))
        self.assertNotIn("crc32c driver", md)
        rows.append(["meta", "all", "crc32c_driver", "0", "crc32c-generic", "text"])
        self.assertIn("crc32c driver: `crc32c-generic`.", br.render(br.Figures(rows), {}))

    def test_memory_scale(self):
        F = br.Figures(complete_rows(0))
        md = br.render(F, {})
        for n in range(1, 8):
            self.assertIn(f"### {n}. ", md)
        self.assertIn("### 6b. ", md)
        for s in br.MEM_SYS:
            self.assertIn(f"| {s} | 4 TiB |", md)
        self.assertIn("| ZFS L2ARC |", md)

    def test_memory_only(self):
        md = br.render(br.Figures(complete_rows(6)), {})
        self.assertIn("the memory scenario only", md)
        self.assertIn("### 6b. ", md)
        self.assertNotIn("### 1. ", md)

    def test_any_subset(self):
        """BENCH_ONLY=N,M: the tables of those scenarios and no other."""
        heads = {1: "### 1. ", 2: "### 2. ", 3: "### 3. ", 4: "### 4. ", 5: "### 5. ",
                 6: "### 6b. ", 7: "### 7. ", 8: "### 8. ", 9: "### 9. "}
        for only in (1, 2, 3, 4, 5, 7, 8, 9, 45, 48, 36, 12, 39, 12345678, 123456789):
            sel = {int(d) for d in str(only)}
            F = br.Figures(complete_rows(only))
            md = br.render(F, {})
            for n, h in heads.items():
                (self.assertIn if n in sel else self.assertNotIn)(h, md, f"ONLY={only}")
            if sel != br.every(F):
                self.assertIn("BENCH_ONLY=" + ",".join(map(str, sorted(sel))), md)

    def test_subset_needs_only_its_rows(self):
        rows = complete_rows(5)
        self.assertEqual({r[0] for r in rows} - {"meta"}, {"rate"})
        md = br.render(br.Figures(rows), {})
        self.assertIn("### 5. Write rate", md)
        self.assertNotIn("write_count", md)
        rows = complete_rows(4)
        self.assertTrue([r for r in rows if r[:2] == ["warmup", "swapcache"]])
        self.assertFalse([r for r in rows if r[:2] == ["warmup", "raw-hdd"]])

    def test_net_rows_needed(self):
        """Scenario 9 needs every system's passes at every round trip,
        the caches' pollution rows, and the raw devices' direct reads."""
        rtts = [["meta", "all", "NET_RTT_US", "1", "200", "us"],
                ["meta", "all", "NET_RTT_US", "2", "1000", "us"]]
        rows = complete_rows(9, seed=rtts)
        self.assertEqual(br.net_rtts(br.Figures(rows)), [200, 1000])
        for key in (["netwarm1000", "raw-nbd", "iops", "2"], ["netwarm200", "swapcache", "hits", "1"],
                    ["netpoll1000", "bcache", "after_iops", "0"], ["netdirect", "raw-nbd", "clat_p99", "200"],
                    ["netdirect", "lo", "ping_rtt", "1000"], ["netwarmssd", "raw-ssd", "iops", "2"],
                    ["netdirect", "raw-nbd", "iops", "0"], ["netdirect", "lo", "ping_rtt", "0"],
                    ["meta", "all", "NET_HOT_MIB", "0"]):
            short = [r for r in rows if r[:4] != key]
            with self.assertRaisesRegex(br.Incomplete, "/".join(key)):
                br.check(br.Figures(short))
        # The raw NBD device has no pollution rows to need.
        self.assertFalse([r for r in rows if r[0].startswith("netpoll") and r[1] == "raw-nbd"])
        # Consoles from before scenario 9 need none of it.
        self.assertFalse([r for r in complete_rows(48) if r[0].startswith("net")])

    def test_net_claim(self):
        """The tables at each round trip, and the claim at 1 ms: swapcache's
        last pass over raw NBD's median pass, and over the raw SSD's."""
        seed = [["meta", "all", "NET_RTT_US", "1", "1000", "us"],
                ["meta", "all", "NET_RTT_US", "2", "5000", "us"]]
        for p, v in (("1", "100"), ("2", "300"), ("3", "500")):
            seed += [["netwarm1000", "raw-nbd", "iops", p, v, "IOPS"],
                     ["netwarm1000", "swapcache", "iops", p, str(10 * int(v)), "IOPS"],
                     ["netwarm1000", "swapcache", "hits", p, "3", "count"],
                     ["netwarmssd", "raw-ssd", "iops", p, "12000", "IOPS"]]
        seed += [["meta", "all", "PASSES", "0", "3", "knob"],
                 ["netwarm1000", "swapcache", "misses", "3", "0", "count"],
                 ["netwarm1000", "swapcache", "clat_p99", "3", "7", "us"]]
        rows = complete_rows(9, seed=seed)
        rows = [r for r in rows if r[:4] != ["meta", "all", "PASSES", "0"] or r[4] == "3"]
        md = br.render(br.Figures(rows), {})
        self.assertIn("### 9. Network origin", md)
        self.assertIn("scenario 9 only (BENCH_ONLY=9)", md)
        self.assertIn("| raw NBD | 0 (no netem) | 1 | 1 | 1.0 | 1 |", md)
        self.assertIn("| raw NBD | 1000 | 1 | 1 | 1.0 | 1 |", md)
        self.assertIn("| raw NBD | 5000 | ", md)
        self.assertIn("RTT 5000 µs: ", md)
        self.assertIn("| swapcache | 1000, 75.0%, 1 | 3000, 75.0%, 1 | 5000, 100.0%, 7 | 1, 50.0% | 1, 50.0% |", md)
        self.assertIn("| raw-nbd | 100, —, 1 | 300, —, 1 | 500, —, 1 | — | — |", md)
        # raw NBD: the median of its passes, 300; swapcache: the median of
        # passes 2-3, 4000; hits 6 of 7 over those passes; p99 the median
        # of 1 and 7.
        self.assertIn("| 1000 | 1 | 300 | 1 | 4000 | 4 | 85.7% | 13.33 | 0.333 | ", md)
        self.assertIn("The claim at a 1 ms round trip (as set; ping's above): warmed swapcache 4000 IOPS "
                      "over raw NBD 300: **× 13.33**; over the raw SSD 12000: **× 0.333**.", md)
        # No claim line without a 1 ms round trip.
        seed = [["meta", "all", "NET_RTT_US", "1", "200", "us"]]
        self.assertNotIn("The claim", br.render(br.Figures(complete_rows(9, seed=seed)), {}))

    def test_subset_missing_figure(self):
        rows = [r for r in complete_rows(45) if r[:3] != ["wear", "bcache", "ssd_sectors_written"]]
        with self.assertRaisesRegex(br.Incomplete, "wear/bcache/ssd_sectors_written/0"):
            br.check(br.Figures(rows))

    def test_refused_and_skipped(self):
        rows = complete_rows(6, {("swapcache", 4096): "failed",
                                 ("dm-cache-32k", 4096): "skipped"})
        md = br.render(br.Figures(rows), {})
        self.assertIn("| swapcache | 4 TiB | ", md)
        self.assertRegex(md, r"\| swapcache \| 4 TiB \| [^\n]* refused \|")
        self.assertRegex(md, r"\| dm-cache-32k \| 4 TiB \| [^\n]* not attempted: ")

    def test_nothing_cached_said_so(self):
        rows = [r[:4] + (["0"] if r[:3] == ["memscatter", "swapcache", "used"] else r[4:5]) + r[5:]
                for r in complete_rows(6)]
        md = br.render(br.Figures(rows), {})
        self.assertIn("the thread cached none of them", md)

    def test_warmup_dat(self):
        dat = br.warmup_dat(br.Figures(complete_rows()))
        blocks = [b for b in dat.split("\n\n\n") if b]
        self.assertEqual([b.split("\n")[0] for b in blocks],
                         [f'"{s}" iops hit' for s in br.FS])
        # A raw device has no hit ratio; a cache has one.
        self.assertEqual(blocks[0].split("\n")[1], "1 1 nan")
        self.assertEqual(blocks[-1].split("\n")[1], "1 1 50.00")


class Main(unittest.TestCase):
    def run_on(self, text):
        d = tempfile.mkdtemp()
        with open(os.path.join(d, "console.log"), "w") as fh:
            fh.write(text)
        p = subprocess.run([sys.executable, SCRIPT, d], capture_output=True, text=True)
        return d, p

    def test_writes_all_three(self):
        d, p = self.run_on(console(complete_rows()))
        self.assertEqual(p.returncode, 0, p.stderr)
        for f in ("results.csv", "results.md", "warmup.dat"):
            self.assertTrue(os.path.getsize(os.path.join(d, f)) > 0, f)

    def test_memory_only_writes_no_curves(self):
        d, p = self.run_on(console(complete_rows(6)))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(os.path.getsize(os.path.join(d, "results.md")) > 0)
        self.assertFalse(os.path.exists(os.path.join(d, "warmup.dat")))

    def test_curves_only_with_the_warmup(self):
        for only, curves in ((45, False), (3, True), (36, True)):
            d, p = self.run_on(console(complete_rows(only)))
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(os.path.exists(os.path.join(d, "warmup.dat")), curves, only)

    def test_fails_without_tables(self):
        d, p = self.run_on(console(complete_rows()[:-1], begin=1))
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("bench: ", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(d, "results.md")))


if __name__ == "__main__":
    unittest.main()
