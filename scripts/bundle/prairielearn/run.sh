#!/usr/bin/env bash
# PrairieLearn runs this (as root, in the prairielearn/grader-python container, without network) for
# every submission: grade the six files in /grade/student and write /grade/results/results.json.
# The student's code runs in a sandbox as an unprivileged user; the grader's own files (the hidden
# reference outputs among them) are made unreadable to that user first.
set -uo pipefail
ROOT="${PL_GRADE_ROOT:-/grade}"                # the tests point this at a temporary root
GRADER="$(cd "$(dirname "$0")" && pwd)"
PYTHON="${NN_GRADER_PYTHON:-python3}"          # the image's Python (numpy included)
ISOLATION="${NN_GRADER_ISOLATION:-auto}"       # passed to the grader as it is: see --isolation
TIMEOUT="${NN_GRADER_TIMEOUT:-100}"            # the whole-submission safety limit; under info.json's 120
RESULTS="$ROOT/results"

# PrairieLearn copies serverFilesCourse/ to $ROOT/serverFilesCourse and again to $ROOT/shared.
for folder in "$ROOT/serverFilesCourse" "$ROOT/shared" "$ROOT/tests" "$ROOT/data" "$GRADER"; do
  [ -e "$folder" ] && chmod -R go-rwx "$folder"
done
mkdir -p "$RESULTS" && chmod 700 "$RESULTS"
work=$(mktemp -d) && chmod 700 "$work"

cd "$GRADER"
export PYTHONPATH="$GRADER/vendor"               # pytest and what it needs: the image has no pytest
grade() {
  "$PYTHON" -m autograder grade "$ROOT/student" --out "$work/out" --jobs 1 --timeout "$TIMEOUT" \
    --isolation "$1" >"$work/log.txt" 2>"$work/errors.txt"
}
grade "$ISOLATION"
status=$?
if [ "$status" = 2 ] && [ "$ISOLATION" = auto ] && grep -q "no safe sandbox works" "$work/errors.txt"; then
  # This container grades one submission and is thrown away, and the grader's files were closed to
  # the sandbox's uid above: the plain process mode (an unprivileged uid, resource limits) is the
  # explicit, reasoned choice here. The results say which sandbox ran.
  cat "$work/errors.txt"
  grade process
  status=$?
fi
"$PYTHON" -m autograder.reports.prairielearn "$work/out/student/results.json" "$RESULTS/results.json" \
  --status "$status" --errors "$work/errors.txt" \
  || printf '%s\n' '{"gradable": false, "message": "The autograder itself failed; this attempt does not count. Please tell your course staff."}' >"$RESULTS/results.json"
cat "$work/log.txt" "$work/errors.txt"           # the job's log, for course staff
rm -rf "$work"
exit 0
