#!/usr/bin/env bash
# Bundles the agent (bin/agent.ts and everything it imports, the AWS SDK credential chain
# included) into ONE file for Node 20: dist/blockplane-agent.js. Install it as
# /opt/blockplane/blockplane-agent.js (see blockplane-agent.service and agent/README.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=dist/blockplane-agent.js
npx esbuild bin/agent.ts \
  --bundle \
  --platform=node \
  --target=node20 \
  --format=cjs \
  --legal-comments=eof \
  --log-level=warning \
  --outfile="$out"
chmod 0755 "$out"
# The bundle must load and parse its flags: with none it prints the usage and exits 2.
set +e
node "$out" >/dev/null 2>&1
status=$?
set -e
if [ "$status" -ne 2 ]; then
  echo "build.sh: $out did not start as expected (exit $status instead of 2)" >&2
  exit 1
fi
echo "$out $(du -h "$out" | cut -f1)"
