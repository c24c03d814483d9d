#!/usr/bin/env bash
# Installs what Verdict needs beyond the .NET SDK, into the repository's tools/ folder where possible:
# Azurite (npm) for storage, the Azure SDK for JavaScript (npm) as a queue client, Debian's python3-onnx
# for the ONNX checker test and Debian's chromium for the report tests.
# Idempotent: a second run only checks.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
azurite_version="3.37.0"
queue_client_version="12.32.0"

if [ ! -x "$root/tools/azurite/node_modules/.bin/azurite" ]; then
  echo "installing azurite@$azurite_version into tools/azurite ..."
  mkdir -p "$root/tools/azurite"
  (cd "$root/tools/azurite" && [ -f package.json ] || echo '{"name":"verdict-tools","private":true}' > package.json)
  (cd "$root/tools/azurite" && npm install --no-audit --no-fund --loglevel=error "azurite@$azurite_version" >/dev/null)
fi

# The Azure SDK for JavaScript: a client the project did not write, for the queue contract's tests and for
# scripts/clients/queue-client.cjs.
if [ ! -f "$root/tools/clients/node_modules/@azure/storage-queue/package.json" ]; then
  echo "installing @azure/storage-queue@$queue_client_version into tools/clients ..."
  mkdir -p "$root/tools/clients"
  (cd "$root/tools/clients" && [ -f package.json ] || echo '{"name":"verdict-clients","private":true}' > package.json)
  (cd "$root/tools/clients" && npm install --no-audit --no-fund --loglevel=error "@azure/storage-queue@$queue_client_version" >/dev/null)
fi

if ! /usr/bin/python3 -c "import onnx" >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "installing python3-onnx (Debian) ..."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-onnx >/dev/null) || echo "warning: python3-onnx could not be installed" >&2
  fi
fi
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "installing chromium (Debian), for the report tests ..."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || echo "warning: chromium could not be installed" >&2
  fi
fi
echo "tools ready"
