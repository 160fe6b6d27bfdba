#!/usr/bin/env bash
# The main job on the local cloud: install what is missing, start the emulator, deploy the
# real CDK app to it, then run local/demo.ts. The emulator is stopped again at the end if this
# script started it (BLOCKPLANE_KEEP_CLOUD=1 keeps it running for a look around).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash local/install.sh

started_cloud=0
if ! bash local/cloud.sh status >/dev/null 2>&1; then
  bash local/cloud.sh start
  started_cloud=1
fi
cleanup() { if ((started_cloud)) && [[ "${BLOCKPLANE_KEEP_CLOUD:-0}" != 1 ]]; then bash local/cloud.sh stop || true; fi; }
trap cleanup EXIT

bash local/cloud.sh deploy
eval "$(bash local/cloud.sh env)"
npx --no-install tsx local/demo.ts
