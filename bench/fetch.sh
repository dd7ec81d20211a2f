#!/usr/bin/env bash
# bench/fetch.sh — fetch + parse + store throughput of `briefing fetch`,
# against newsboat when it is installed.
#
# Generates FEEDS feeds of ITEMS items each (RSS 2.0, every fifth one Atom;
# HTML descriptions), serves them from the loopback interface with
# tests/integration/feedserver.py (ETag, Last-Modified, gzip), and times:
#   cold:  a full fetch into an empty database
#   warm:  a second run, where every feed answers 304
# for briefing (`briefing fetch`, default settings: 8 jobs, 2 per host) and
# for newsboat (`newsboat -x reload` with reload-threads = JOBS), best of RUNS.
# Prints a markdown report on stdout (progress on stderr):
#   bench/fetch.sh > bench/results/fetch-$(date +%F).md
# Environment: FEEDS (500), ITEMS (50), JOBS (8), RUNS (3),
#   BRIEFING_BIN (./briefing), NEWSBOAT (newsboat; "" to skip).
set -euo pipefail
cd "$(dirname "$0")/.."
FEEDS=${FEEDS:-500}
ITEMS=${ITEMS:-50}
JOBS=${JOBS:-8}
RUNS=${RUNS:-3}
BIN=${BRIEFING_BIN:-$PWD/briefing}
NEWSBOAT=${NEWSBOAT-newsboat}
[ -x "$BIN" ] || make --no-print-directory briefing >&2

work=$(mktemp -d /tmp/briefing-bench.XXXXXX)
server=
cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/feeds" "$work/home"
export HOME="$work/home" XDG_DATA_HOME="$work/home/data" XDG_CONFIG_HOME="$work/home/config"
export BRIEFING_NO_DEFAULT_FEEDS=1
log() { echo "bench: $*" >&2; }

log "generating $FEEDS feeds x $ITEMS items in $work/feeds"
python3 - "$work/feeds" "$FEEDS" "$ITEMS" <<'EOF'
import random, sys, os
out, nfeeds, nitems = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(42)
words = ("chip export control wafer fab lithography model weights inference GPU "
         "memory bandwidth foundry node tariff license open source benchmark agent "
         "datacenter power cluster token training compute policy semiconductor").split()
def sentence(n):
    return " ".join(rng.choice(words) for _ in range(n)).capitalize() + "."
days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
for f in range(nfeeds):
    atom = f % 5 == 4
    parts = []
    if atom:
        parts.append('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
                     '<title>Bench feed %d</title><id>urn:bench:%d</id>'
                     '<link href="http://bench.example/%d/"/><updated>2026-02-20T12:00:00Z</updated>\n' % (f, f, f))
    else:
        parts.append('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
                     '<title>Bench feed %d</title><link>http://bench.example/%d/</link>'
                     '<description>%s</description>\n' % (f, f, sentence(8)))
    for i in range(nitems):
        title = sentence(rng.randint(6, 12))
        body = "<p>%s %s</p><p>%s <a href=\"/x/%d\">more</a> &amp; %s</p>" % (
            sentence(20), sentence(15), sentence(25), i, sentence(10))
        link = "http://bench.example/%d/story/%d?utm_source=rss" % (f, i)
        d, h = 1 + i % 28, i % 24
        if atom:
            parts.append('<entry><id>urn:bench:%d:%d</id><title>%s</title><link href="%s"/>'
                         '<updated>2026-02-%02dT%02d:00:00Z</updated><author><name>Desk %d</name></author>'
                         '<summary type="html"><![CDATA[%s]]></summary></entry>\n' % (f, i, title, link, d, h, f, body))
        else:
            parts.append('<item><guid isPermaLink="false">bench-%d-%d</guid><title>%s</title><link>%s</link>'
                         '<pubDate>%s, %02d Feb 2026 %02d:00:00 GMT</pubDate><author>desk%d@bench.example</author>'
                         '<description><![CDATA[%s]]></description></item>\n'
                         % (f, i, title, link, days[d % 7], d, h, f, body))
    parts.append("</feed>\n" if atom else "</channel></rss>\n")
    with open(os.path.join(out, "feed-%04d.xml" % f), "w") as fh:
        fh.write("".join(parts))
