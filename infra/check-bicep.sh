#!/usr/bin/env bash
# Builds and lints every Bicep template and parameters file under a folder (default: infra/bicep) with the
# bicep CLI restored from NuGet (Azure.Bicep.CommandLine.linux-x64, by tests/Infra.Tests). The CLI exits 0
# on warnings (a misspelled property is only a warning), so any "Warning" or "Error" line fails the check.
#   infra/check-bicep.sh [FOLDER]
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
folder="${1:-$root/infra/bicep}"
version="0.49.2"
bicep="${BICEP:-${NUGET_PACKAGES:-$HOME/.nuget/packages}/azure.bicep.commandline.linux-x64/$version/tools/bicep}"
if [ ! -x "$bicep" ]; then
  echo "bicep $version not found at $bicep: run 'dotnet restore tests/Infra.Tests'" >&2
  exit 2
fi
export BICEP_TRACING_ENABLED=false
count="$(find "$folder" -type f \( -name '*.bicep' -o -name '*.bicepparam' \) | wc -l)"
if [ "$count" -eq 0 ]; then
  echo "no Bicep files under $folder" >&2
  exit 2
fi
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
# One process per step, each over every file: the CLI's start-up is most of its time.
output="$(
  "$bicep" build --pattern "$folder/**/*.bicep" --outdir "$out" 2>&1; echo "exit $?"
  "$bicep" lint --pattern "$folder/**/*.bicep" 2>&1; echo "exit $?"
  if find "$folder" -name '*.bicepparam' | grep -q .; then
    "$bicep" build-params --pattern "$folder/**/*.bicepparam" --outdir "$out" 2>&1; echo "exit $?"
  fi
)"
problems="$(printf '%s\n' "$output" | grep -E ': (Warning|Error) |^Error' | sort -u)"
failed="$(printf '%s\n' "$output" | grep -E '^exit [1-9]')"
if [ -n "$problems" ] || [ -n "$failed" ]; then
  printf '%s\n' "${problems:-$output}"
  exit 1
fi
echo "$count Bicep files: built and linted, no warnings"
