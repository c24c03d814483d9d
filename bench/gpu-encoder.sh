#!/usr/bin/env bash
# The GPU benchmark of a transformer model, for a machine with an NVIDIA GPU and CUDA 12 + cuDNN 9 (what
# Microsoft.ML.OnnxRuntime.Gpu 1.31 needs). It builds the scoring benchmark against the GPU build of ONNX Runtime,
# trains a MiniLM encoder model on banking77 (or the demo corpus when the shared data is absent), and measures
# texts/s and latency at batch 1, 32 and 128 on CUDA, then the same build on the CPU, in one run.
# Usage: bench/gpu-encoder.sh [DATA.csv] [encoder|hybrid]
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-../shared/data/banking77/banking77.csv}"
architecture="${2:-encoder}"
out="${TMPDIR:-/tmp}/verdict-gpu-bench"
dotnet build bench/Scoring.Bench -c Release -p:OnnxRuntimeFlavor=Gpu --artifacts-path "$out" >/dev/null
bench="$out/bin/Scoring.Bench/release_linux-x64/Verdict.Scoring.Bench.dll"
[ -f "$bench" ] || bench="$(find "$out/bin" -name Verdict.Scoring.Bench.dll | head -1)"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
echo "== CUDA"
VERDICT_BENCH_CUDA=1 VERDICT_BENCH_BATCHES=1,32,128 dotnet "$bench" "$data" "$architecture" fp32
echo "== CPU (same build)"
VERDICT_BENCH_CUDA=0 VERDICT_BENCH_BATCHES=1,32,128 dotnet "$bench" "$data" "$architecture" fp32