EOF
bytes=$(cat "$work"/feeds/*.xml | wc -c)

log "starting the loopback server"
python3 tests/integration/feedserver.py --dir "$work/feeds" --port-file "$work/port" --max-seconds 1800 &
server=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { log "server did not start"; exit 1; }
port=$(cat "$work/port")
{
	echo '<?xml version="1.0"?><opml version="2.0"><head><title>bench</title></head><body>'
	for f in "$work"/feeds/*.xml; do
		echo "<outline text=\"$(basename "$f")\" type=\"rss\" xmlUrl=\"http://127.0.0.1:$port/$(basename "$f")\"/>"
	done
	echo '</body></opml>'
} >"$work/feeds.opml"
for f in "$work"/feeds/*.xml; do echo "http://127.0.0.1:$port/$(basename "$f")"; done >"$work/urls"

calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }
# timed CMD...: runs CMD; sets wall and cpu (user + sys, all threads) in seconds.
timed() {
	local rc=0
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f '%e %U %S' -o "$work/time" "$@" || rc=$?
		read -r wall u s <"$work/time"
		cpu=$(calc "$u + $s")
	else
		local t0; t0=$(date +%s.%N)
		"$@" || rc=$?
		wall=$(calc "$(date +%s.%N) - $t0") cpu=0
	fi
	return $rc
}
best() { sort -g | head -n1; }
count_items() { # db table
	python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM "+sys.argv[2]).fetchone()[0])' "$1" "$2"
}

# ---- briefing
b_cold=() b_warm=() b_ccpu=() b_wcpu=()
for r in $(seq "$RUNS"); do
	rm -f "$work"/b.db*
	"$BIN" --db "$work/b.db" feeds import "$work/feeds.opml" >/dev/null
	timed "$BIN" --db "$work/b.db" fetch --quiet --jobs "$JOBS" || { log "briefing fetch failed"; exit 1; }
	b_cold+=("$wall") b_ccpu+=("$cpu")
	timed "$BIN" --db "$work/b.db" fetch --quiet --jobs "$JOBS" || { log "briefing fetch (warm) failed"; exit 1; }
	b_warm+=("$wall") b_wcpu+=("$cpu")
	log "briefing run $r: cold ${b_cold[-1]} s (cpu ${b_ccpu[-1]}), warm ${b_warm[-1]} s (cpu ${b_wcpu[-1]})"
done
b_items=$(count_items "$work/b.db" items)
bc_best=$(printf '%s\n' "${b_cold[@]}" | best)
bw_best=$(printf '%s\n' "${b_warm[@]}" | best)
bcc_best=$(printf '%s\n' "${b_ccpu[@]}" | best)
bwc_best=$(printf '%s\n' "${b_wcpu[@]}" | best)

# ---- newsboat
n_line="not installed"
if [ -n "$NEWSBOAT" ] && command -v "$NEWSBOAT" >/dev/null; then
	nver=$("$NEWSBOAT" --version | head -n1)
	printf 'reload-threads %s\ndownload-timeout 30\n' "$JOBS" >"$work/newsboat.conf"
	n_cold=() n_warm=() n_ccpu=() n_wcpu=()
	nbcmd=("$NEWSBOAT" -x reload -u "$work/urls" -c "$work/nb.db" -C "$work/newsboat.conf")
	for r in $(seq "$RUNS"); do
		rm -f "$work"/nb.db*
		timed "${nbcmd[@]}" >/dev/null 2>&1 || { log "newsboat failed"; exit 1; }
		n_cold+=("$wall") n_ccpu+=("$cpu")
		timed "${nbcmd[@]}" >/dev/null 2>&1 || { log "newsboat (warm) failed"; exit 1; }
		n_warm+=("$wall") n_wcpu+=("$cpu")
		log "newsboat run $r: cold ${n_cold[-1]} s (cpu ${n_ccpu[-1]}), warm ${n_warm[-1]} s (cpu ${n_wcpu[-1]})"
	done
	n_items=$(count_items "$work/nb.db" rss_item)
	nc_best=$(printf '%s\n' "${n_cold[@]}" | best)
	nw_best=$(printf '%s\n' "${n_warm[@]}" | best)
	ncc_best=$(printf '%s\n' "${n_ccpu[@]}" | best)
	nwc_best=$(printf '%s\n' "${n_wcpu[@]}" | best)
fi

# ---- report
total=$((FEEDS * ITEMS))
fmt() { printf '%.2f' "$1"; }
rate() { awk -v t="$total" -v s="$1" 'BEGIN { printf "%.0f", (s > 0 ? t / s : 0) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else printf "?" }'; }
cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
echo "# fetch benchmark — $(date -u +%F)"
echo
echo "- machine: $(nproc) CPUs, $cpu; $(uname -sr)"
echo "- command: \`FEEDS=$FEEDS ITEMS=$ITEMS JOBS=$JOBS RUNS=$RUNS bench/fetch.sh\` (best of $RUNS)"
echo "- briefing $(git rev-parse --short HEAD 2>/dev/null || echo '?'), libcurl $(curl-config --version 2>/dev/null | sed 's/libcurl //'); ${nver:-newsboat not installed}"
echo "- data: $FEEDS feeds x $ITEMS items ($((bytes / 1024)) KiB of XML, gzip on the wire) from tests/integration/feedserver.py on 127.0.0.1"
echo "- items stored: briefing $b_items${n_items:+, newsboat $n_items} (expected $total)"
echo
echo "| client | cold fetch (s) | items/s | cold CPU (s) | all-304 run (s) | all-304 CPU (s) |"
echo "|---|---:|---:|---:|---:|---:|"
echo "| briefing (jobs $JOBS, 2 per host) | $(fmt "$bc_best") | $(rate "$bc_best") | $(fmt "$bcc_best") | $(fmt "$bw_best") | $(fmt "$bwc_best") |"
if [ -n "${nc_best:-}" ]; then
	echo "| newsboat (reload-threads $JOBS) | $(fmt "$nc_best") | $(rate "$nc_best") | $(fmt "$ncc_best") | $(fmt "$nw_best") | $(fmt "$nwc_best") |"
	echo
	echo "briefing / newsboat throughput: cold $(ratio "$nc_best" "$bc_best")x wall, $(ratio "$ncc_best" "$bcc_best")x CPU; all-304 $(ratio "$nw_best" "$bw_best")x wall, $(ratio "$nwc_best" "$bwc_best")x CPU"
else
	echo
	echo "newsboat: $n_line"
fi
echo
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared; CPU seconds are steadier than wall time)."
echo
echo "All runs, wall s: briefing cold ${b_cold[*]}; warm ${b_warm[*]}${n_cold:+; newsboat cold ${n_cold[*]}; warm ${n_warm[*]}}"
