"""briefing export and briefing schedule through the real binary, on
briefings written into a real database file with sqlite3 (generate has its
own test, test_generate.py). Checks every format, hostile stored text, the
markdown through a CommonMark renderer (cmark, when installed) and the
crontab lines. Python standard library only."""

import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("BRIEFING_BIN", os.path.join(ROOT, "briefing"))

GLOBE, BRAIN, SCOPE = "\U0001f310", "\U0001f9e0", "\U0001f52d"


class ExportTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.db = os.path.join(self.tmp.name, "b.db")
        self.env = dict(os.environ)
        self.env.update({"HOME": self.tmp.name,
                         "XDG_DATA_HOME": os.path.join(self.tmp.name, "data"),
                         "XDG_CONFIG_HOME": os.path.join(self.tmp.name, "config"),
                         "BRIEFING_NO_DEFAULT_FEEDS": "1", "TZ": "UTC"})
        self.b("feeds", "list")          # creates the database at the current schema

    def tearDown(self):
        self.tmp.cleanup()

    def b(self, *args, check=0):
        p = subprocess.run([BIN, "--db", self.db] + list(args), capture_output=True,
                           env=self.env, timeout=60)
        p.out = p.stdout.decode("utf-8")
        p.err = p.stderr.decode("utf-8", "replace")
        if check is not None and p.returncode != check:
            raise AssertionError("%s -> %d (want %d)\nstdout: %s\nstderr: %s" % (
                args, p.returncode, check, p.out, p.err))
        return p

    def insert(self, style="secretary", created=1771700400, hostile=False):
        con = sqlite3.connect(self.db)
        try:
            cur = con.execute(
                "INSERT INTO briefings(created, edition, edition_date, style, tagline,"
                " assessment, bottom_line, assessment_flag, backend, model, model_hash,"
                " window_start, window_end, prompt_hashes, prompt_tokens, completion_tokens,"
                " seconds_total, status) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (created, "evening", "2026.02.21 \u2014 Evening (7:00 PM)", style,
                 "Memory gets cheap \x1b[31mand\x1b[0m *fast*." if hostile else "Memory gets cheap.",
                 "CXMT matters.\n\nSamsung too.", "Watch memory.", None, "engine",
                 "qwen.gguf", "abc123", created - 43200, created, "system=1 story=2", 900, 300,
                 2.5, "flagged"))
            bid = cur.lastrowid
            stories = [
                (1, "story", "Geopolitics & Chips", GLOBE,
                 "<script>x</script> CXMT *undercuts* [DDR4](javascript:alert(1))" if hostile
                 else "CXMT undercuts DDR4",
                 "CXMT sells at half price.\n# not a heading\n\n<img src=x onerror=alert(1)>"
                 if hostile else "CXMT sells DDR4 at half price.", 0, None,
                 [("Chip Wire", "CXMT cuts", "https://chipwire.example/cxmt?a=(1)&b=<2>")]),
                (2, "story", "Foundation Models", BRAIN, "Codex gets faster",
                 "It serves 9000 tokens a second.", 1, "not in the sources: 9000",
                 [("Model Watch", "Codex speed", "https://modelwatch.example/codex"),
                  ("Other", "Codex again", "javascript:alert(2)")]),
                (3, "shortlist", None, None, "Short one", "A one-liner.", 0, None,
                 [("Policy Desk", "India", "https://policy.example/india")]),
            ]
            for rank, kind, sec, emo, head, body, flagged, why, srcs in stories:
                if style != "digest" and kind == "shortlist":
                    continue
                sid = con.execute(
                    "INSERT INTO briefing_stories(briefing_id, rank, kind, section,"
                    " section_emoji, headline, body, flagged, flag_reason)"
                    " VALUES (?,?,?,?,?,?,?,?,?)",
                    (bid, rank, kind, sec if style == "secretary" else None,
                     emo if style == "secretary" else None, head, body, flagged, why)).lastrowid
                for pos, (feed, title, link) in enumerate(srcs):
                    con.execute("INSERT INTO story_sources(story_id, pos, feed_title, title,"
                                " link, published) VALUES (?,?,?,?,?,?)",
                                (sid, pos, feed, title, link, created - 3600))
            con.commit()
            return bid
        finally:
            con.close()

    def test_formats(self):
        p = self.b("export", check=1)
        self.assertIn("no briefing yet", p.err)
        bid = self.insert()
        md = self.b("export", "latest").out
        self.assertEqual(md, self.b("export").out)
        self.assertEqual(md, self.b("export", str(bid), "--format", "md").out)
        self.assertTrue(md.startswith("# Evening Briefing\n\n**2026.02.21 \u2014 Evening (7:00 PM)**\n\n"
                                      "*Memory gets cheap.*\n"))
        self.assertIn("## %s Geopolitics & Chips\n\n### CXMT undercuts DDR4\n" % GLOBE, md)
        self.assertIn("[Read more \u2192](https://chipwire.example/cxmt?a=%281%29&b=%3C2%3E)", md)
        self.assertIn("### Codex gets faster \u26a0\n\n> \u26a0 **Unverified:** not in the"
                      " sources: 9000\n", md)
        self.assertIn("## %s Secretary's Assessment\n\nCXMT matters.\n\nSamsung too.\n\n"
                      "**Bottom line:** Watch memory.\n" % SCOPE, md)
        self.assertIn("written by the engine backend (qwen.gguf)", md)
        self.assertNotIn("Extractive edition", md)

        txt = self.b("export", "--format", "txt").out
        self.assertTrue(txt.startswith("Evening Briefing\n2026.02.21 \u2014 Evening (7:00 PM)\n"))
        self.assertIn("[!] Unverified: not in the sources: 9000", txt)
        self.assertIn("Read more \u2192 https://chipwire.example/cxmt?a=(1)&b=<2>\n", txt)
        self.assertNotIn("**", txt)

        js = json.loads(self.b("export", "latest", "--format", "json").out)
        self.assertEqual(js["id"], bid)
        self.assertEqual(js["created"], "2026-02-21T19:00:00Z")
        self.assertEqual(js["status"], "flagged")
        self.assertEqual([s["rank"] for s in js["stories"]], [1, 2])
        self.assertTrue(js["stories"][1]["flagged"])
        self.assertEqual(len(js["stories"][1]["sources"]), 2)
        self.assertIsNone(js["stories"][1]["sources"][0]["item_id"])
        pv = js["provenance"]
        self.assertEqual((pv["backend"], pv["model"], pv["model_hash"]),
                         ("engine", "qwen.gguf", "abc123"))
        self.assertEqual((pv["prompt_tokens"], pv["completion_tokens"]), (900, 300))
        self.assertEqual(pv["window_start"], "2026-02-21T07:00:00Z")

    def test_output_file_list_and_errors(self):
        self.insert(created=1771600000)
        b2 = self.insert(style="digest")
        out = os.path.join(self.tmp.name, "out", "b.md")
        os.makedirs(os.path.dirname(out))
        self.b("export", "latest", "-o", out)
        with open(out, encoding="utf-8") as f:
            self.assertEqual(f.read(), self.b("export", str(b2)).out)
        lines = self.b("export", "--list").out.splitlines()
        self.assertEqual(len(lines), 2)
        self.assertTrue(lines[0].split()[0] == str(b2))
        self.assertIn("digest", lines[0])
        self.assertIn("(flagged)", lines[0])
        self.b("export", "99", check=1)
        self.b("export", "abc", check=2)
        self.b("export", "--format", "pdf", check=2)
        self.b("export", "-o", os.path.join(self.tmp.name, "no", "such", "dir", "x"), check=3)

    def test_digest(self):
        self.insert(style="digest")
        md = self.b("export").out
        self.assertIn("# The Digest", md)
        self.assertIn("In today's digest:\n\n- CXMT undercuts DDR4\n- Codex gets faster\n", md)
        self.assertIn("## The Shortlist\n\n- **Short one** \u2014 A one-liner.\n", md)
        self.assertIn("## References\n\n- [Chip Wire \u2014 CXMT cuts](https://", md)
        self.assertNotIn("## Short one", md)
        txt = self.b("export", "--format", "txt").out
        self.assertIn("The Shortlist\n=============\n\n- Short one \u2014 A one-liner.\n", txt)

    def test_hostile_text(self):
        self.insert(hostile=True)
        for fmt in ("md", "txt", "json"):
            out = self.b("export", "--format", fmt).out
            self.assertNotIn("\x1b", out)
        md = self.b("export").out
        self.assertIn("\\<script\\>", md)
        self.assertIn("\\*undercuts\\*", md)
        self.assertIn("\\# not a heading", md)
        self.assertIn("\\[DDR4\\](javascript", md)   # escaped: not a link
        if not shutil.which("cmark"):
            self.skipTest("cmark not installed (scripts/install-deps.sh installs it)")
        html = subprocess.run(["cmark"], input=md.encode(), capture_output=True,
                              check=True).stdout.decode()
        self.assertEqual(html.count("<h1>"), 1)
        self.assertEqual(html.count("<h2>"), 3)      # two sections and the assessment
        self.assertEqual(html.count("<h3>"), 2)      # the entries
        for bad in ("<script", "<img", "<em>undercuts", "<h1>not", "<strong>"
                    "Unverified:</strong> not in the sources: 9000</p>\n<h"):
            self.assertNotIn(bad, html)
        for href in re.findall(r'href="([^"]*)"', html):
            self.assertTrue(href.startswith("https://"), href)
        self.assertIn("<strong>Bottom line:</strong> Watch memory.", html)
        self.assertIn("<blockquote>", html)          # the Unverified mark

    def test_schedule(self):
        p = self.b("schedule")
        lines = [l for l in p.out.splitlines() if l and not l.startswith("#")]
        self.assertEqual(len(lines), 2)
        self.assertTrue(lines[0].startswith("0 7 * * * "))
        self.assertTrue(lines[1].startswith("0 19 * * * "))
        self.assertIn(" fetch --quiet; ", lines[0])
        self.assertIn("generate --edition morning --quiet", lines[0])
        self.assertIn("generate --edition evening --quiet", lines[1])
        self.assertIn("--db '%s'" % self.db, lines[0])
        self.assertTrue(any("crontab" in l for l in p.out.splitlines() if l.startswith("#")))
        cfg = os.path.join(self.tmp.name, "config", "briefing", "config")
        os.makedirs(os.path.dirname(cfg))
        with open(cfg, "w") as f:
            f.write("[schedule]\nmorning = 06:30\nevening = 18:45\n")
        lines = [l for l in self.b("schedule").out.splitlines() if l and not l.startswith("#")]
        self.assertTrue(lines[0].startswith("30 6 * * * "))
        self.assertTrue(lines[1].startswith("45 18 * * * "))
        lines = [l for l in self.b("schedule", "--evening", "20:05").out.splitlines()
                 if l and not l.startswith("#")]
        self.assertTrue(lines[1].startswith("5 20 * * * "))
        self.b("schedule", "--morning", "25:00", check=2)
        self.b("schedule", "--morning", "7", check=2)


if __name__ == "__main__":
    unittest.main()
