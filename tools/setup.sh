#!/usr/bin/env bash
# gst-ascii's two set-up commands (see README.md):
#   tools/setup.sh run [ascii-launch options]   install, build, run the main job
#   tools/setup.sh test                         install, build, pass every test (plus the
#                                               AddressSanitizer/UBSan build)
set -euo pipefail
cd "$(dirname "$0")/.."

verb="${1:-}"
[ $# -gt 0 ] && shift
case "$verb" in
  run|test) ;;
  *) echo "usage: tools/setup.sh run [ascii-launch options] | tools/setup.sh test" >&2; exit 2 ;;
esac

tools/install-deps.sh "$verb"

# Configures |dir| with the given options (again when it was configured before, so it sees what
# install-deps has added since: a test tool installed after a "run" build), then builds it.
build() {
  local dir="$1"; shift
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@"
  fi
  meson compile -C "$dir"
}

if [ "$verb" = run ]; then
  build build
  exec build/tools/ascii-launch "$@"
fi

# Tests: the normal build, then the sanitizer build of the same tests. A line
# "tests: N passed, N failed" closes the run.
passed=0
failed=0
run_suite() {
  local dir="$1"
  local rc=0
  meson test -C "$dir" --print-errorlogs --num-processes 2 || rc=$?
  # One pass over meson's log: "PASSED FAILED" on the first line, then what each failed test said
  # of its failure (Check's "file:line:F:..." lines, the browser tests' "FAIL - ..."), kept for the
  # end of the run: the log above can be too long to read back to it.
  local summary ok fail said
  summary="$(python3 -c "
import json, re, sys
tests = [json.loads(line) for line in open(sys.argv[1])]
failed = [t for t in tests if t['result'] not in ('OK', 'EXPECTEDFAIL', 'SKIP')]
print(len(tests) - len(failed), len(failed))
for t in failed:
    print(sys.argv[2] + ' ' + t['name'] + ': ' + t['result'])
    said = (t.get('stdout') or '') + (t.get('stderr') or '')
    for l in said.splitlines():
        if re.search(r'\\.(c|cpp|js|py):[0-9]+:[EF]:|^FAIL - ', l):
            print('  ' + l[:400])
" "$dir/meson-logs/testlog.json" "$dir")"
  read -r ok fail <<<"${summary%%$'\n'*}"
  said="$(tail -n +2 <<<"$summary")"
  passed=$((passed + ok))
  failed=$((failed + fail))
  if [ -n "$said" ]; then digest+="$said"$'\n'; fi
  return $rc
}

status=0
digest=""
build build
run_suite build || status=1
build build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized
run_suite build-asan || status=1

if [ -n "$digest" ]; then printf 'what the failed tests said:\n%s' "$digest"; fi
echo "tests: $passed passed, $failed failed"
exit $status
