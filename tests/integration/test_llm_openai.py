#!/usr/bin/env python3
"""The openai backend through the real binary: `briefing generate --backend
openai` against tests/integration/openai_server.py, a loopback server that
speaks the streaming chat-completions protocol. A normal stream stores a
briefing with the server's token counts; an HTTP 500, a dropped connection
and a slow server (config [llm] timeout) fail with the reason and store
nothing. The backend's finer cases (401, malformed chunks, parallel
requests, hostile bytes) are in tests/unit/test_llm.c."""
import calendar
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("BRIEFING_BIN", os.path.join(ROOT, "briefing"))
SAMPLES = os.path.join(ROOT, "data", "samples")
SERVER = os.path.join(ROOT, "tests", "integration", "openai_server.py")
NOW = calendar.timegm((2026, 2, 21, 19, 0, 0))


class OpenAIBackend(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        t = cls.tmp.name
        pf = os.path.join(t, "port")
        cls.srv = subprocess.Popen([sys.executable, SERVER, "--port-file", pf])
        for _ in range(100):
            if os.path.exists(pf):
                break
            time.sleep(0.1)
        with open(pf) as f:
            cls.url = "http://127.0.0.1:%s/v1" % f.read().strip()
        cls.env = dict(os.environ, HOME=t, XDG_DATA_HOME=os.path.join(t, "data"),
                       XDG_CONFIG_HOME=os.path.join(t, "config"), BRIEFING_NO_DEFAULT_FEEDS="1",
                       BRIEFING_NOW=str(NOW), TZ="UTC", LC_ALL="C.UTF-8")
        cls.db = os.path.join(t, "b.db")
        for f in sorted(os.listdir(SAMPLES)):
            if f.endswith(".xml"):
                cls.b("feeds", "add", os.path.join(SAMPLES, f))
        cls.b("fetch")

    @classmethod
    def tearDownClass(cls):
        cls.srv.terminate()
        cls.srv.wait(5)
        cls.tmp.cleanup()

    @classmethod
    def b(cls, *args, pre=()):
        p = subprocess.run([BIN, "--db", cls.db] + list(pre) + list(args), capture_output=True,
                           env=cls.env, timeout=60)
        p.out = p.stdout.decode("utf-8", "replace")
        p.err = p.stderr.decode("utf-8", "replace")
        return p

    def briefings(self):
        con = sqlite3.connect(self.db)
        try:
            return con.execute("SELECT count(*) FROM briefings").fetchone()[0]
        finally:
            con.close()

    def gen(self, model, pre=()):
        return self.b("generate", "--backend", "openai", "--base-url", self.url, "--model", model,
                      "--edition", "evening", "--since", "2026-02-14", "--quiet", pre=pre)

    def test_stream_stores_briefing(self):
        before = self.briefings()
        p = self.gen("usage")
        self.assertEqual(p.returncode, 0, p.err)
        self.assertEqual(self.briefings(), before + 1)
        d = json.loads(self.b("export", "latest", "--format", "json").out)
        pv = d["provenance"]
        self.assertEqual(pv["backend"], "openai")
        self.assertEqual(pv["model"], "usage")
        # the server reports 17 prompt tokens per request: a multiple of 17
        self.assertGreater(pv["prompt_tokens"], 0)
        self.assertEqual(pv["prompt_tokens"] % 17, 0)
        self.assertGreater(pv["completion_tokens"], 0)
        # the echo server repeats the prompt: each entry saw its own sources
        self.assertTrue(d["stories"])
        md = self.b("export", "latest").out
        self.assertIn("Echo:", md)

    def test_check_sees_what_the_model_saw(self):
        """The faithfulness check compares an entry with the sources text
        the model was given, not with more: a number only in an item's
        content, which the prompt left out for its longer summary, is
        flagged; a publish time does not vouch for a number."""
        db = os.path.join(self.tmp.name, "seen.db")
        feed = os.path.join(self.tmp.name, "seen.xml")
        summary = ("ChangXin Memory Technologies is cutting staff at its Hefei DRAM plant as "
                   "memory prices fall and export controls tighten on chip equipment. " * 3)
        with open(feed, "w") as f:
            f.write('<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
                    '<channel><title>Wire</title><item><title>CXMT cuts DRAM jobs</title>'
                    '<link>https://wire.example/cxmt-jobs</link>'
                    '<pubDate>Sat, 21 Feb 2026 02:30:00 GMT</pubDate>'
                    '<description>%s</description>'
                    '<content:encoded>CXMT cut 9000 jobs.</content:encoded>'
                    '</item></channel></rss>' % summary)

        def run(*args):
            return subprocess.run([BIN, "--db", db] + list(args), capture_output=True,
                                  env=self.env, timeout=60)
        self.assertEqual(run("feeds", "add", feed).returncode, 0)
        self.assertEqual(run("fetch", "--quiet").returncode, 0)
        for said, flagged in (("CXMT cuts DRAM jobs\\nCXMT cut 9000 jobs at its DRAM plant.", True),
                              ("CXMT cuts DRAM jobs\\nCXMT cut output by 30% at its DRAM plant.",
                               True),
                              ("CXMT cuts DRAM jobs\\nCXMT is cutting staff at its Hefei DRAM "
                               "plant, it said on February 21.", False)):
            p = run("generate", "--backend", "openai", "--base-url", self.url, "--model",
                    "say:" + said, "--since", "2026-02-14", "--quiet")
            self.assertEqual(p.returncode, 0, p.stderr)
            con = sqlite3.connect(db)
            row = con.execute("SELECT flagged, flag_reason FROM briefing_stories ORDER BY id DESC"
                              " LIMIT 1").fetchone()
            con.close()
            self.assertEqual(bool(row[0]), flagged, (said, row))
            if flagged:
                self.assertIn("the sources do not give", row[1])
                # every output says what failed, in the same words
                want = "9000 jobs" if "9000" in said else "30%"
                self.assertIn(want, row[1])
                for fmt in ("md", "txt", "json"):
                    out = run("export", "latest", "--format", fmt).stdout.decode()
                    self.assertIn("the sources do not give", out, fmt)
                    self.assertIn(want, out, fmt)

    def test_http_500(self):
        before = self.briefings()
        p = self.gen("err500")
        self.assertEqual(p.returncode, 1)
        self.assertIn("HTTP 500", p.err)
        self.assertIn("model exploded", p.err)
        self.assertEqual(self.briefings(), before)

    def test_dropped_connection(self):
        before = self.briefings()
        p = self.gen("drop")
        self.assertEqual(p.returncode, 1)
        self.assertIn("dropped", p.err)
        self.assertEqual(self.briefings(), before)

    def test_slow_server_times_out(self):
        cfg = os.path.join(self.tmp.name, "timeout.conf")
        with open(cfg, "w") as f:
            f.write("[llm]\ntimeout = 1\n")
        before = self.briefings()
        t0 = time.monotonic()
        p = self.gen("slow", pre=("--config", cfg))
        dt = time.monotonic() - t0
        self.assertEqual(p.returncode, 1, p.err)
        self.assertIn("did not finish within 1 s", p.err)
        self.assertLess(dt, 15)   # 12 requests, 4 at a time, 1 s each
        self.assertEqual(self.briefings(), before)

    def test_connection_refused(self):
        p = self.b("generate", "--backend", "openai", "--base-url", "http://127.0.0.1:9/v1",
                   "--since", "2026-02-14", "--quiet")
        self.assertEqual(p.returncode, 1)
        self.assertIn("cannot connect", p.err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
