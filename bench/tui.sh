#!/usr/bin/env bash
# bench/tui.sh — how fast the reader answers on a big archive.
#
# Builds a database with ITEMS items over FEEDS feeds (titles and text drawn
# from a fixed vocabulary, one item a minute back in time; the FTS5 index
# filled by the store's own triggers) and BRIEFINGS briefings with ten
# stories each when the schema has the tables; then runs the real binary in
# a 120x40 tmux window, RUNS times, and reads the reader's own trace
# (BRIEFING_TUI_TRACE) to time:
#   first screen:  exec of the binary -> the first full screen painted (the
#                  Briefings view when there are briefings, else Items)
#   items:         2 -> the archive painted (and its deferred unread count)
#   search:        Enter on a query -> the results painted (two queries)
#   briefing:      Enter on the newest briefing -> the reader painted
# Prints a markdown report on stdout (progress on stderr):
#   bench/tui.sh > bench/results/tui-$(date +%F).md
# Environment: ITEMS (100000), FEEDS (50), BRIEFINGS (1000), RUNS (5),
#   BRIEFING_BIN (./briefing), QUERY ("export controls"), QUERY2 ("chip":
#   a word in about one item in six), DB (a database
#   to keep: built there when missing, reused when present).
set -euo pipefail
cd "$(dirname "$0")/.."
ITEMS=${ITEMS:-100000}
FEEDS=${FEEDS:-50}
BRIEFINGS=${BRIEFINGS:-1000}
RUNS=${RUNS:-5}
QUERY=${QUERY:-export controls}
QUERY2=${QUERY2:-chip}
BIN=${BRIEFING_BIN:-$PWD/briefing}
[ -x "$BIN" ] || make --no-print-directory briefing >&2
command -v tmux >/dev/null || { echo "bench/tui.sh: needs tmux" >&2; exit 1; }

