"""The full-screen reader, driven through the real binary inside tmux
(send-keys, capture-pane) over databases built from data/samples with
`briefing feeds add` + `briefing fetch`. Waits poll capture-pane with a
deadline; nothing sleeps a fixed time. Python standard library + tmux."""

import os
import re
import calendar
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from feedserver import FeedServer, Response, rss  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("BRIEFING_BIN", os.path.join(ROOT, "briefing"))
SAMPLES = os.path.join(ROOT, "data", "samples")
TMUX = shutil.which("tmux")
WAIT = 10.0  # seconds: the most any screen may take to appear


class Pane:
    """One tmux server (own socket) running one command in a W x H window."""

    count = 0

    def __init__(self, tmp, cmd, width=100, height=30):
        Pane.count += 1
        self.sock = os.path.join(tmp, "tmux%d.sock" % Pane.count)
        self.tmux("-f", "/dev/null", "new-session", "-d", "-x", str(width),
                  "-y", str(height), cmd)

    def tmux(self, *args):
        p = subprocess.run([TMUX, "-S", self.sock] + list(args),
                           capture_output=True, text=True, timeout=20)
        if p.returncode != 0:
            raise AssertionError("tmux %s: %s" % (args, p.stderr))
        return p.stdout

    def keys(self, *keys):
        self.tmux("send-keys", "-t", "0", *keys)

    def text(self, *chunks):
        for c in chunks:
            self.tmux("send-keys", "-t", "0", "-l", c)

    def screen(self, escapes=False):
        args = ["capture-pane", "-p", "-t", "0"] + (["-e"] if escapes else [])
        return self.tmux(*args)

    def fmt(self, f):
        return self.tmux("display-message", "-p", "-t", "0", f).strip()

    def wait(self, pred, what):
        """Poll the screen until pred(screen) holds."""
        deadline = time.monotonic() + WAIT
        s = ""
        while time.monotonic() < deadline:
            s = self.screen()
            if pred(s):
                return s
            time.sleep(0.03)
        raise AssertionError("timed out waiting for %s; screen:\n%s" % (what, s))

    def wait_for(self, needle):
        return self.wait(lambda s: needle in s, repr(needle))

    def wait_gone(self, needle):
        return self.wait(lambda s: needle not in s, "%r to go" % needle)

    def kill(self):
        subprocess.run([TMUX, "-S", self.sock, "kill-server"], capture_output=True, timeout=20)


def body(screen):
    """The screen without the header and status lines."""
    lines = screen.split("\n")
    if screen.endswith("\n"):
        lines.pop()
    return "\n".join(lines[1:-1])


def add_briefing(db, created, edition, date, tagline, flagged=False, headline0=None):
    """A briefing of four stories over the newest items, written straight
    into the store's tables (no model needed)."""
    con = sqlite3.connect(db)
    items = con.execute("select i.id, f.title, f.url, i.title, i.url, i.published from items i "
                        "join feeds f on f.id = i.feed_id order by i.published desc, i.id desc"
                        ).fetchall()
    cur = con.execute(
        "insert into briefings (created, edition, edition_date, style, tagline, assessment,"
        " bottom_line, backend, status) values (?, ?, ?, 'secretary', ?, ?, ?, 'extractive', ?)",
        (created, edition, date, tagline,
         "Memory prices and export controls pull the same way this week.\n\n"
         "Watch the next licence decision.",
         "Cheaper memory, louder policy.", "flagged" if flagged else "ok"))
    bid = cur.lastrowid
    stories = [
        ("Geopolitics & Chips", "\U0001F310", headline0 or "CXMT undercuts DDR4 prices",
         "CXMT quotes DDR4 at about half the going rate. " * 3, [0, 1], 0),
        ("Geopolitics & Chips", "\U0001F310", "India joins the minerals coalition",
         "India signed on to Pax Silica. " * 4, [2], 1 if flagged else 0),
        ("Foundation Models", "\U0001F9E0", "Codex-Spark passes 1,200 tokens a second",
         "Throughput matters for coding agents. " * 5, [3], 0),
        ("Open Source & Hardware", "\U0001F527", "A 70B model on one RTX 3090",
         "ntransformer streams weights from NVMe. " * 5, [4, 5], 0),
    ]
    for rank, (sec, emoji, head, body, srcs, fl) in enumerate(stories, 1):
        sid = con.execute(
            "insert into briefing_stories (briefing_id, rank, kind, section, section_emoji,"
            " headline, body, flagged, flag_reason) values (?, ?, 'story', ?, ?, ?, ?, ?, ?)",
            (bid, rank, sec, emoji, head, body, fl,
             "a number is not in the sources" if fl else None)).lastrowid
        for pos, k in enumerate(srcs):
            it = items[k]
            con.execute("insert into story_sources (story_id, pos, item_id, feed_title, feed_url,"
                        " title, link, published) values (?, ?, ?, ?, ?, ?, ?, ?)",
                        (sid, pos) + tuple(it))
    con.commit()
    con.close()
    return bid, items


def width(s):
    """Display width as a terminal counts it (East Asian wide = 2)."""
    import unicodedata
    w = 0
    for ch in s:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        w += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return w


