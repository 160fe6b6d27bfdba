#!/usr/bin/env bash
# A local fleet to try the CLI by hand (local/fleet.ts):
#   bash local/fleet.sh up [N]   start and deploy the local cloud unless it runs, start N storage hosts (default 3)
#   bash local/fleet.sh status   each host's agent and what the control plane thinks of it
#   bash local/fleet.sh env      export lines: the local cloud plus tenant `me`'s keys
#   bash local/fleet.sh down     stop the agents and daemons, remove the hosts (the cloud stays)
# The hosts are numbered from BLOCKPLANE_HOST_INDEX_OFFSET+1 (default offset 200, so they never
# meet the tests' or the demo's hosts); their files and logs are under local/.state/hosts/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export BLOCKPLANE_HOST_INDEX_OFFSET="${BLOCKPLANE_HOST_INDEX_OFFSET:-200}"
command="${1:-}"
if [[ "$command" == up ]]; then
  source local/steps.sh
  step install bash local/install.sh
  if bash local/cloud.sh status >/dev/null 2>&1 && [[ -s local/.state/outputs.json ]]; then
    echo "• using the running local cloud's deployment (bash local/cloud.sh deploy redeploys it)"
  else
    step deploy bash local/cloud.sh deploy
  fi
fi
eval "$(bash local/cloud.sh env)"
if [[ "$command" == env ]]; then bash local/cloud.sh env; fi
exec npx --no-install tsx local/fleet.ts "$@"
