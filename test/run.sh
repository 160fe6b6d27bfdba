#!/usr/bin/env bash
# Runs every test: unit, infrastructure (CDK + cdk-nag), agent (real qemu-storage-daemon on
# loop devices) and end-to-end (the real CDK app deployed to the local cloud). Installs what
# is missing first, starts the local cloud if it is not running, deploys once, and stops the
# cloud again at the end if this script started it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source local/cloud-session.sh

step typecheck npx --no-install tsc --noEmit -p .
npx --no-install jest --runInBand "$@"
