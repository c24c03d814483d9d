#!/usr/bin/env bash
# Runs the whole test suite: installs the tools it needs (Azurite, python3-onnx), builds, runs every
# test project, and ends with one line "N passed, N failed".
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
"$root/scripts/install-tools.sh" || { echo "0 passed, 1 failed"; exit 1; }

log="$(mktemp)"
dotnet test Functions.sln -c Release --nologo 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

passed=$(grep -Eo 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -Eo 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  # The build or a test host failed before any test could report.
  failed=1
fi
rm -f "$log"
echo "$passed passed, $failed failed"
exit "$status"
