"""briefing generate with the in-process engine backend, end to end through
the real binary: a 10-story briefing from data/samples/ with the corpus's tiny
random-weight model (the text is nonsense; structure, storage, provenance and
batching must hold), the weight passes in the provenance and --verbose, the
[llm] device and budget settings, the context budget (prompts cut down to
fit a small context), and, when scripts/fetch-smollm2.sh has installed it, a
real small instruct model on a two-story briefing.

    python3 tests/integration/test_generate_engine.py
Environment: BRIEFING_SHARED (default ../shared), BRIEFING_BIN.
Python standard library only."""

import calendar
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("BRIEFING_BIN", os.path.join(ROOT, "briefing"))
SHARED = os.environ.get("BRIEFING_SHARED", os.path.join(ROOT, "..", "shared"))
TINY = os.path.join(SHARED, "corpus", "engine", "tiny-llama3-tied-q4_k_m.gguf")
SMOL = os.path.join(ROOT, ".cache", "models", "SmolLM2-135M-Instruct.Q4_1.gguf")
SAMPLES = os.path.join(ROOT, "data", "samples")
SECTIONS = os.path.join(ROOT, "feeds", "sections.conf")

NOW = calendar.timegm((2026, 2, 21, 19, 0, 0))     # Saturday evening, UTC
SINCE = "2026-02-14"


class Env:
    def __init__(self, config=None, max_stories=None):
        self.tmp = tempfile.TemporaryDirectory()
        self.db = os.path.join(self.tmp.name, "b.db")
        self.cfgdir = os.path.join(self.tmp.name, "config", "briefing")
        self.env = dict(os.environ)
        self.env.update({"HOME": self.tmp.name,
                         "XDG_DATA_HOME": os.path.join(self.tmp.name, "data"),
                         "XDG_CONFIG_HOME": os.path.join(self.tmp.name, "config"),
                         "BRIEFING_NO_DEFAULT_FEEDS": "1",
                         "BRIEFING_NOW": str(NOW),
                         "TZ": "UTC", "LC_ALL": "C.UTF-8"})
        os.makedirs(self.cfgdir)
        if config:
            with open(os.path.join(self.cfgdir, "config"), "w") as f:
                f.write(config)
        if max_stories:
            # the user's sections.conf (in the config dir) replaces the
            # shipped one: the same sections, a smaller total cap
            with open(SECTIONS) as f:
                text, n = re.subn(r"(?m)^max_stories = \d+$",
                                  "max_stories = %d" % max_stories, f.read(), count=1)
            assert n == 1, "feeds/sections.conf has no global max_stories line"
            with open(os.path.join(self.cfgdir, "sections.conf"), "w") as f:
                f.write(text)
        for name in sorted(os.listdir(SAMPLES)):
            self.b("feeds", "add", os.path.join(SAMPLES, name))
        self.b("fetch", "--quiet")

    def b(self, *args, check=0, timeout=120):
        p = subprocess.run([BIN, "--db", self.db] + list(args), capture_output=True,
                           env=self.env, timeout=timeout)
        p.out = p.stdout.decode("utf-8")
        p.err = p.stderr.decode("utf-8", "replace")
        if check is not None and p.returncode != check:
            raise AssertionError("%s -> %d (want %d)\nstdout: %s\nstderr: %s" % (
                args, p.returncode, check, p.out[-2000:], p.err[-2000:]))
        return p

    def generate(self, model, check=0, extra=("--quiet",)):
        t0 = time.monotonic()
        p = self.b("generate", "--backend", "engine", "--model", model, "--since", SINCE,
                   "--edition", "evening", *extra, check=check)
        p.seconds = time.monotonic() - t0
        return p

    def q(self, sql, *params):
        con = sqlite3.connect(self.db)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    def entries(self):
        return self.q("SELECT rank, kind, section, headline, body FROM briefing_stories"
                      " WHERE briefing_id = (SELECT max(id) FROM briefings) ORDER BY rank")