work=$(mktemp -d /tmp/briefing-tui-bench.XXXXXX)
sock="$work/tmux.sock"
cleanup() {
	tmux -S "$sock" kill-server 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
export HOME="$work" XDG_DATA_HOME="$work/data" XDG_CONFIG_HOME="$work/config" BRIEFING_NO_DEFAULT_FEEDS=1
db=${DB:-$work/b.db}

if [ ! -s "$db" ]; then
echo "tui bench: creating the database (schema by briefing itself)" >&2
"$BIN" --db "$db" feeds list >/dev/null
t_build0=$(date +%s.%N)
python3 - "$db" "$ITEMS" "$FEEDS" "$BRIEFINGS" <<'PY'
import random, sqlite3, sys
db, n_items, n_feeds, n_brief = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rnd = random.Random(42)
topical = ("chip export controls fab wafer lithography memory DRAM HBM packaging TSMC Nvidia "
         "Huawei SMIC model weights inference training GPU accelerator tariff licence policy "
         "open source benchmark agent token cluster datacenter power subsidy China India "
         "Europe Japan Korea Taiwan supply chain yield node foundry startup funding release "
         "quantisation distillation reasoning safety regulation lab research paper").split()
# Text like news: one word in seven from the topical list, the rest from a
# 20 000-word vocabulary with a Zipf-like spread, so a two-word topical
# query matches a few per cent of the archive and one topical word ~15%.
common = ["w%s" % format(i, "x") for i in range(20000)]
weights = [1.0 / (i + 1) for i in range(len(common))]
cum = []
acc = 0.0
for w in weights:
    acc += w
    cum.append(acc)
import bisect
def word():
    if rnd.random() < 1 / 7:
        return rnd.choice(topical)
    return common[bisect.bisect_left(cum, rnd.random() * acc)]
con = sqlite3.connect(db)
con.execute("PRAGMA journal_mode = WAL")
con.execute("PRAGMA synchronous = OFF")
now = 1795000000
with con:
    for f in range(1, n_feeds + 1):
        con.execute("insert into feeds (url, title, last_fetch, last_success, added) values (?, ?, ?, ?, ?)",
                    ("https://feed%d.example/rss" % f, "Feed number %d" % f, now, now, now))
    ids = [r[0] for r in con.execute("select id from feeds")]
    rows = []
    for i in range(n_items):
        title = " ".join(word() for _ in range(rnd.randint(5, 11))).capitalize()
        text = " ".join(word() for _ in range(rnd.randint(30, 80))) + "."
        rows.append((rnd.choice(ids), "g%d" % i, "https://news.example/%d" % i, title,
                     text, now - 60 * i, now, now, "h%d" % i, 1 if rnd.random() < 0.7 else 0))
        if len(rows) == 5000:
            con.executemany("insert into items (feed_id, guid, url, title, summary, published,"
                            " fetched, updated, hash, read) values (?,?,?,?,?,?,?,?,?,?)", rows)
            rows = []
    if rows:
        con.executemany("insert into items (feed_id, guid, url, title, summary, published,"
                        " fetched, updated, hash, read) values (?,?,?,?,?,?,?,?,?,?)", rows)
    have = {r[0] for r in con.execute("select name from sqlite_master where type = 'table'")}
    if n_brief and "briefings" in have and "briefing_stories" in have:
        for b in range(n_brief):
            t = now - 43200 * b
            cur = con.execute("insert into briefings (created, edition, edition_date, style, tagline,"
                              " backend) values (?, ?, ?, 'secretary', ?, 'extractive')",
                              (t, "morning" if b % 2 else "evening", "2026-%04d" % b,
                               "Tagline %d" % b))
            bid = cur.lastrowid
            con.executemany("insert into briefing_stories (briefing_id, rank, section, headline, body)"
                            " values (?, ?, 'Geopolitics & Chips', ?, ?)",
                            [(bid, r, "Headline %d.%d" % (b, r), "Body.") for r in range(10)])
        print("briefings: %d" % n_brief, file=sys.stderr)
    else:
        print("briefings: no table in this schema, none made", file=sys.stderr)
con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
con.close()
PY
t_build1=$(date +%s.%N)
echo "tui bench: built in $(awk -v a="$t_build0" -v b="$t_build1" 'BEGIN{printf "%.1f", b-a}') s" >&2
fi
n=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from items').fetchone()[0])" "$db")
echo "tui bench: $n items; db $(du -h "$db" | cut -f1)" >&2

trace="$work/trace"
field() { # event occurrence(1-based) -> seconds
	awk -v e="$1" -v k="$2" '$1 == e { if (++c == k) { print $2; exit } }' "$trace"
}
wait_trace() { # event count: poll the trace file, at most 20 s
	local i=0
	while [ "$(awk -v e="$1" '$1 == e' "$trace" 2>/dev/null | wc -l)" -lt "$2" ]; do
		i=$((i + 1)); [ $i -gt 2000 ] && { echo "bench/tui.sh: no '$1' in the trace" >&2; exit 1; }
		sleep 0.01
	done
}
ms() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1f", (b-a)*1000}'; }

# The first paint after the k-th event e (waits for it).
paint_after() {
	local ts p i=1
	ts=$(field "$1" "$2")
	while :; do
		p=$(field paint "$i")
		if [ -z "$p" ]; then sleep 0.01; continue; fi
		if awk -v a="$p" -v b="$ts" 'BEGIN{exit !(a > b)}'; then echo "$p"; return; fi
		i=$((i + 1))
	done
}

# Type a query (the search line has focus), Enter, and time Enter -> the
# first paint after it. $2: which search event of this run it is.
timed_search() {
	tmux -S "$sock" send-keys -t 0 C-u
	tmux -S "$sock" send-keys -t 0 -l "$1"
	tmux -S "$sock" send-keys -t 0 Enter
	wait_trace search "$2"
	local ts
	ts=$(field search "$2")
	ms "$ts" "$(paint_after search "$2")"
	tmux -S "$sock" send-keys -t 0 /   # focus the line again for the next one
}
results() { # the count in the header once it shows
	local s i=0
	while :; do
		s=$(tmux -S "$sock" capture-pane -p -t 0 | head -1 | sed -n 's/.*| \([0-9]*\) results.*/\1/p')
		[ -n "$s" ] && { echo "$s"; return; }
		i=$((i + 1)); [ $i -gt 500 ] && { echo "bench/tui.sh: no results on screen" >&2; exit 1; }
		sleep 0.01
	done
}

first=() items=() search=() search2=() unread=() reader=()
nbrief=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from briefings').fetchone()[0])" "$db" 2>/dev/null || echo 0)
for r in $(seq 1 "$RUNS"); do
	[ -n "${KEEP_TRACE:-}" ] && trace="$KEEP_TRACE.$r"
	rm -f "$trace"
	cat >"$work/run.sh" <<EOF
#!/bin/sh
date +%s.%N > "$work/t0"
BRIEFING_TUI_TRACE="$trace" exec "$BIN" --db "$db"
EOF
	tmux -S "$sock" -f /dev/null new-session -d -x 120 -y 40 "sh $work/run.sh"
	wait_trace paint 1
	t0=$(cat "$work/t0")
	first+=("$(ms "$t0" "$(field paint 1)")")
	firstview=$(tmux -S "$sock" capture-pane -p -t 0 | head -1 | awk -F'|' '{gsub(/ /, "", $2); print $2}')
	# the archive: 2, then the deferred unread count
	tmux -S "$sock" send-keys -t 0 2
	wait_trace view:Items 1
	items+=("$(ms "$(field view:Items 1)" "$(paint_after view:Items 1)")")
	wait_trace unread_done 1
	unread+=("$(ms "$(field unread_start 1)" "$(field unread_done 1)")")
	# search, twice
	tmux -S "$sock" send-keys -t 0 /
	wait_trace view:Search 1
	search+=("$(timed_search "$QUERY" 1)")
	nres1=$(results)
	search2+=("$(timed_search "$QUERY2" 2)")
	nres2=$(results)
	# a briefing, when there are any: 1, Enter
	if [ "$nbrief" -gt 0 ]; then
		tmux -S "$sock" send-keys -t 0 Escape 1
		wait_trace view:Briefings 2
		tmux -S "$sock" send-keys -t 0 Enter
		wait_trace view:Briefing 1
		reader+=("$(ms "$(field view:Briefing 1)" "$(paint_after view:Briefing 1)")")
	fi
	tmux -S "$sock" send-keys -t 0 Q
	tmux -S "$sock" kill-server 2>/dev/null || true
	echo "run $r: first screen ($firstview) ${first[-1]} ms, items ${items[-1]} ms, search ${search[-1]} ms, ${search2[-1]} ms, briefing ${reader[-1]:-} ms" >&2
done

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
best() { printf '%s\n' "$@" | sort -n | head -1; }
cat <<EOF
# tui bench $(date -u +%F)

Machine: $(nproc) cores, $(uname -sr); $(tmux -V); binary $(basename "$BIN").
Database: $n items over $FEEDS feeds, $nbrief briefings of 10 stories ($(du -h "$db" | cut -f1)).
Window 120x40, $RUNS runs; times from the reader's own trace (BRIEFING_TUI_TRACE).

| measure | median | best | all runs (ms) |
|---|---|---|---|
| start -> first full screen ($firstview view) | $(median "${first[@]}") ms | $(best "${first[@]}") ms | ${first[*]} |
| 2 -> the archive (Items) painted | $(median "${items[@]}") ms | $(best "${items[@]}") ms | ${items[*]} |
| Enter on "$QUERY" -> results painted ($nres1 shown) | $(median "${search[@]}") ms | $(best "${search[@]}") ms | ${search[*]} |
| Enter on "$QUERY2" -> results painted ($nres2 shown) | $(median "${search2[@]}") ms | $(best "${search2[@]}") ms | ${search2[*]} |
$( [ "$nbrief" -gt 0 ] && echo "| Enter on the newest briefing -> the reader painted | $(median "${reader[@]}") ms | $(best "${reader[@]}") ms | ${reader[*]} |" )
| unread count in the Items header (deferred past its first paint: store_feed_list per-feed subqueries; blocks keys while it runs) | $(median "${unread[@]}") ms | $(best "${unread[@]}") ms | ${unread[*]} |

Aim (issue 5): under 100 ms for both.
EOF
