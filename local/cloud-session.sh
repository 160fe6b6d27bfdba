# Sourced by local/demo.sh and test/run.sh: installs what is missing, starts the local cloud
# unless it already runs (and then stops it again on exit, unless BLOCKPLANE_KEEP_CLOUD=1),
# deploys the CDK app to it and exports its endpoint, credentials and outputs file.
bash local/install.sh

started_cloud=0
if ! bash local/cloud.sh status >/dev/null 2>&1; then
  bash local/cloud.sh start
  started_cloud=1
fi
stop_started_cloud() { if ((started_cloud)) && [[ "${BLOCKPLANE_KEEP_CLOUD:-0}" != 1 ]]; then bash local/cloud.sh stop || true; fi; }
trap stop_started_cloud EXIT

bash local/cloud.sh deploy
eval "$(bash local/cloud.sh env)"