def check_briefing(t, e, model, n_stories=None):
    """What every engine briefing must have in the database and in export."""
    rows = e.q("SELECT backend, model, model_hash, prompt_tokens, completion_tokens,"
               " assessment, status, seconds_write, passes, pass_tokens, prefill_tokens,"
               " seconds_prefill, seconds_decode, device FROM briefings")
    t.assertEqual(len(rows), 1)
    (backend, name, mhash, pt, ct, assessment, status, sw, passes, ptok, pre, spre, sdec,
     device) = rows[0]
    # the weight passes: every prompt token fed, every token decoded but
    # each reply's last; a pass carries at least one token
    t.assertGreater(passes, 0)
    t.assertGreaterEqual(pre, pt)
    t.assertGreater(ptok, pre)
    t.assertLessEqual(ptok - pre, ct)
    t.assertLessEqual(passes, ptok)
    t.assertGreater(sdec, 0)
    t.assertGreaterEqual(spre, 0)
    t.assertEqual(device, "cpu")
    t.assertEqual(backend, "engine")
    t.assertEqual(name, os.path.basename(model))
    t.assertTrue(mhash and re.fullmatch(r"[0-9a-f]+", mhash), mhash)
    t.assertGreater(pt, 0)
    t.assertGreater(ct, 0)
    t.assertGreater(sw, 0)
    t.assertTrue(assessment and assessment.strip())
    entries = e.entries()
    if n_stories is not None:
        t.assertEqual(len(entries), n_stories)
    t.assertGreaterEqual(len(entries), 1)
    for rank, kind, section, headline, body in entries:
        t.assertTrue(headline and headline.strip(), (rank, headline))
        t.assertTrue(body and body.strip(), (rank, body))
    # every story keeps its sources, and they are real archived items
    lacking = e.q("SELECT count(*) FROM briefing_stories b WHERE NOT EXISTS"
                  " (SELECT 1 FROM story_sources s WHERE s.story_id = b.id)")[0][0]
    t.assertEqual(lacking, 0)
    dangling = e.q("SELECT count(*) FROM story_sources s LEFT JOIN items i"
                   " ON i.id = s.item_id WHERE i.id IS NULL")[0][0]
    t.assertEqual(dangling, 0)
    # export: json, markdown, plain text
    js = json.loads(e.b("export", "latest", "--format", "json").out)
    t.assertEqual(js["provenance"]["backend"], "engine")
    t.assertEqual(js["provenance"]["model_hash"], mhash)
    t.assertEqual((js["provenance"]["passes"], js["provenance"]["pass_tokens"],
                   js["provenance"]["prefill_tokens"], js["provenance"]["device"]),
                  (passes, ptok, pre, "cpu"))
    t.assertGreater(js["provenance"]["seconds"]["decode"], 0)
    t.assertEqual(len(js["stories"]), len(entries))
    for s in js["stories"]:
        t.assertTrue(s["sources"])
        t.assertTrue(s["headline"])
    md = e.b("export", "latest", "--format", "md").out
    t.assertIn("Secretary's Assessment", md)
    t.assertEqual(md.count("\n### "), len(entries), md[:3000])
    t.assertEqual(md.count("\n### "), md.count("\n[Read more \u2192](http"))
    txt = e.b("export", "latest", "--format", "txt").out
    t.assertIn("2026.02.21", txt)
    t.assertNotIn("### ", txt)
    return entries


