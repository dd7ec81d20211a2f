"""Weight streaming on the CPU under --ram-budget, through the real binary.

A synthesised model of about 390 MB (40 layers of ~10 MB, Q4_K_M, the
stories260K vocabulary) runs with a RAM budget of a quarter of the file:
  - the greedy ids equal the run without a budget;
  - the peak RSS of the process (ru_maxrss from wait4) stays under the
    budget + RSS_SLACK, while the run without a budget goes well over it
    (so the test would catch weights being used from the mapping);
  - `model info --ram-budget` prints the plan and the minimum; a budget
    below the minimum is an error naming it, for info and for run;
  - `model bench` prints the pass statistics of the streamed passes.
Python standard library only; well under a minute on two cores."""

import os
import re
import subprocess
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("BRIEFING_BIN", os.path.join(ROOT, "briefing"))
SHARED = os.environ.get("BRIEFING_SHARED", os.path.join(os.path.dirname(ROOT), "shared"))
STORIES = os.path.join(SHARED, "corpus", "engine", "stories260K.gguf")

SHAPE = "1024x40x8x8x4096"   # embd x layers x heads x kv heads x ff
N_CTX = "128"
MIB = 1 << 20
# RSS besides what the budget counts (weights, staging, KV cache, scratch,
# the engine's stated overhead): the binary and its libraries, the
# tokenizer, the GGUF metadata and the C heap.
RSS_SLACK = 64 * MIB


def run(args, check=0, timeout=120):
    """Runs `briefing model ARGS`; returns (stdout, stderr, peak RSS in bytes)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen([BIN, "model"] + args, stdout=out, stderr=err)
        try:
            _, status, ru = os.wait4(p.pid, 0)
        except BaseException:
            p.kill()
            raise
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        o = out.read().decode("utf-8", "replace")
        e = err.read().decode("utf-8", "replace")
    if check is not None and p.returncode != check:
        raise AssertionError("model %s -> %d (want %d)\nstdout: %s\nstderr: %s" % (
            args, p.returncode, check, o, e))
    return o, e, ru.ru_maxrss * 1024   # Linux: kilobytes


def ids_of(err):
    m = re.search(r"^ids:(.*)$", err, re.M)
    if not m:
        raise AssertionError("no ids line in: " + err)
    return [int(x) for x in m.group(1).split()]


class StreamTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.model = os.path.join(cls.tmp.name, "stream.gguf")
        run(["synth", "--shape", SHAPE, "--type", "Q4_K_M", "--fast", "--vocab-from", STORIES,
             "-o", cls.model])
        cls.size = os.path.getsize(cls.model)
        cls.budget = cls.size // 4

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def gen(self, budget=None):
        args = ["run", self.model, "-p", "Once upon a time", "-n", "4", "-c", N_CTX, "--device", "cpu",
                "--ids", "-v"]
        if budget:
            args += ["--ram-budget", str(budget)]
        _, err, rss = run(args)
        return ids_of(err), err, rss

    def test_rss_under_budget_same_ids(self):
        ids0, _, rss0 = self.gen()
        ids, err, rss = self.gen(self.budget)
        self.assertEqual(ids, ids0)
        self.assertEqual(len(ids), 4)
        m = re.search(r"plan: (\d+) of (\d+) layers streamed", err)
        self.assertTrue(m, err)
        streamed, n_layer = int(m.group(1)), int(m.group(2))
        self.assertEqual(n_layer, 40)
        self.assertGreater(streamed, n_layer // 2)
        self.assertLess(streamed, n_layer)    # a few layers stay resident
        self.assertRegex(err, r"per pass [\d.]+ MiB resident, 0.0 KiB from RAM, [\d.]+ MiB from the file")
        print("\n  model %.1f MiB, budget %.1f MiB: peak RSS %.1f MiB streaming %d of %d layers "
              "(limit %.1f MiB); %.1f MiB without a budget" % (
                  self.size / MIB, self.budget / MIB, rss / MIB, streamed, n_layer,
                  (self.budget + RSS_SLACK) / MIB, rss0 / MIB))
        self.assertLess(rss, self.budget + RSS_SLACK)
        # the model does not fit that budget when used from the mapping
        self.assertGreater(rss0, self.budget + RSS_SLACK)

    def test_info_plan_and_minimum(self):
        out, _, _ = run(["info", self.model, "--ram-budget", str(self.budget), "-c", N_CTX,
                         "--device", "cpu"])
        self.assertRegex(out, r"plan: +cpu, RAM budget [\d.]+ MiB: \d+ of 40 layers streamed")
        self.assertRegex(out, r"weights: +[\d.]+ MiB resident, [\d.]+ MiB read from the file each pass")
        m = re.search(r"minimum: +([\d.]+) MiB", out)
        self.assertTrue(m, out)
        self.assertIn("pass time:", out)
        self.assertRegex(out, r"file read at [\d.]+ GB/s")
        minimum = float(m.group(1))
        self.assertLess(minimum * MIB, self.budget)

        # below the minimum: info and run say so and name the minimum
        low = str(int(minimum * MIB) // 2)
        _, err, _ = run(["info", self.model, "--ram-budget", low, "-c", N_CTX, "--device", "cpu"],
                        check=1)
        self.assertIn("below the minimum of %.1f MiB" % minimum, err)
        _, err, _ = run(["run", self.model, "-p", "Once", "-n", "1", "-c", N_CTX, "--device", "cpu",
                         "--ram-budget", low], check=1)
        self.assertIn("below the minimum of %.1f MiB" % minimum, err)

        # without a budget info still says what the minimum would be
        out, _, _ = run(["info", self.model, "-c", N_CTX, "--device", "cpu"])
        self.assertIn("no RAM budget", out)
        self.assertRegex(out, r"minimum: +%.1f MiB" % minimum)

    def test_bench_prints_passes(self):
        out, _, _ = run(["bench", self.model, "--device", "cpu", "--ram-budget", str(self.budget),
                         "-p", "8", "-n", "2", "-b", "1"])
        self.assertRegex(out, r"<!-- plan: \d+ of 40 layers streamed")
        self.assertRegex(out, r"<!-- tg x1: .*MiB from the file; streamed at [\d.]+ GB/s")


if __name__ == "__main__":
    unittest.main(verbosity=2)
