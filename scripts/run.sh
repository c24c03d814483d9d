#!/usr/bin/env bash
# Brings up the local stack: installs the tools, starts Azurite, generates the synthetic demo corpus,
# trains the demo champion (linear) and challenger (mlp), publishes them to the Blob registry on
# Azurite, scores a few replies with both, and prints commands to try. Ctrl-C stops everything.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
work="$root/.local"
blob_port="${VERDICT_BLOB_PORT:-10000}"
queue_port="${VERDICT_QUEUE_PORT:-10001}"
table_port="${VERDICT_TABLE_PORT:-10002}"

"$root/scripts/install-tools.sh"
echo "building ..."
dotnet build src/Cli -c Release --nologo -v quiet -o "$work/bin" >/dev/null
verdict="$work/bin/verdict"

mkdir -p "$work/azurite"
"$root/tools/azurite/node_modules/.bin/azurite" --silent --skipApiVersionCheck --disableTelemetry \
  --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 \
  --blobPort "$blob_port" --queuePort "$queue_port" --tablePort "$table_port" --location "$work/azurite" &
azurite_pid=$!
cleanup() { kill "$azurite_pid" 2>/dev/null || true; wait "$azurite_pid" 2>/dev/null || true; }
trap cleanup EXIT INT TERM
for _ in $(seq 1 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$blob_port") 2>/dev/null && break
  kill -0 "$azurite_pid" 2>/dev/null || { echo "Azurite did not start (is port $blob_port free? set VERDICT_BLOB_PORT)"; exit 1; }
  sleep 0.2
done
key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
export VERDICT_STORAGE_CONNECTION_STRING="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$key;BlobEndpoint=http://127.0.0.1:$blob_port/devstoreaccount1;QueueEndpoint=http://127.0.0.1:$queue_port/devstoreaccount1;"

"$verdict" demo corpus --out "$work/demo/corpus.csv" >/dev/null
stamp="$(date +%Y%m%d%H%M%S)"
for arch in linear mlp; do
  name="demo-$([ "$arch" = linear ] && echo champion || echo challenger)"
  "$verdict" models train --data "$work/demo/corpus.csv" --split-column split --architecture "$arch" \
    --buckets 65536 --name "$name" --version "$stamp" --out "$work/demo/$name-$stamp" | tail -n 1
  "$verdict" models publish --package "$work/demo/$name-$stamp"
done
echo
"$verdict" models list
for text in "Yes, let's set up a call on Thursday." "Please remove me from your mailing list." "Too expensive for us this year."; do
  for name in demo-champion demo-challenger; do
    printf '%-16s %-42s ' "$name" "\"$text\""
    "$verdict" models score --model "$name" --text "$text" | grep -E '"intent"' | tr -d ' ,'
  done
done
cat <<MSG

The registry is up on Azurite (blob port $blob_port). Try, in another shell:
  export VERDICT_STORAGE_CONNECTION_STRING='$VERDICT_STORAGE_CONNECTION_STRING'
  $verdict models list
  $verdict models score --model demo-challenger --text "Happy to chat, send pricing"

Press Ctrl-C to stop.
MSG
wait "$azurite_pid"
