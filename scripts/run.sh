#!/usr/bin/env bash
# Brings up the local stack from a fresh clone: installs the tools, starts Azurite (fresh storage each
# run), trains the demo champion (n-gram linear) and challenger (hybrid: the pretrained MiniLM encoder beside
# the n-grams) from the synthetic corpus and publishes
# them, creates the demo experiment in its A/A phase, starts the Functions app on 127.0.0.1 with its
# queue listeners, checks it answers, and prints curl calls to paste. Ctrl-C stops everything.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
work="$root/.local"
blob_port="${VERDICT_BLOB_PORT:-10000}"
queue_port="${VERDICT_QUEUE_PORT:-10001}"
table_port="${VERDICT_TABLE_PORT:-10002}"
http_port="${VERDICT_HTTP_PORT:-7071}"
experiment=demo-intent

pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'echo; echo "stopping ..."; exit 0' INT TERM

wait_for_port() { # port pid what
  for _ in $(seq 1 150); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || { echo "$3 did not start (is port $1 free?)" >&2; return 1; }
    sleep 0.2
  done
  echo "$3 did not open port $1 within 30 s" >&2; return 1
}

for port in "$blob_port" "$queue_port" "$table_port" "$http_port"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port is in use; set VERDICT_BLOB_PORT / VERDICT_QUEUE_PORT / VERDICT_TABLE_PORT / VERDICT_HTTP_PORT" >&2
    exit 1
  fi
done

"$root/scripts/install-tools.sh"
echo "building ..."
dotnet build src/Cli -c Release --nologo -v quiet -o "$work/bin" >/dev/null
dotnet build src/Functions -c Release --nologo -v quiet -o "$work/app" >/dev/null
verdict="$work/bin/verdict"

rm -rf "$work/azurite" && mkdir -p "$work/azurite"
"$root/tools/azurite/node_modules/.bin/azurite" --silent --skipApiVersionCheck --disableTelemetry \
  --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 \
  --blobPort "$blob_port" --queuePort "$queue_port" --tablePort "$table_port" --location "$work/azurite" &
pids+=($!)
wait_for_port "$blob_port" "${pids[-1]}" Azurite
wait_for_port "$queue_port" "${pids[-1]}" Azurite
key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
export VERDICT_STORAGE_CONNECTION_STRING="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$key;BlobEndpoint=http://127.0.0.1:$blob_port/devstoreaccount1;QueueEndpoint=http://127.0.0.1:$queue_port/devstoreaccount1;"

"$verdict" demo corpus --out "$work/demo/corpus.csv" >/dev/null
version="$(date +%Y%m%d%H%M%S)"
for name in demo-champion demo-challenger; do
  arch=$([ "$name" = demo-champion ] && echo linear || echo hybrid)
  rm -rf "$work/demo/$name"
  "$verdict" models train --data "$work/demo/corpus.csv" --split-column split --architecture "$arch" \
    --buckets 65536 --name "$name" --version "$version" --out "$work/demo/$name" | tail -n 1
  "$verdict" models publish --package "$work/demo/$name"
done

cat >"$work/demo/$experiment.json" <<JSON
{
  "id": "$experiment",
  "kind": "model",
  "arms": [
    { "name": "champion", "weight": 0.5, "serves": "demo-champion@$version" },
    { "name": "challenger", "weight": 0.5, "serves": "demo-challenger@$version" }
  ],
  "control": "champion",
  "slot": "default",
  "randomizationUnit": "contact",
  "primaryMetrics": ["accuracy", "handlingSeconds"],
  "guardrails": [{ "metric": "accuracy", "margin": 0.01 }],
  "alpha": 0.05,
  "power": 0.8,
  "baseline": 0.8,
  "minimumDetectableEffect": 0.03,
  "seed": "$experiment-$version"
}
JSON
"$verdict" experiments create --file "$work/demo/$experiment.json" >/dev/null
"$verdict" experiments start-aa "$experiment" >/dev/null
echo "experiment $experiment: A/A phase, champion demo-champion@$version, challenger demo-challenger@$version"

# Traffic that names no experiment is served by the champion of the slot "default", which the demo experiment
# competes for (until a promotion writes it, the default model answers).
# From its own folder, so that it reads its appsettings.json; without the Functions host the app serves its
# function classes from a plain ASP.NET Core host. Reports are
# analysed afresh on every request here (Verdict:ReportMaxAge 0): the demo writes simulated traffic straight to
# the log and reads the report at once, where a deployed app keeps each analysis for a minute.
(cd "$work/app" && Verdict__DefaultSlot=default Verdict__DefaultModel="demo-champion@$version" Verdict__ReportMaxAge=00:00:00 exec ./Verdict.Functions --urls "http://127.0.0.1:$http_port") \
  >"$work/app.log" 2>&1 &
pids+=($!)
wait_for_port "$http_port" "${pids[-1]}" "the Functions app (log: $work/app.log)"

api="http://127.0.0.1:$http_port/api"
echo
echo "smoke test: POST $api/score"
curl -fsS -X POST "$api/score" -H 'content-type: application/json' \
  -d "{\"id\":\"smoke-1\",\"unit\":\"contact-1\",\"experiment\":\"$experiment\",\"body\":\"Yes, let's set up a call on Thursday.\"}"
echo
cat <<MSG

The stack is up: Azurite (blob $blob_port, queue $queue_port), the Functions app on $api
(log: $work/app.log). Paste into another shell:

  curl -s -X POST $api/score -H 'content-type: application/json' \\
    -d '{"id":"mail-1","unit":"contact-7","experiment":"$experiment","subject":"Pricing","body":"Happy to chat, send pricing"}'
  curl -s -X POST $api/score/batch -H 'content-type: application/json' \\
    -d '[{"id":"mail-2","unit":"contact-8","experiment":"$experiment","body":"Please remove me from your list"},{"id":"mail-3","body":"Too expensive this year"}]'
  curl -s -X POST $api/outcomes -H 'content-type: application/json' \\
    -d '{"scoringId":"mail-1","trueIntent":"positive","handlingSeconds":42}'
  curl -s -X POST $api/replies -H 'content-type: application/json' \\
    -d '{"messageId":"msg-1","body":"Sounds good, book me in"}'
  curl -s "$api/experiments/$experiment/report?format=md"

The app also handles the queues score-requests (results to score-results), outcomes and replies.
Messages are base64 of their JSON (host.json's messageEncoding); a plain one goes to <queue>-poison with
the reason. With the Azure SDK for JavaScript (scripts/clients/queue-client.cjs):
  export VERDICT_STORAGE_CONNECTION_STRING='$VERDICT_STORAGE_CONNECTION_STRING'
  node $root/scripts/clients/queue-client.cjs send score-requests '{"id":"q-1","unit":"contact-9","experiment":"$experiment","body":"Call me tomorrow"}'
  node $root/scripts/clients/queue-client.cjs send score-requests '{"id":"q-2","body":"sent as plain text"}' --plain
  node $root/scripts/clients/queue-client.cjs receive score-results
  node $root/scripts/clients/queue-client.cjs receive score-requests-poison

Simulated A/A traffic for the demo experiment (written straight to its event log), then its report:
  export VERDICT_STORAGE_CONNECTION_STRING='$VERDICT_STORAGE_CONNECTION_STRING'
  $verdict simulate --experiment $experiment --units 2000
  curl -s "$api/experiments/$experiment/report?format=md"

Press Ctrl-C to stop everything.
MSG
wait -n "${pids[@]}" || true
echo "a process of the stack exited; stopping the rest (app log: $work/app.log)" >&2
exit 1
