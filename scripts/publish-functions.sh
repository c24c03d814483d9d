#!/usr/bin/env bash
# Publishes the Functions app as the zip Azure deploys to a dotnet-isolated 10.0 app (Flex Consumption): the
# worker's publish output at the root of the zip (host.json, worker.config.json, functions.metadata,
# extensions.json, .azurefunctions/ and the app), framework-dependent on the platform's .NET 10.
#   ./scripts/publish-functions.sh [OUT.zip]      (default: artifacts/verdict-functions.zip)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(realpath -m "${1:-$root/artifacts/verdict-functions.zip}")"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
dotnet publish "$root/src/Functions" -c Release -r linux-x64 --self-contained false \
  --nologo -v quiet -o "$stage/app" >/dev/null
for required in host.json worker.config.json functions.metadata extensions.json Verdict.Functions.dll; do
  [ -e "$stage/app/$required" ] || { echo "publish produced no $required" >&2; exit 1; }
done
mkdir -p "$(dirname "$out")"
/usr/bin/python3 - "$stage/app" "$out" <<'PY'
import os, sys, zipfile
src, out = sys.argv[1], sys.argv[2]
tmp = out + ".partial"
with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
    for folder, dirs, files in os.walk(src):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(folder, name)
            info = zipfile.ZipInfo.from_file(path, os.path.relpath(path, src))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, so the mode in external_attr is honoured
            with open(path, "rb") as f:
                z.writestr(info, f.read())
os.replace(tmp, out)
PY
echo "$out ($(du -h "$out" | cut -f1))"
