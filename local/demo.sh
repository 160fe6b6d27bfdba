#!/usr/bin/env bash
# The main job on the local cloud: install what is missing, start the emulator, deploy the
# real CDK app to it, then run the scripted session in local/demo.ts.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash local/install.sh
bash local/cloud.sh start
bash local/cloud.sh deploy
eval "$(bash local/cloud.sh env)"
npx --no-install tsx local/demo.ts