@unittest.skipUnless(os.path.exists(BIN), "no ./briefing: run make first")
@unittest.skipUnless(os.path.exists(TINY), "no corpus model at " + TINY)
class TinyModel(unittest.TestCase):
    """The corpus's random-weight model: 1024 tokens of context, so the
    assessment over ten entries only fits once the entries are cut down."""

    @classmethod
    def setUpClass(cls):
        cls.batched = Env()
        cls.addClassCleanup(cls.batched.tmp.cleanup)
        p = cls.batched.generate(TINY)
        print("\n  tiny model, 10 stories batched: %.1f s" % p.seconds, file=sys.stderr)

    def test_end_to_end(self):
        check_briefing(self, self.batched, TINY, n_stories=10)
        row = self.batched.q("SELECT edition, style, window_start, window_end, prompt_hashes"
                             " FROM briefings")[0]
        self.assertEqual(row[:4], ("evening", "secretary",
                                   calendar.timegm((2026, 2, 14, 0, 0, 0)), NOW + 1))
        for k in ("system=", "story=", "assessment=", "tagline="):
            self.assertIn(k, row[4])

    def test_batch_one_writes_the_same_entries(self):
        """[llm] batch = 1 decodes one story at a time; greedy decoding must
        give the same entries as the batched run."""
        e = Env(config="[llm]\nbatch = 1\n")
        self.addCleanup(e.tmp.cleanup)
        p = e.generate(TINY)
        print("\n  tiny model, 10 stories one at a time: %.1f s" % p.seconds, file=sys.stderr)
        check_briefing(self, e, TINY, n_stories=10)
        one = [(r[0], r[1], r[2], r[3], r[4]) for r in e.entries()]
        many = [(r[0], r[1], r[2], r[3], r[4]) for r in self.batched.entries()]
        self.assertEqual(len(one), len(many))
        for a, b in zip(one, many):
            self.assertEqual(a, b)

    def test_draft_writes_the_same_entries(self):
        """[llm] draft: speculative decoding with the model as its own draft
        (every draft token accepted) writes the same entries as without
        one, in fewer weight passes, and the provenance says what it did;
        a draft of another vocabulary is refused before anything runs."""
        e = Env(config="[llm]\ndraft = %s\ndraft_k = 4\n" % TINY)
        self.addCleanup(e.tmp.cleanup)
        p = e.generate(TINY, extra=("--quiet", "--verbose"))
        print("\n  tiny model, 10 stories with a draft: %.1f s" % p.seconds, file=sys.stderr)
        check_briefing(self, e, TINY, n_stories=10)
        drafted = [(r[0], r[1], r[2], r[3], r[4]) for r in e.entries()]
        many = [(r[0], r[1], r[2], r[3], r[4]) for r in self.batched.entries()]
        self.assertEqual(drafted, many)
        draft, rounds, nd, na, nt, passes = e.q(
            "SELECT draft_model, spec_rounds, spec_drafted, spec_accepted, spec_tokens, passes"
            " FROM briefings")[0]
        self.assertEqual(draft, os.path.basename(TINY))
        self.assertGreater(rounds, 0)
        # the model agrees with itself (but for the repeat penalty, which
        # the draft does not apply)
        self.assertGreaterEqual(na, 0.95 * nd)
        self.assertLessEqual(na, nd)
        self.assertGreater(nt, 2 * rounds)        # more than two tokens a verify pass
        self.assertLess(passes, self.batched.q("SELECT passes FROM briefings")[0][0])
        self.assertIn("speculative: draft %s" % os.path.basename(TINY), p.err)
        js = json.loads(e.b("export", "latest", "--format", "json").out)
        self.assertEqual(js["provenance"]["draft_model"], os.path.basename(TINY))
        self.assertEqual(js["provenance"]["speculative"],
                         {"rounds": rounds, "drafted": nd, "accepted": na, "tokens": nt})
        # another vocabulary: refused, nothing stored
        other = os.path.join(SHARED, "corpus", "engine", "stories260K.gguf")
        bad = Env(config="[llm]\ndraft = %s\n" % other)
        self.addCleanup(bad.tmp.cleanup)
        p = bad.generate(TINY, check=3)
        self.assertIn("cannot draft", p.err)
        self.assertIn("differ in size", p.err)
        self.assertEqual(bad.q("SELECT count(*) FROM briefings")[0][0], 0)
        # a missing draft file is a configuration error too
        gone = Env(config="[llm]\ndraft = /nonexistent/draft.gguf\n")
        self.addCleanup(gone.tmp.cleanup)
        p = gone.generate(TINY, check=3)
        self.assertIn("draft model", p.err)

    def test_fewer_passes_than_one_a_token(self):
        """Ten stories decoded together and their prompts packed: far fewer
        passes than tokens."""
        passes, ptok = self.batched.q("SELECT passes, pass_tokens FROM briefings")[0]
        self.assertLess(passes * 4, ptok)

    def test_verbose_and_settings(self):
        """--verbose ends with the passes; [llm] device, vram_budget and
        ram_budget are read, and a bad value names its key."""
        e = Env(config="[llm]\ndevice = cpu\nram_budget = 512M\nvram_budget = 22G\n",
                max_stories=2)
        self.addCleanup(e.tmp.cleanup)
        p = e.generate(TINY, extra=("--verbose",))
        m = re.search(r"(?m)^engine: (\d+) weight passes for (\d+) tokens \((\d+) prompt \+"
                      r" (\d+) decoded; ([\d.]+) a pass\); prefill ([\d.]+) s, decode ([\d.]+) s;"
                      r" device cpu$", p.err)
        self.assertTrue(m, p.err)
        passes, ptok, pre = e.q("SELECT passes, pass_tokens, prefill_tokens FROM briefings")[0]
        self.assertEqual((int(m.group(1)), int(m.group(2)), int(m.group(3))), (passes, ptok, pre))
        self.assertEqual(int(m.group(4)), ptok - pre)
        self.assertAlmostEqual(float(m.group(5)), ptok / passes, places=2)
        # the global -v does the same; without either, no such line
        p = e.b("-v", "generate", "--backend", "engine", "--model", TINY, "--since", SINCE,
                "--edition", "evening")
        self.assertRegex(p.err, r"(?m)^engine: \d+ weight passes for ")
        p = e.b("generate", "--backend", "engine", "--model", TINY, "--since", SINCE,
                "--edition", "evening")
        self.assertNotIn("weight passes", p.err)
        for conf, key in (("device = tpu", "device"), ("vram_budget = 22X", "vram_budget"),
                          ("ram_budget = -1G", "ram_budget"), ("ram_budget = 0", "ram_budget")):
            bad = Env(config="[llm]\n%s\n" % conf, max_stories=1)
            self.addCleanup(bad.tmp.cleanup)
            p = bad.generate(TINY, check=3)
            self.assertIn("[llm] %s" % key, p.err)
            self.assertEqual(bad.q("SELECT count(*) FROM briefings")[0][0], 0)

    def test_cuda_unusable(self):
        """device = cuda where there is none: the engine's reason, exit 1,
        nothing stored."""
        e = Env(config="[llm]\ndevice = cuda\n", max_stories=1)
        self.addCleanup(e.tmp.cleanup)
        p = e.generate(TINY, check=None)
        if p.returncode == 0:
            self.assertEqual(e.q("SELECT device FROM briefings")[0][0], "cuda")
            return
        self.assertEqual(p.returncode, 1, p.err)
        self.assertTrue("no CUDA backend" in p.err or "no usable GPU" in p.err, p.err)
        self.assertIn("nothing was stored", p.err)
        self.assertEqual(e.q("SELECT count(*) FROM briefings")[0][0], 0)

    def test_context_budget(self):
        """A context too small for the full sources and the full entries:
        the stories are written from trimmed sources and the assessment from
        shortened entries; nothing fits at all: a clean failure."""
        # at 480 tokens the full prompts of two of the three stories do not
        # fit (without the budget those two were dropped; at 448 all three)
        e = Env(config="[llm]\nctx = 480\n", max_stories=3)
        self.addCleanup(e.tmp.cleanup)
        e.generate(TINY)
        check_briefing(self, e, TINY, n_stories=3)
        e2 = Env(config="[llm]\nctx = 384\n", max_stories=3)
        self.addCleanup(e2.tmp.cleanup)
        p = e2.generate(TINY, check=None)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("context", p.err)
        self.assertIn("nothing was stored", p.err)
        self.assertEqual(e2.q("SELECT (SELECT count(*) FROM briefings),"
                              " (SELECT count(*) FROM briefing_stories)")[0], (0, 0))


@unittest.skipUnless(os.path.exists(BIN), "no ./briefing: run make first")
class RealModel(unittest.TestCase):
    def test_smollm2_two_stories(self):
        if not os.path.exists(SMOL):
            self.skipTest("no %s (scripts/fetch-smollm2.sh installs it)" % SMOL)
        e = Env(max_stories=2)
        self.addCleanup(e.tmp.cleanup)
        p = e.generate(SMOL)
        print("\n  SmolLM2-135M, 2 stories: %.1f s" % p.seconds, file=sys.stderr)
        check_briefing(self, e, SMOL, n_stories=2)
        self.assertLess(p.seconds, 90)


if __name__ == "__main__":
    unittest.main()
