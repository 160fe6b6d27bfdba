# Sourced by local/demo.sh and test/run.sh: installs what is missing, starts the local cloud
# unless it already runs (and then stops it again on exit, unless BLOCKPLANE_KEEP_CLOUD=1),
# deploys the CDK app to it and exports its endpoint, credentials and outputs file. Each step
# prints one line; its whole output is in local/.state/logs/ (local/steps.sh).
source local/steps.sh

step install bash local/install.sh

started_cloud=0
if ! bash local/cloud.sh status >/dev/null 2>&1; then
  step cloud-start bash local/cloud.sh start
  started_cloud=1
fi
stop_started_cloud() { if ((started_cloud)) && [[ "${BLOCKPLANE_KEEP_CLOUD:-0}" != 1 ]]; then step cloud-stop bash local/cloud.sh stop || true; fi; }
trap stop_started_cloud EXIT

step deploy bash local/cloud.sh deploy
eval "$(bash local/cloud.sh env)"
