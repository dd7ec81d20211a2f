"""Readers never need the write lock: while another connection holds a write
transaction on the database (a long fetch), `items`, `export --list`,
`search` and the full-screen reader open it and read at once instead of
failing with "database is locked" after the busy timeout.

Drives the real binary ($BRIEFING_BIN, default ./briefing) with HOME and
the XDG directories in a temporary directory, so the database is the default
one ($XDG_DATA_HOME/briefing/briefing.db). Python standard library only."""

import os
import pty
import select
import signal
import sqlite3
import subprocess
import tempfile
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("BRIEFING_BIN", os.path.join(ROOT, "briefing"))
SAMPLES = os.path.join(ROOT, "data", "samples")
QUICK = 3.0  # seconds: well under the 5 s busy timeout a locked open would wait


class StoreLockTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.env = dict(os.environ)
        self.env.update(HOME=self.tmp.name,
                        XDG_DATA_HOME=os.path.join(self.tmp.name, "data"),
                        XDG_CONFIG_HOME=os.path.join(self.tmp.name, "config"),
                        BRIEFING_NO_DEFAULT_FEEDS="1", TERM="xterm")
        self.env.pop("BRIEFING_NOW", None)
        self.db = os.path.join(self.tmp.name, "data", "briefing", "briefing.db")
        self.b("feeds", "add", os.path.join(SAMPLES, "chipwire.rss.xml"))
        self.b("fetch")
        self.assertTrue(os.path.exists(self.db))
        self.writer = None

    def tearDown(self):
        if self.writer is not None:
            self.writer.execute("ROLLBACK")
            self.writer.close()
        self.tmp.cleanup()

    def b(self, *args, timeout=30):
        p = subprocess.run([BIN] + list(args), capture_output=True, text=True,
                           env=self.env, timeout=timeout)
        if p.returncode != 0:
            raise AssertionError("%s -> %d\nstdout: %s\nstderr: %s" % (
                args, p.returncode, p.stdout, p.stderr))
        return p

    def hold_write_lock(self):
        """A second connection takes the write lock and keeps it (uncommitted
        row included) until tearDown."""
        self.writer = sqlite3.connect(self.db, isolation_level=None, timeout=5)
        self.assertEqual(self.writer.execute("PRAGMA journal_mode").fetchone()[0], "wal")
        self.writer.execute("BEGIN IMMEDIATE")
        self.writer.execute("INSERT INTO meta(key, value) VALUES ('held', '1')")

    def quick(self, *args):
        t0 = time.monotonic()
        p = self.b(*args, timeout=QUICK + 10)
        took = time.monotonic() - t0
        self.assertLess(took, QUICK, "%s took %.1f s under a writer" % (args, took))
        return p

    def test_commands_read_while_a_writer_holds_the_lock(self):
        before = self.b("items").stdout
        self.assertTrue(before.strip())
        self.hold_write_lock()
        self.assertEqual(self.quick("items").stdout, before)
        self.quick("export", "--list")
        p = self.quick("search", "chip")
        self.assertTrue(p.stdout.strip())

    def test_reader_opens_while_a_writer_holds_the_lock(self):
        self.hold_write_lock()
        pid, fd = pty.fork()
        if pid == 0:
            try:
                os.execve(BIN, [BIN], self.env)
            finally:
                os._exit(127)
        out = b""
        status = None
        try:
            deadline = time.monotonic() + QUICK
            quit_sent = False
            while status is None and time.monotonic() < deadline + 10:
                r, _, _ = select.select([fd], [], [], 0.1)
                if r:
                    try:
                        out += os.read(fd, 65536)
                    except OSError:
                        pass
                if not quit_sent and len(out) > 200:
                    time.sleep(0.3)
                    os.write(fd, b"q")
                    quit_sent = True
                    t_quit = time.monotonic()
                done, st = os.waitpid(pid, os.WNOHANG)
                if done:
                    status = st
            self.assertIsNotNone(status, "the reader did not quit: %r" % out[-500:])
            self.assertTrue(quit_sent, "the reader drew nothing: %r" % out[-500:])
            self.assertLess(t_quit, deadline, "the reader took too long to draw")
            self.assertNotIn(b"locked", out)
            self.assertTrue(os.WIFEXITED(status))
            self.assertEqual(os.WEXITSTATUS(status), 0, out[-500:])
        finally:
            if status is None:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            os.close(fd)


if __name__ == "__main__":
    unittest.main()
