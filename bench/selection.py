#!/usr/bin/env python3
"""What a briefing keeps, counted against an editor's judgement.

Drives the real binary (BRIEFING_BIN, default ./briefing) over
  - tests/fixtures/selection/: one news day of six feeds with truth.txt
    (multi-source stories, relevant single-source items, off-topic noise);
  - data/samples/: the demo's sample week (no truth file: counts only);
and prints, from `generate --dry-run --explain`, the relevant items kept,
the off-topic items kept and the multi-source stories kept.
"""
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import calendar
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("BRIEFING_BIN", os.path.join(ROOT, "briefing"))


def run(env, db, *args):
    p = subprocess.run([BIN, "--db", db] + list(args), capture_output=True, env=env,
                       timeout=300)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def titles(path, links=None):
    """guid -> title of a fixture feed (RSS or Atom); links: link -> guid."""
    out = {}
    root = ET.parse(path).getroot()
    for el in root.iter():
        tag = el.tag.split("}")[-1]
        if tag not in ("item", "entry"):
            continue
        guid = title = link = None
        for c in el:
            t = c.tag.split("}")[-1]
            if t in ("guid", "id"):
                guid = (c.text or "").strip()
            elif t == "title":
                title = (c.text or "").strip()
            elif t == "link":
                link = (c.text or c.get("href") or "").strip()
        if guid:
            out[guid] = title
            if links is not None and link:
                links[link] = guid
    return out


def explain(env, db, since):
    """(kept, plan, out): kept maps an item title to its story number (0:
    relevant but cut by the caps) from --explain, None where the binary
    has no --explain (an older build); plan is [(section, [links])]."""
    args = ["generate", "--since", since, "--dry-run", "--backend", "extractive"]
    rc, out, err = run(env, db, *(args + ["--explain"]))
    kept = None
    if rc == 2 and "--explain" in err:
        rc, out, err = run(env, db, *args)
    elif rc == 0:
        kept = {}
        for block in out.partition("\nitems in the window:")[2].split("\n\n")[1:]:
            lines = block.strip("\n").split("\n")
            head = lines[0].strip()
            title = head.split(": ", 1)[1] if ": " in head else head
            m = re.search(r"-> story (\d+)", lines[-1])
            if m:
                kept[title] = int(m.group(1))
            elif "below the caps" in lines[-1]:
                kept[title] = 0
    if rc != 0:
        sys.exit("generate failed (%d): %s" % (rc, err))
    plan = []
    for line in out.partition("\nitems in the window:")[0].split("\n"):
        m = re.match(r"^\s*\d+\. .*\[(\S+), score [0-9.]+, \d+ sources?\]", line)
        if m:
            plan.append((m.group(1), []))
        elif plan and re.match(r"^\s+- ", line):
            plan[-1][1].append(line.rsplit(": ", 1)[-1].strip())
    return kept, plan, out


def env_for(tmp, now):
    env = dict(os.environ)
    env.update({"HOME": tmp, "XDG_DATA_HOME": os.path.join(tmp, "data"),
                "XDG_CONFIG_HOME": os.path.join(tmp, "config"),
                "BRIEFING_NO_DEFAULT_FEEDS": "1", "BRIEFING_NOW": str(now),
                "TZ": "UTC", "LC_ALL": "C.UTF-8"})
    return env


