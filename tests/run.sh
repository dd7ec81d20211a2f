#!/usr/bin/env bash
# Runs the test suites and prints one closing line: "N passed, N failed".
#   tests/run.sh            unit, integration, then unit and the CLI's
#                           integration tests again under ASan+UBSan
#   tests/run.sh unit|asan|integration
# Environment: BRIEFING_SHARED (default ../shared) locates the corpus.
set -u
cd "$(dirname "$0")/.."
export BRIEFING_SHARED="${BRIEFING_SHARED:-$(cd .. && pwd)/shared}"
export BRIEFING_BIN="$PWD/briefing"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
# Tests never touch the real home.
tmphome=$(mktemp -d)
trap 'rm -rf "$tmphome"' EXIT
export HOME="$tmphome" XDG_DATA_HOME="$tmphome/data" XDG_CONFIG_HOME="$tmphome/config"

passed=0 failed=0 failures=()
run_one() { # name, command...
	local name=$1; shift
	local log; log=$(mktemp)
	local t0=$SECONDS
	if "$@" >"$log" 2>&1; then
		passed=$((passed + 1)); printf 'PASS  %-48s %3ds\n' "$name" $((SECONDS - t0))
	else
		failed=$((failed + 1)); failures+=("$name")
		printf 'FAIL  %-48s %3ds\n' "$name" $((SECONDS - t0)); sed 's/^/    | /' "$log" | tail -n 60
	fi
	rm -f "$log"
}

what=${1:-all}
if [ "$what" = all ] || [ "$what" = unit ]; then
	for t in build/release/tests/test_*; do
		[ -x "$t" ] && run_one "unit/$(basename "$t")" "$t"
	done
fi
if [ "$what" = all ] || [ "$what" = integration ]; then
	for t in tests/integration/test_*.py tests/integration/test_*.sh; do
		[ -f "$t" ] || continue
		case $t in
		*.py) run_one "integration/$(basename "$t")" python3 "$t" ;;
		*.sh) run_one "integration/$(basename "$t")" bash "$t" ;;
		esac
	done
fi
if [ "$what" = all ] || [ "$what" = asan ]; then
	for t in build/asan/tests/test_*; do
		[ -x "$t" ] && run_one "asan/$(basename "$t")" "$t"
	done
	# The command-line integration tests again, through the program built
	# with ASan+UBSan. Not here: the reader's tmux tests (timing-bound) and
	# the briefings written by real models (SmolLM2 under ASan takes minutes;
	# the engine's code runs under ASan in its unit tests and test_model.py).
	if [ -x build/asan/briefing ]; then
		for t in tests/integration/test_*.py; do
			case $t in */test_tui.py|*/test_generate_engine.py) continue ;; esac
			# exit 86 on any report: no test expects that status
			BRIEFING_BIN="$PWD/build/asan/briefing" \
				ASAN_OPTIONS="$ASAN_OPTIONS:exitcode=86" \
				UBSAN_OPTIONS="$UBSAN_OPTIONS:exitcode=86" \
				run_one "asan/integration/$(basename "$t")" python3 "$t"
		done
	fi
fi
echo
[ ${#failures[@]} -gt 0 ] && printf 'failed: %s\n' "${failures[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