@unittest.skipUnless(TMUX, "tmux is not installed")
class TuiTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tui-")
        self.db = os.path.join(self.tmp, "b.db")
        self.env = {"HOME": self.tmp,
                    "XDG_DATA_HOME": os.path.join(self.tmp, "data"),
                    "XDG_CONFIG_HOME": os.path.join(self.tmp, "config"),
                    "BRIEFING_NO_DEFAULT_FEEDS": "1",
                    "LC_ALL": "C.UTF-8",
                    "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        self.pane = None

    def tearDown(self):
        if self.pane:
            self.pane.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def b(self, *args):
        e = dict(os.environ)
        e.update(self.env)
        p = subprocess.run([BIN, "--db", self.db] + list(args), capture_output=True,
                           text=True, env=e, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    def add_samples(self, fetch=True):
        for f in sorted(os.listdir(SAMPLES)):
            self.b("feeds", "add", os.path.join(SAMPLES, f))
        if fetch:
            self.b("fetch")

    def q(self, sql, *params):
        con = sqlite3.connect(self.db)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    def start(self, extra_env=None, width=100, height=30, args=(), bin_env=None, cwd=None):
        """Run the reader in tmux; after it exits the shell prints its exit
        status and the terminal modes, then waits to be killed."""
        env = dict(self.env)
        env.update(extra_env or {})
        script = os.path.join(self.tmp, "run.sh")
        with open(script, "w") as f:
            f.write("#!/bin/sh\n")
            for k, v in env.items():
                f.write("export %s='%s'\n" % (k, v.replace("'", "'\\''")))
            f.write("unset NO_COLOR\n" if "NO_COLOR" not in env else "")
            if cwd:
                f.write("cd '%s'\n" % cwd)
            pre = "".join("%s='%s' " % kv for kv in (bin_env or {}).items())
            f.write("%s%s --db '%s' %s\n" % (pre, BIN, self.db, " ".join(args)))
            f.write("echo \"EXITED $?\"; stty -a | tr ' ;' '\\n\\n' | grep -x -e echo -e -echo"
                    " -e icanon -e -icanon | tr '\\n' ' '; echo; exec sleep 600\n")
        self.pane = Pane(self.tmp, "sh " + script, width, height)
        return self.pane

    def assert_restored(self, p):
        s = p.wait_for("EXITED")
        self.assertIn("EXITED 0", s)
        p.wait(lambda s: re.search(r"\becho\b.*\bicanon\b|\bicanon\b.*\becho\b", s), "stty modes")
        s = p.screen()
        self.assertNotIn("-echo", s)
        self.assertNotIn("-icanon", s)
        self.assertEqual(p.fmt("#{alternate_on}"), "0")
        self.assertEqual(p.fmt("#{cursor_flag}"), "1")

    # -- views -------------------------------------------------------------
    def test_empty_archive_points_to_the_demo(self):
        """A plain ./briefing in a checkout where make demo ran, on an empty
        archive, says in one line how to open the demo's briefing."""
        demo = os.path.join(self.tmp, "checkout", "build", "demo")
        os.makedirs(demo)
        open(os.path.join(demo, "briefing.db"), "w").close()
        p = self.start(cwd=os.path.join(self.tmp, "checkout"))
        s = p.wait_for("No items yet")
        self.assertIn("./briefing --db build/demo/briefing.db", s)
        p.keys("Q")
        self.assert_restored(p)
        p.kill()
        p = self.start(cwd=self.tmp)      # elsewhere (no build/demo there): no such line
        s = p.wait_for("No items yet")
        self.assertNotIn("build/demo", s)
        p.keys("Q")
        self.assert_restored(p)

    def test_items_pager_and_read_marks(self):
        self.add_samples()
        titles = [r[0] for r in self.q("select title from items order by published desc, id desc")]
        p = self.start()
        s = p.wait_for("28 items, 28 unread")
        self.assertIn(titles[0], s)
        self.assertRegex(s, r"\n N 2026-02-21 \d\d:\d\d  ")
        # j j Enter: the third item in the pager, marked read
        p.keys("j", "j", "Enter")
        s = p.wait_for("lines 1-")
        self.assertIn(titles[2], body(s).split("\n")[0])
        self.assertEqual(self.q("select read from items where title = ?", titles[2]), [(1,)])
        # n: the next one; q: back to the list, where both are read now
        p.keys("n")
        p.wait(lambda s: titles[3] in body(s).split("\n")[0], "next item")
        p.keys("q")
        s = p.wait_for("28 items, 26 unread")
        rows = body(s).split("\n")
        self.assertTrue(rows[2].startswith("   "), rows[2])
        self.assertTrue(rows[1].startswith(" N "), rows[1])
        # N toggles the selected row (the 4th) back to unread
        p.keys("N")
        s = p.wait_for("27 unread")
        self.assertEqual(self.q("select read from items where title = ?", titles[3]), [(0,)])
        p.keys("q")
        self.assert_restored(p)

    def test_pager_scrolls_like_less(self):
        self.add_samples()
        long = " ".join("word%d" % i for i in range(2000))
        con = sqlite3.connect(self.db)
        con.execute("update items set content = ?, published = 99999999999 where id = 1",
                    (long,))
        con.commit()
        con.close()
        p = self.start(height=24)
        p.wait_for("28 items")
        p.keys("Enter")
        s = p.wait_for("lines 1-22 of")
        self.assertIn("word0 ", s)
        p.keys("Space")
        s = p.wait_for("lines 22-43 of")
        p.keys("G")
        s = p.wait_for("(100%)")
        self.assertIn("word1999", s)
        p.keys("g")
        p.wait_for("lines 1-22 of")
        p.keys("j", "j")
        p.wait_for("lines 3-24 of")
        p.keys("b")
        p.wait_for("lines 1-22 of")
        p.keys("Q")
        self.assert_restored(p)

    def test_feeds_view_and_filter(self):
        self.add_samples()
        p = self.start()
        p.wait_for("28 items")
        p.keys("3")
        s = p.wait_for("4 feeds, 0 failing")
        for name in ("Chipwire (sample)", "Model Watch (sample)",
                     "Open Weights Weekly (sample)", "AI Policy Desk (sample)"):
            self.assertIn(name, s)
        self.assertIn("file://" + os.path.join(SAMPLES, "chipwire.rss.xml"), s)
        n = self.q("select count(*) from items i join feeds f on f.id = i.feed_id "
                   "where f.title = 'Chipwire (sample)'")[0][0]
        p.keys("Enter")
        s = p.wait_for("Chipwire (sample) | %d items" % n)
        self.assertNotIn("Model Watch", body(s))
        p.keys("q")
        p.wait_for("4 feeds")
        p.keys("q")
        self.assert_restored(p)

    def test_search(self):
        self.add_samples()
        p = self.start()
        p.wait_for("28 items")
        p.keys("/")
        p.wait_for("Search:")
        p.text("nvidia")
        p.keys("Enter")
        s = p.wait(lambda s: re.search(r"\| [1-9]\d* results", s), "results")
        want = self.b("search", "nvidia")
        n = int(re.search(r"\| (\d+) results", s).group(1))
        self.assertGreaterEqual(n, 2)
        self.assertIn("Nvidia", body(s))
        self.assertIn("Did the ban on top Nvidia chips backfire?", want)
        # a word with no match
        p.keys("/")
        p.keys("C-u")
        p.text("zzzqqq")
        p.keys("Enter")
        p.wait_for("Nothing found.")
        p.keys("Escape", "q")
        self.assert_restored(p)

    def test_help_from_key_table_and_config_keys(self):
        self.add_samples()
        os.makedirs(os.path.join(self.tmp, "config", "briefing"))
        with open(os.path.join(self.tmp, "config", "briefing", "config"), "w") as f:
            f.write("[keys]\ndown = J Down\nhelp = h\n[theme]\nselected = black/cyan bold\n")
        p = self.start()
        s = p.wait_for("28 items")
        self.assertIn("h:help", s)
        p.keys("h")
        s = p.wait_for("Keys in Items")
        self.assertRegex(s, r"J Down +down +next line")
        self.assertRegex(s, r"N u +toggle_read")
        self.assertNotRegex(s, r"j Down")
        p.keys("q")
        p.wait_for("28 items")
        p.keys("J", "J", "Enter")
        title = self.q("select title from items order by published desc, id desc")[2][0]
        p.wait(lambda s: title in body(s).split("\n")[0], "third item via J")
        p.keys("Q")
        self.assert_restored(p)

    def test_theme_from_config(self):
        self.add_samples()
        os.makedirs(os.path.join(self.tmp, "config", "briefing"))
        with open(os.path.join(self.tmp, "config", "briefing", "config"), "w") as f:
            f.write("[theme]\nselected = black/cyan bold\nheader = yellow/magenta\n")
        p = self.start()
        p.wait_for("28 items")
        lines = p.screen(escapes=True).split("\n")
        # the header bar in yellow on magenta, the selected row black on cyan
        self.assertRegex(lines[0], r"\x1b\[[0-9;]*33[;m].*briefing \| Items")
        self.assertRegex(lines[0], r"\x1b\[[0-9;]*45[;m]")
        self.assertRegex(lines[1], r"\x1b\[[0-9;]*30[;m]")
        self.assertRegex(lines[1], r"\x1b\[[0-9;]*46[;m]")
        self.assertNotRegex(lines[2], r"\x1b\[[0-9;]*46[;m]")
        p.keys("q")
        self.assert_restored(p)

    def test_bad_config_key_is_shown_not_fatal(self):
        self.add_samples()
        os.makedirs(os.path.join(self.tmp, "config", "briefing"))
        with open(os.path.join(self.tmp, "config", "briefing", "config"), "w") as f:
            f.write("[keys]\ndown = Bogus\n")
        p = self.start()
        s = p.wait_for("28 items")
        self.assertIn("keys.down: unknown key 'Bogus'", s)
        p.keys("q")
        self.assert_restored(p)

    def test_resize_and_too_small(self):
        self.add_samples()
        p = self.start()
        p.wait_for("28 items")
        p.tmux("resize-window", "-t", "0", "-x", "60", "-y", "20")
        s = p.wait_for("terminal too small: 60x20, need 80x24")
        p.keys("j")  # ignored, no crash
        p.tmux("resize-window", "-t", "0", "-x", "120", "-y", "40")
        s = p.wait(lambda s: s.split("\n")[0].find("?:help") == 120 - 7 and "28 items" in s, "120x40")
        self.assertEqual(len(s.split("\n")), 41)  # every row, then the final newline
        self.assertIn("?:help", s.split("\n")[0])
        self.assertTrue(s.split("\n")[0].rstrip().endswith("?:help"))
        p.tmux("resize-window", "-t", "0", "-x", "80", "-y", "24")
        s = p.wait(lambda s: s.split("\n")[0].find("?:help") == 80 - 7 and "28 items" in s, "80x24")
        self.assertEqual(len(s.split("\n")), 25)
        p.keys("q")
        self.assert_restored(p)

    def test_fetch_inside_with_progress_and_errors(self):
        self.add_samples(fetch=False)
        self.b("feeds", "add", "file://" + os.path.join(self.tmp, "missing.xml"))
        p = self.start()
        p.wait_for("No items yet")
        p.keys("r")
        s = p.wait_for("fetched 5 feeds: 28 new, 1 error")
        self.assertIn("missing.xml", s)
        p.wait_for("28 items, 28 unread")
        p.keys("3")
        s = p.wait_for("5 feeds, 1 failing")
        self.assertRegex(s, r"ERR +file://\S*missing\.xml")
        p.keys("G")
        p.wait(lambda s: re.search(r"error: .*missing", s), "the feed's error")
        p.keys("q")
        self.assert_restored(p)

    def test_fetch_keeps_keys_live_and_cancels(self):
        fast = rss("Fast feed", [{"guid": "f%d" % i, "title": "Fast item %d" % i,
                                  "link": "http://example.org/f%d" % i,
                                  "pubDate": "Sat, 21 Feb 2026 10:0%d:00 GMT" % i}
                                 for i in range(3)])
        with FeedServer() as srv:
            srv.route("/fast.xml", Response(body=fast, content_type="application/rss+xml"))
            srv.route("/slow.xml", Response(body=fast, delay=30))
            self.b("feeds", "add", srv.url("/fast.xml"))
            self.b("feeds", "add", srv.url("/slow.xml"))
            p = self.start()
            p.wait_for("No items yet")
            p.keys("r")
            # live progress: the fast feed is in while the slow one hangs
            s = p.wait_for("fetching: 1/2 feeds, 3 new, 0 errors")
            p.wait_for("3 items")
            # keys are served meanwhile: another view, and back
            p.keys("3")
            s = p.wait_for("2 feeds")
            self.assertIn("fetching: 1/2 feeds", s)
            self.assertIn("Fast feed", s)
            p.keys("2")
            p.wait_for("Fast item 2")
            # a second r while one runs says so
            p.keys("r")
            p.wait_for("(c: cancel) | a fetch is already running")
            t0 = time.monotonic()
            p.keys("c")
            p.wait_for("fetch cancelled after 1/2 feeds (3 new)")
            self.assertLess(time.monotonic() - t0, 5)
            self.assertEqual(self.q("select count(*) from items"), [(3,)])
            p.keys("q")
            self.assert_restored(p)

    def test_feed_add_and_remove(self):
        self.add_samples()
        p = self.start()
        p.wait_for("28 items")
        p.keys("3")
        p.wait_for("4 feeds")
        p.keys("a")
        p.wait_for("add feed (URL):")
        extra = os.path.join(self.tmp, "extra.xml")
        shutil.copy(os.path.join(SAMPLES, "chipwire.rss.xml"), extra)
        p.text(extra)
        p.keys("Enter")
        p.wait_for("5 feeds")
        self.assertEqual(self.q("select url from feeds where url like '%extra.xml'"),
                         [("file://" + os.path.realpath(extra),)])
        # the URL policy of 'feeds add': refused with the reason, nothing added
        p.keys("a")
        p.wait_for("add feed (URL):")
        p.text("javascript:alert(1)")
        p.keys("Enter")
        p.wait_for("only http://, https:// and file://")
        self.assertEqual(self.q("select count(*) from feeds"), [(5,)])
        # remove the first feed: n keeps it, y removes it
        first = self.q("select id, title from feeds order by id limit 1")[0]
        p.keys("g", "d")
        p.wait_for("and its items? (y/N)")
        p.text("n")
        p.keys("Enter")
        p.wait_for("kept")
        p.keys("d")
        p.wait_for("(y/N)")
        p.text("y")
        p.keys("Enter")
        p.wait_for("removed feed %d" % first[0])
        self.assertEqual(self.q("select count(*) from feeds where id = ?", first[0]), [(0,)])
        p.keys("q")
        self.assert_restored(p)

    def test_open_link_with_browser(self):
        self.add_samples()
        out = os.path.join(self.tmp, "opened")
        browser = os.path.join(self.tmp, "browser.sh")
        with open(browser, "w") as f:
            f.write("#!/bin/sh\nprintf '%%s\\n' \"$1\" > '%s'\n" % out)
        os.chmod(browser, 0o755)
        url = self.q("select url from items order by published desc, id desc limit 1")[0][0]
        p = self.start({"BROWSER": browser})
        p.wait_for("28 items")
        p.keys("o")
        p.wait_for("opened ")
        with open(out) as f:
            self.assertEqual(f.read().strip(), url)
        p.keys("q")
        self.assert_restored(p)

    def test_link_shown_without_browser(self):
        self.add_samples()
        url = self.q("select url from items order by published desc, id desc limit 1")[0][0]
        p = self.start(bin_env={"PATH": "/nonexistent"})
        p.wait_for("28 items")
        p.keys("o")
        p.wait_for("link: " + url)
        p.keys("q")
        self.assert_restored(p)

    def test_signals_restore_the_terminal(self):
        self.add_samples()
        for sig in ("TERM", "INT", "HUP"):
            p = self.start()
            p.wait_for("28 items")
            shell = p.fmt("#{pane_pid}")
            kids = subprocess.run(["pgrep", "-P", shell], capture_output=True,
                                  text=True).stdout.split()
            self.assertEqual(len(kids), 1)
            subprocess.run(["kill", "-" + sig, kids[0]], check=True)
            s = p.wait_for("EXITED")
            self.assertIn("EXITED 0", s)
            self.assertEqual(p.fmt("#{alternate_on}"), "0")
            p.wait(lambda s: re.search(r"(?<!-)\becho\b", s.split("EXITED")[1]), "stty after " + sig)
            self.assertNotIn("-echo", p.screen())
            p.kill()
            self.pane = None

    def test_unknown_terminal_is_an_error_not_a_mess(self):
        self.add_samples()
        p = self.start(bin_env={"TERM": "no-such-terminal-xyz"})
        s = p.wait_for("EXITED")
        self.assertIn("cannot start curses on TERM=no-such-terminal-xyz", s)
        self.assertIn("EXITED 2", s)
        self.assertEqual(p.fmt("#{alternate_on}"), "0")

    def test_no_color(self):
        self.add_samples()
        colour = re.compile(r"\x1b\[[0-9;]*\b(3[0-7]|4[0-7]|38;5;\d+|48;5;\d+)m")
        p = self.start()
        p.wait_for("28 items")
        self.assertRegex(p.screen(escapes=True), colour)
        p.keys("q")
        p.wait_for("EXITED")
        p.kill()
        p = self.start({"NO_COLOR": "1"})
        p.wait_for("28 items")
        s = p.screen(escapes=True)
        self.assertNotRegex(s, colour)
        self.assertIn("\x1b[", s)  # attributes (reverse, bold) still there
        p.keys("q")
        self.assert_restored(p)

    # -- hostile text ----------------------------------------------------------
    def test_hostile_titles_never_reach_the_terminal(self):
        feed = os.path.join(self.tmp, "hostile.xml")
        rlo, lri, c1csi = "\u202e", "\u2066", "\u009b"
        with open(feed, "w", encoding="utf-8") as f:
            f.write("""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Hostile %sfeed</title>
<link>https://hostile.example/</link><description>x</description>
<item><title>Bidi %sgnp.exe%s trick</title><link>https://hostile.example/1</link>
<guid>h1</guid><pubDate>Sat, 21 Feb 2026 10:00:00 GMT</pubDate>
<description>body %s31m red</description></item>
</channel></rss>""" % (rlo, rlo, lri, c1csi))
        self.b("feeds", "add", feed)
        self.b("fetch")
        # The parser already drops these; the reader must not rely on it.
        # Escape sequences cannot even travel in XML 1.0. Put them in the
        # store directly, as a future parser bug or an old database might.
        fid = self.q("select id from feeds")[0][0]
        evil = ("Evil\x1b]0;PWNED\x07 title\x1b[2J\x1b[31m here\x1bP+q\x1b\\ end\x07\x08\x7f"
                "\x1b[?1049l" + rlo + "!" + c1csi + "2J")
        con = sqlite3.connect(self.db)
        con.execute("update feeds set title = ?", ("Hostile " + rlo + "feed\x1b[5m",))
        con.execute("update items set title = ? where guid = 'h1'",
                    ("Bidi " + rlo + "gnp.exe" + lri + " trick",))
        con.execute("insert into items (feed_id, guid, url, title, content, published, hash) "
                    "values (?, 'e1', 'https://hostile.example/\x1b]0;URL\x07', ?, ?, "
                    "1771671600 + 60, 'x')",
                    (fid, evil, "text\x1b]2;PWNED2\x07 more\x1b[H\x1b[2J tail" + rlo))
        con.commit()
        con.close()
        stored = "".join(r[0] for r in self.q("select title from items"))
        for bad in (rlo, lri, c1csi, "\x1b]0;PWNED"):
            self.assertIn(bad, stored)
        p = self.start()
        s = p.wait_for("Evil title here end!")  # the C1 CSI "2J" goes whole
        self.assertIn("Bidi gnp.exe trick", s)
        for bad in (rlo, lri, c1csi, "\x1b", "PWNED", "[2J", "[31m"):
            self.assertNotIn(bad, s)
        self.assertNotIn("PWNED", p.fmt("#{pane_title}"))
        self.assertEqual(p.fmt("#{alternate_on}"), "1")
        p.keys("Enter")
        s = p.wait_for("text more tail")
        self.assertIn("https://hostile.example/", s)
        for bad in (rlo, "\x1b", "PWNED", "URL"):
            self.assertNotIn(bad, s)
        self.assertNotIn("PWNED", p.fmt("#{pane_title}"))
        p.keys("3")
        s = p.wait_for("Hostile feed")
        self.assertNotIn(rlo, s)
        p.keys("Q")
        self.assert_restored(p)


    def test_mouse_wheel(self):
        """A wheel-down event (xterm X10 encoding, as TERM=screen's kmous
        says) moves the selection three rows; with [ui] mouse = 0 the
        reader leaves the mouse alone."""
        self.add_samples()
        titles = [r[0] for r in self.q("select title from items order by published desc, id desc")]
        wheel_down = "\x1b[Ma**"
        p = self.start()
        p.wait_for("28 items, 28 unread")
        p.text(wheel_down)
        p.keys("Enter")
        s = p.wait_for("Item | lines")
        self.assertEqual(body(s).split("\n")[0].strip(), titles[3])
        p.keys("Q")
        self.assert_restored(p)
        p.kill()
        os.makedirs(os.path.join(self.tmp, "config", "briefing"), exist_ok=True)
        with open(os.path.join(self.tmp, "config", "briefing", "config"), "w") as f:
            f.write("[ui]\nmouse = 0\n")
        p = self.start()
        p.wait_for("28 items")
        p.keys("j")
        p.text(wheel_down)
        p.keys("Enter")
        s = p.wait_for("Item | lines")
        self.assertEqual(body(s).split("\n")[0].strip(), titles[1])
        p.keys("Q")
        self.assert_restored(p)

    def test_ascii_locale_draws_question_marks(self):
        self.add_samples()
        add_briefing(self.db, 1771696800, "evening", "2026.02.21 \u2014 Evening", "Tagline.")
        p = self.start({"LC_ALL": "C"})
        p.wait_for("1 briefings")
        p.keys("Enter")
        s = p.wait_for("?? Geopolitics & Chips")
        self.assertIn("2026.02.21 ? Evening", s)
        self.assertNotIn("M-", s)
        self.assertTrue(all(ord(c) < 128 for c in s), s)
        p.keys("Q")
        self.assert_restored(p)

    # -- briefings -------------------------------------------------------------
    def test_briefings_reader_story_export(self):
        self.add_samples()
        add_briefing(self.db, 1771653600, "morning", "2026.02.21 \u2014 Morning (7:00 AM)",
                     "A quieter morning.")
        bid, items = add_briefing(self.db, 1771696800, "evening",
                                  "2026.02.21 \u2014 Evening (7:00 PM)",
                                  "China undercuts the memory market.", flagged=True)
        browser = os.path.join(self.tmp, "browser.sh")
        opened = os.path.join(self.tmp, "opened")
        with open(browser, "w") as f:
            f.write("#!/bin/sh\nprintf '%%s\\n' \"$1\" > '%s'\n" % opened)
        os.chmod(browser, 0o755)
        p = self.start({"BROWSER": browser})
        # the briefings come first when there are any, newest first
        s = p.wait_for("2 briefings, 1 flagged")
        rows = body(s).split("\n")
        self.assertRegex(rows[0], r"^ ! 2026\.02\.21 \u2014 Evening \(7:00 PM\) +4 stories +secretary +China")
        self.assertRegex(rows[1], r"^   2026\.02\.21 \u2014 Morning \(7:00 AM\) +4 stories +secretary +A quieter")
        # the reader: date line, tagline, sections with their emoji, entries
        p.keys("Enter")
        s = p.wait_for("Briefing | 2026.02.21")
        b = body(s)
        self.assertIn("2026.02.21 \u2014 Evening (7:00 PM)", b)
        self.assertIn("China undercuts the memory market.", b)
        self.assertIn("\U0001F310 Geopolitics & Chips", b)
        self.assertIn("[!] Unverified: a number is not in the sources", b)
        # the lead is "Read more"; the other source is listed once, not the lead again
        self.assertIn("Read more \u2192 " + items[0][4], b)
        self.assertIn("also: ", b)
        for line in s.split("\n"):
            self.assertLessEqual(width(line), 100, line)
        # n jumps to the next section heading, p back
        p.keys("n")
        s = p.wait(lambda s: body(s).split("\n")[0].strip() == "\U0001F310 Geopolitics & Chips",
                   "first section at the top")
        p.keys("n")
        p.wait(lambda s: body(s).split("\n")[0].strip() == "\U0001F9E0 Foundation Models",
               "second section at the top")
        p.keys("p")
        p.wait(lambda s: body(s).split("\n")[0].strip() == "\U0001F310 Geopolitics & Chips",
               "back to the first")
        # G: the assessment and the bottom line at the end
        p.keys("G")
        s = p.wait_for("(100%)")
        self.assertIn("\U0001F52D Secretary's Assessment", s)
        self.assertIn("Bottom line: Cheaper memory, louder policy.", s)
        p.keys("g")
        p.wait_for("lines 1-")
        # Enter: the story at the top (the first), with its two sources
        p.keys("Enter")
        s = p.wait_for("story 1, source 1 of 2")
        self.assertIn("Sources (2)", s)
        self.assertIn("[1] " + items[0][1], s)
        self.assertIn(items[0][3], s)
        self.assertIn(items[1][4], s)
        p.keys("n")
        p.wait_for("source 2 of 2")
        p.keys("o")
        p.wait_for("opened ")
        with open(opened) as f:
            self.assertEqual(f.read().strip(), items[1][4])
        # Enter: the selected source's archived item in the pager
        p.keys("Enter")
        s = p.wait_for("Item | lines 1-")
        self.assertEqual(body(s).split("\n")[0].strip(), items[1][3])
        p.keys("q")
        p.wait_for("story 1, source 2 of 2")
        # e: exported to markdown, the path shown
        p.keys("e")
        s = p.wait(lambda s: re.search(r"exported to (\S+\.md)", s), "the export path")
        path = re.search(r"exported to (\S+\.md)", s).group(1)
        self.assertTrue(path.startswith(os.path.join(self.tmp, "data", "briefing", "exports")))
        with open(path, encoding="utf-8") as f:
            md = f.read()
        self.assertIn("CXMT undercuts DDR4 prices", md)
        self.assertIn("Geopolitics & Chips", md)
        p.keys("q", "q")
        p.wait_for("2 briefings")
        p.keys("q")
        self.assert_restored(p)

    def test_hostile_briefing_text(self):
        self.add_samples()
        evil = "Head\x1b]0;PWNED\x07line\x1b[2J \u202egnp.exe"
        add_briefing(self.db, 1771696800, "evening", "2026.02.21\x1b[31m \u2014 Evening",
                     "Tag\x1b[?1049lline\x07", headline0=evil)
        p = self.start()
        s = p.wait_for("1 briefings")
        self.assertIn("2026.02.21 \u2014 Evening", s)
        p.keys("Enter")
        s = p.wait_for("Headline gnp.exe")
        self.assertIn("Tagline", s)
        for bad in ("\x1b", "PWNED", "[2J", "\u202e", "[31m"):
            self.assertNotIn(bad, s)
        self.assertNotIn("PWNED", p.fmt("#{pane_title}"))
        p.keys("Q")
        self.assert_restored(p)

    def test_wide_titles_fit_their_columns(self):
        self.add_samples()
        fid = self.q("select id from feeds order by id limit 1")[0][0]
        cjk = "\u534a\u5bfc\u4f53\u51fa\u53e3\u7ba1\u5236" * 12 + " \U0001F916 end"
        comb = "Cafe\u0301 re\u0301sume\u0301 " * 3
        con = sqlite3.connect(self.db)
        for i, t in enumerate((cjk, comb)):
            con.execute("insert into items (feed_id, guid, url, title, content, published, hash)"
                        " values (?, ?, 'https://x.example/', ?, ?, 99999999999 - ?, 'w')",
                        (fid, "w%d" % i, t, (t + " ") * 20, i))
        con.commit()
        con.close()
        p = self.start(width=80, height=24)
        s = p.wait_for("30 items")
        rows = body(s).split("\n")
        self.assertIn("\u534a\u5bfc\u4f53", rows[0])
        self.assertTrue(rows[0].rstrip().endswith("\u2026"), rows[0])
        self.assertIn("Cafe\u0301 re\u0301sume\u0301", rows[1])
        for line in s.split("\n"):
            self.assertLessEqual(width(line), 80, line)
        # the feed column starts at the same place on every row
        col = [width(r[:r.index("  ", 20)]) for r in rows[:3]]
        self.assertEqual(len(set(col)), 1, rows[:3])
        p.keys("Enter")
        s = p.wait_for("Item | lines 1-")
        for line in s.split("\n"):
            self.assertLessEqual(width(line), 80, line)
        self.assertGreater(len([l for l in body(s).split("\n") if "\u534a" in l]), 3)
        p.keys("Q")
        self.assert_restored(p)

    # ---- g: a briefing written from inside the reader ----------------------

    NOW = calendar.timegm((2026, 2, 21, 19, 0, 0))  # the samples' Saturday evening

    def start_generate(self, config=None, width=100):
        """Samples fetched, the clock fixed (BRIEFING_NOW, TZ=UTC), the
        reader started on the archive (no briefings yet)."""
        self.env.update({"BRIEFING_NOW": str(self.NOW), "TZ": "UTC"})
        if config is not None:
            d = os.path.join(self.tmp, "config", "briefing")
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, "config"), "w") as f:
                f.write(config)
        self.add_samples()
        p = self.start(width=width)
        p.wait_for("28 items")
        return p

    def test_generate_inside_lists_the_new_edition(self):
        p = self.start_generate()
        p.keys("g")
        s = p.wait(lambda s: re.search(r"briefing 1 stored: 2026\.02\.21 .*Evening.*"
                                       r"\d+ stor(y|ies) \(1: the briefings\)", s),
                   "the briefing stored")
        n = self.q("select count(*) from briefing_stories where briefing_id = 1")[0][0]
        self.assertGreater(n, 0)
        self.assertIn("%d stor" % n, s.split("\n")[-2])
        self.assertEqual(self.q("select backend from briefings"), [("extractive",)])
        p.keys("1")
        s = p.wait_for("Briefings")
        rows = body(s).split("\n")
        self.assertRegex(rows[0], r"2026\.02\.21 .*Evening.*%d stories" % n)
        # the same clock again: nothing new since that edition, said in the
        # status line; the view stays and keeps working
        p.keys("g")
        p.wait_for("nothing to write")
        self.assertEqual(self.q("select count(*) from briefings"), [(1,)])
        p.keys("Enter")
        p.wait_for("briefing | Briefing | 2026.02.21")
        p.keys("q")
        p.wait_for("briefing | Briefings")
        p.keys("Q")
        self.assert_restored(p)

    def test_reader_draws_each_style_like_the_export(self):
        """A digest and an insights briefing keep their own shape in the
        reader (masthead, numbering, shortlist, no Secretary's Assessment),
        the one the exporter draws; the list shows each briefing's style."""
        self.env.update({"BRIEFING_NOW": str(self.NOW), "TZ": "UTC"})
        self.add_samples()
        self.b("generate", "--style", "digest", "--since", "2026-02-14", "--quiet")
        self.b("generate", "--style", "insights", "--since", "2026-02-14", "--quiet")
        md = self.b("export", "1")
        self.assertIn("## The Shortlist", md)
        p = self.start(height=60)
        s = p.wait_for("2 briefings")
        rows = body(s).split("\n")
        self.assertRegex(rows[0], r"stories +insights ")
        self.assertRegex(rows[1], r"stories +digest ")
        p.keys("Enter")                  # the newest: insights
        s = p.wait_for("Top ")
        self.assertRegex(body(s), r"\n +1\. ")
        p.keys("G")
        s = p.wait_for("(100%)")
        self.assertIn("The Pattern", s)
        self.assertNotIn("Secretary's Assessment", s)
        p.keys("q")
        p.wait_for("briefing | Briefings")
        p.keys("j", "Enter")             # the digest
        s = p.wait_for("The Digest")
        self.assertIn("In today's digest:", s)
        found = False
        for _ in range(40):              # page down to the shortlist
            if "The Shortlist" in p.screen():
                found = True
                break
            p.keys("PageDown")
        self.assertTrue(found, p.screen())
        p.keys("G")
        s = p.wait_for("(100%)")
        self.assertIn("References", s)
        self.assertNotIn("Secretary's Assessment", s)
        p.keys("Q")
        self.assert_restored(p)

    def test_sections_view_groups_the_archive(self):
        """5: the last 7 days under the headings of sections.conf, placed as
        a briefing places them; Enter reads an item, n in the pager goes to
        the next item across a heading, q comes back."""
        p = self.start_generate()
        p.keys("5")
        # the whole screen drawn: the third heading and the item under it
        s = p.wait(lambda s: re.search(r"\d+ items in \d+ sections, last 7 days", s) and
                   re.search(r"Open Source & Hardware \(\d+\)\s*\n.*zclaw fits", s),
                   "the sections view")
        rows = body(s).split("\n")
        self.assertRegex(rows[0], r"^ *\U0001F310 Geopolitics & Chips \(\d+\)")
        self.assertIn("\U0001F9E0 Foundation Models (", body(s))
        # each section's items newest first under its heading, once each
        self.assertIn("Samsung and SK hynix", rows[1])   # the chips section's newest
        titles = [r[40:].strip() for r in rows if re.match(r"^ +N ", r)]
        self.assertEqual(len(titles), len(set(titles)), rows)
        p.keys("Enter")
        p.wait_for("Item | lines")
        p.keys("q")
        s = p.wait_for("items in")
        p.keys("G")                     # the last item, not a heading
        p.keys("Enter")
        p.wait_for("Item | lines")
        p.keys("q")
        p.wait_for("items in")
        p.keys("Q")
        self.assert_restored(p)

    def test_generate_help_and_keys(self):
        """g generates in Briefings and Items; in Feeds it stays top."""
        p = self.start_generate()
        p.keys("?")
        s = p.wait_for("generate")
        self.assertRegex(s, r"\n +g +generate +write a briefing")
        self.assertRegex(s, r"\n +Home +top ")
        p.keys("q")
        p.keys("3")
        p.wait_for("4 feeds")
        p.keys("?")
        s = p.wait_for("Keys in Feeds")
        self.assertRegex(s, r"\n +g Home +top ")
        self.assertNotIn("generate", s)
        p.keys("q")
        p.keys("Q")
        self.assert_restored(p)

    def test_generate_model_error_is_shown(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()                                   # nothing listens there now
        p = self.start_generate("[llm]\nbackend = openai\nbase_url = http://127.0.0.1:%d/v1\n"
                                "model_name = x\ntimeout = 5\n" % port, width=160)
        p.keys("g")
        s = p.wait(lambda s: "briefing failed (nothing stored): " in s.split("\n")[-2],
                   "the error")
        self.assertIn("cannot connect to http://127.0.0.1:%d/" % port, s)
        self.assertEqual(self.q("select count(*) from briefings"), [(0,)])
        # still running: keys answer
        p.keys("3")
        p.wait_for("4 feeds, 0 failing")
        p.keys("Q")
        self.assert_restored(p)

    def test_generate_cancel(self):
        """A model server that never answers: the briefing waits in its
        write stage, c stops it, nothing is stored."""
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(8)
        conns = []
        stop = []

        def accept():
            srv.settimeout(0.2)
            while not stop:
                try:
                    conns.append(srv.accept()[0])
                except OSError:
                    pass
        t = threading.Thread(target=accept, daemon=True)
        t.start()
        try:
            p = self.start_generate("[llm]\nbackend = openai\nbase_url = http://127.0.0.1:%d/v1\n"
                                    "model_name = x\ntimeout = 60\n" % srv.getsockname()[1],
                                    width=160)
            p.keys("g")
            s = p.wait(lambda s: re.search(r"generating \(openai\): write 0/\d+ stories, 0 tokens"
                                           r".*\(c: cancel\)", s), "the write stage")
            deadline = time.monotonic() + WAIT
            while not conns and time.monotonic() < deadline:
                time.sleep(0.03)
            self.assertTrue(conns, "the model server was never asked")
            # keys are served meanwhile
            p.keys("3")
            s = p.wait_for("4 feeds, 0 failing")
            self.assertIn("generating (openai)", s)
            p.keys("2")
            p.wait_for("Items | every feed")
            p.keys("g")
            p.wait_for("a briefing is already running")
            t0 = time.monotonic()
            p.keys("c")
            p.wait_for("briefing cancelled; nothing was stored")
            self.assertLess(time.monotonic() - t0, 5)
            self.assertEqual(self.q("select count(*) from briefings"), [(0,)])
            p.keys("Q")
            self.assert_restored(p)
        finally:
            stop.append(1)
            t.join()
            for c in conns:
                c.close()
            srv.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