def day():
    d = os.path.join(ROOT, "tests", "fixtures", "selection")
    feeds, truth, window = [], [], None
    for line in open(os.path.join(d, "truth.txt"), encoding="utf-8"):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("feed "):
            spec, _, cat = line[5:].partition(" | ")
            feeds.append((spec.split()[0], cat.strip()))
        elif line.startswith("window "):
            window = line.split()[1:3]
        else:
            truth.append(line.split()[:3])
    guid_title, links = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        until = calendar.timegm(time.strptime(window[1], "%Y-%m-%dT%H:%M:%SZ"))
        env = env_for(tmp, until - 6 * 3600)
        db = os.path.join(tmp, "b.db")
        for f, cat in feeds:
            path = os.path.join(d, f)
            guid_title.update(titles(path, links))
            args = ["feeds", "add", "file://" + path] + (["--category", cat] if cat else [])
            rc, _, err = run(env, db, *args)
            if rc:
                sys.exit("feeds add %s: %s" % (f, err))
        run(env, db, "fetch")
        kept, plan, _ = explain(env, db, window[0])
    kind = {g: k for g, _, k in truth}
    label = {g: l for g, l, _ in truth}
    rel = [g for g, _, k in truth if k != "offtopic"]
    off = [g for g, _, k in truth if k == "offtopic"]
    labels = sorted({l for _, l, k in truth if k == "multi"})
    story = {}                      # guid -> story number in the briefing
    for k, (_, ls) in enumerate(plan):
        for l in ls:
            if l in links:
                story[links[l]] = k + 1
    whole = 0
    for lab in labels:
        members = [g for g, l, _ in truth if l == lab]
        nums = {story.get(g) for g in members}
        if len(nums) == 1 and None not in nums and \
           sum(1 for g in story if story[g] in nums) == len(members):
            whole += 1
    rel_in = [g for g in rel if g in story]
    off_in = [g for g in off if g in story]
    print("fixture day (tests/fixtures/selection, %d items in the window):" % len(truth))
    if kept is not None:
        rel_sel = [g for g in rel if guid_title[g] in kept]
        off_sel = [g for g in off if guid_title[g] in kept]
        print("  relevant items selected      %2d of %d" % (len(rel_sel), len(rel)))
        print("  off-topic items selected     %2d of %d" % (len(off_sel), len(off)))
        for g in sorted(set(rel) - set(rel_sel)):
            print("    relevant, not selected: %s  %s" % (g, guid_title[g]))
        for g in off_sel:
            print("    off-topic, selected:    %s  %s" % (g, guid_title[g]))
    else:
        print("  (this build has no --explain: the briefing's plan only)")
    print("  briefing: %d stories (the cap is 10), %d with two or more feeds"
          % (len(plan), sum(1 for _, ls in plan if len(ls) >= 2)))
    print("  relevant items in the briefing  %2d of %d" % (len(rel_in), len(rel)))
    print("  off-topic items in the briefing %2d of %d" % (len(off_in), len(off)))
    print("  multi-source stories in the briefing, whole and unmixed  %d of %d"
          % (whole, len(labels)))
    for lab in labels:
        members = [g for g, l, _ in truth if l == lab]
        if not all(g in story for g in members):
            print("    story '%s': in the briefing %s" % (
                lab, ", ".join("%s=%s" % (g, "yes" if g in story else "no") for g in members)))
    for g in off_in:
        print("    off-topic in the briefing: %s  %s" % (g, guid_title[g]))


def samples():
    d = os.path.join(ROOT, "data", "samples")
    with tempfile.TemporaryDirectory() as tmp:
        env = env_for(tmp, calendar.timegm((2026, 2, 21, 19, 0, 0)))
        db = os.path.join(tmp, "b.db")
        for f in sorted(os.listdir(d)):
            run(env, db, "feeds", "add", os.path.join(d, f))
        run(env, db, "fetch")
        kept, plan, out = explain(env, db, "2026-02-14")
    print("samples (data/samples, the demo's week):")
    m = re.search(r"items in the window: (\d+) \((\d+) relevant", out)
    if m:
        print("  items in the window %s, relevant %s" % (m.group(1), m.group(2)))
    m = re.search(r"window .*: (\d+) relevant items, (\d+) stories", out)
    print("  relevant items (plan) %s, stories %s" % (m.group(1), m.group(2)))
    print("  briefing: %d stories, %d with two or more sources"
          % (len(plan), sum(1 for _, ls in plan if len(ls) >= 2)))


if __name__ == "__main__":
    print("binary: %s" % BIN)
    day()
    samples()
