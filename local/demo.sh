#!/usr/bin/env bash
# The main job on the local cloud: install what is missing, start the emulator, deploy the
# real CDK app to it, then run local/demo.ts. The emulator is stopped again at the end if this
# script started it (BLOCKPLANE_KEEP_CLOUD=1 keeps it running for a look around).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source local/cloud-session.sh
npx --no-install tsx local/demo.ts
