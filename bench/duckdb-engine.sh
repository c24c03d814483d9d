#!/usr/bin/env bash
# The DuckDB engine against the built-in reader on the same JSONL files, each as a `verdict analyze` process:
# wall time and peak RSS (/usr/bin/time). The files are bench/Analyze.Bench's (an A/B of two arms, one exposure and
# one outcome per unit), generated once into FOLDER.
#   bash bench/duckdb-engine.sh [FOLDER] [SCORED, default 5000000] [MEMORY LIMIT, default 4GB] [engines, default "builtin duckdb"]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
folder=${1:-/tmp/verdict-analyze-bench}
scored=${2:-5000000}
limit=${3:-4GB}
engines=${4:-builtin duckdb}
dotnet run -c Release --project bench/Analyze.Bench -- "$folder" "$scored" generate-only
dotnet build -c Release src/Cli -v q -nologo >/dev/null
verdict="dotnet src/Cli/bin/Release/net10.0/linux-x64/verdict.dll"
echo "$((2 * scored)) events, $(du -sh "$folder" | cut -f1) of JSONL, $(nproc) cores"
for engine in $engines; do
  out=$(mktemp)
  /usr/bin/time -f "%e %M" -o "$out.time" $verdict analyze --events "$folder" --experiment bench --engine "$engine" --memory-limit "$limit" --format md >"$out"
  read -r seconds kb <"$out.time"
  printf '%-8s %8.1f s  peak RSS %6d MB  %s\n' "$engine" "$seconds" "$((kb / 1024))" "$(head -n 1 "$out")"
  rm -f "$out" "$out.time"
done
