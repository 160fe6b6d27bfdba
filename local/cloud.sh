#!/usr/bin/env bash
# Blockplane local cloud: MiniStack (AWS emulator) on 127.0.0.1, plus the CDK deploy against it.
#
#   local/cloud.sh install   venv + Python pins (local/requirements.txt), local/lambda-runtime SDK
#   local/cloud.sh start     start MiniStack on 127.0.0.1:$LOCAL_CLOUD_PORT (default 4566), wait for health
#   local/cloud.sh status    say whether it runs, and what it listens on
#   local/cloud.sh stop      SIGTERM (SIGKILL after 10 s) the recorded PID and its Lambda workers
#   local/cloud.sh reset     POST /_ministack/reset (wipes every resource, CDKToolkit included)
#   local/cloud.sh deploy [cdk deploy args...]
#                            cdk bootstrap (if needed) + cdk deploy --all, outputs in local/.state/outputs.json
#   local/cloud.sh env       print export lines: eval "$(local/cloud.sh env)"
#   local/cloud.sh logs [name-substring] [minutes]
#                            print Lambda console output from CloudWatch Logs (every log group whose
#                            name contains the substring; default: all), default last 10 min
#
# Every subcommand is idempotent and installs/starts what it needs. See local/README.md.
# Knobs (environment): LOCAL_CLOUD_PORT (4566), LOCAL_CLOUD_SERVER (uvicorn | hypercorn),
# LOCAL_CLOUD_DEPLOY_TIMEOUT (300 s per cdk command), AWS_ENDPOINT_URL (http://127.0.0.1:$PORT),
# LOCAL_CLOUD_CDK_DIR (folder whose cdk.json is deployed; default the repo root),
# LOCAL_CLOUD_FLEET (1: deploy the fleet stack too, the default for the repo's own app; 0: not).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="$ROOT/local"
STATE="$LOCAL/.state"
VENV="$ROOT/.venv"
RUNTIME="$LOCAL/lambda-runtime"
PORT="${LOCAL_CLOUD_PORT:-4566}"
SERVER="${LOCAL_CLOUD_SERVER:-uvicorn}"
PID_FILE="$STATE/ministack.pid"
LOG_FILE="$STATE/ministack.log"
OUTPUTS="$STATE/outputs.json"
HEALTH_URL="http://127.0.0.1:$PORT/_localstack/health"
DEPLOY_TIMEOUT="${LOCAL_CLOUD_DEPLOY_TIMEOUT:-300}"
CDK_DIR="${LOCAL_CLOUD_CDK_DIR:-$ROOT}"
FLEET_DEFAULT=0; [[ "$CDK_DIR" == "$ROOT" ]] && FLEET_DEFAULT=1
FLEET="${LOCAL_CLOUD_FLEET:-$FLEET_DEFAULT}"
# The AWS SDK warns, once per process, that its releases after January 2027 will need Node 22.
# This machine runs Node 20 and package-lock.json pins SDK releases that support it, so the
# warning says nothing here; every test process and agent would print it again. Silenced once,
# for the local cloud's shells (AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=false shows it).
SDK_WARNING_DISABLED="${AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED:-true}"
START_TIMEOUT=30   # seconds to wait for the health endpoint
STOP_TIMEOUT=10    # seconds between SIGTERM and SIGKILL

say() { printf 'local-cloud: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- install

sha() { cat "$@" | sha256sum | cut -d' ' -f1; }

install_python() {
  local stamp="$VENV/.blockplane-local-requirements.sha256" want
  want="$(sha "$LOCAL/requirements.txt")"
  if [[ ! -x "$VENV/bin/python" ]]; then
    local py
    py="$(command -v python3 || true)"
    [[ -n "$py" ]] || die "python3 not found; needed to create $VENV"
    say "creating virtualenv $VENV with $py"
    "$py" -m venv "$VENV"
  fi
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] \
      && "$VENV/bin/python" -c 'import ministack, uvicorn, uvloop, httptools' 2>/dev/null; then
    return 0
  fi
  say "pip install -r local/requirements.txt"
  timeout 600 "$VENV/bin/pip" install --disable-pip-version-check -q -r "$LOCAL/requirements.txt"
  echo "$want" >"$stamp"
}

install_runtime() {
  local stamp="$RUNTIME/node_modules/.blockplane-local-runtime.sha256" want files=("$RUNTIME/package.json")
  [[ -f "$RUNTIME/package-lock.json" ]] && files+=("$RUNTIME/package-lock.json")
  want="$(sha "${files[@]}")"
  if [[ -d "$RUNTIME/node_modules" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    return 0
  fi
  if [[ -f "$RUNTIME/package-lock.json" ]]; then
    say "npm ci --prefix local/lambda-runtime (Lambda-runtime AWS SDK stand-in)"
    timeout 600 npm ci --prefix "$RUNTIME" --no-audit --no-fund --loglevel=error
  else
    say "npm install --prefix local/lambda-runtime (Lambda-runtime AWS SDK stand-in)"
    timeout 600 npm install --prefix "$RUNTIME" --no-audit --no-fund --loglevel=error
  fi
  echo "$want" >"$RUNTIME/node_modules/.blockplane-local-runtime.sha256"
}

cmd_install() {
  install_python
  install_runtime
  say "installed: $("$VENV/bin/pip" freeze 2>/dev/null | grep -iE '^(ministack|uvicorn|uvloop|httptools)==' | tr '\n' ' ')"
}

# ---------------------------------------------------------------- process helpers

# The PID recorded in the pid file, if that process is alive and is our MiniStack server.
recorded_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  # Guard against PID reuse: it must still be our server command line.
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'ministack.app:app' || return 1
  echo "$pid"
}

healthy() { curl -fsS -o /dev/null --max-time 2 "$HEALTH_URL" 2>/dev/null; }

# All descendants of a PID (children, grandchildren, ...).
descendants() {
  local child
  for child in $(pgrep -P "$1" 2>/dev/null || true); do
    echo "$child"
    descendants "$child"
  done
}

# Listening sockets owned by the server or its workers that are not on 127.0.0.1.
foreign_listeners() {
  local pid="$1" p pids
  pids="$pid $(descendants "$pid" | tr '\n' ' ')"
  for p in $pids; do
    ss -Hltnup 2>/dev/null | grep -F "pid=$p," | awk '{print $5}' | grep -vE '^(127\.0\.0\.1|\[::1\]):' || true
  done
}

# ---------------------------------------------------------------- start / stop / status

cmd_start() {
  mkdir -p "$STATE"
  local pid
  if pid="$(recorded_pid)"; then
    if healthy; then
      say "already running (pid $pid) on http://127.0.0.1:$PORT"
      return 0
    fi
    say "pid $pid is alive but $HEALTH_URL does not answer; waiting"
    wait_healthy "$pid" || die "pid $pid is not healthy; run 'local/cloud.sh stop' and retry (log: $LOG_FILE)"
    return 0
  fi
  [[ -f "$PID_FILE" ]] && { say "removing stale pid file"; rm -f "$PID_FILE"; }
  if curl -sS -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/" 2>/dev/null \
      || ss -Hltn "sport = :$PORT" 2>/dev/null | grep -q .; then
    die "port $PORT is already in use by a process this script did not start (see: ss -ltnp 'sport = :$PORT')"
  fi

  install_python
  install_runtime

  # Lambda workers run as host `node` processes in $TMPDIR/ministack-lambda-*/code, so Node
  # resolves the runtime-provided SDK from local/lambda-runtime/node_modules (TMPDIR's parent).
  local tmp="$RUNTIME/tmp"
  mkdir -p "$tmp"
  find "$tmp" -mindepth 1 -maxdepth 1 -name 'ministack-*' -exec rm -rf {} + 2>/dev/null || true

  local -a server_cmd
  case "$SERVER" in
    uvicorn)
      server_cmd=("$VENV/bin/python" -m uvicorn ministack.app:app --host 127.0.0.1 --port "$PORT"
                  --loop uvloop --http httptools --lifespan on --timeout-keep-alive 75
                  --log-level info --no-server-header --no-date-header) ;;
    hypercorn)
      server_cmd=("$VENV/bin/python" -m hypercorn ministack.app:app --bind "127.0.0.1:$PORT"
                  -k uvloop --keep-alive 75 --log-level INFO) ;;
    *) die "LOCAL_CLOUD_SERVER must be uvicorn or hypercorn, not '$SERVER'" ;;
  esac

  [[ -f "$LOG_FILE" ]] && mv -f "$LOG_FILE" "$LOG_FILE.1"   # keep the previous run's log
  # The emulator keeps state in memory only: outputs of an earlier run point at nothing.
  rm -f "$OUTPUTS"
  say "starting MiniStack ($SERVER) on 127.0.0.1:$PORT, log $LOG_FILE"
  # A clean environment: Lambda workers inherit the server's environment, so the caller's AWS
  # profile/credentials/endpoint must not leak into them. setsid: the server leads its own
  # process group, which its Lambda workers share (used by `stop`).
  (
    cd "$STATE"
    exec env -i \
      PATH="$PATH" HOME="${HOME:-/tmp}" LANG="${LANG:-C.UTF-8}" \
      TMPDIR="$tmp" \
      GATEWAY_PORT="$PORT" BIND_HOST=127.0.0.1 MINISTACK_HOST=localhost \
      IOT_MTLS_ENABLED=0 SFTP_ENABLED=0 \
      LOG_LEVEL=INFO PYTHONUNBUFFERED=1 \
      setsid "${server_cmd[@]}" </dev/null >>"$LOG_FILE" 2>&1
  ) &
  pid=$!
  echo "$pid" >"$PID_FILE"

  if ! wait_healthy "$pid"; then
    say "last lines of $LOG_FILE:"; tail -n 20 "$LOG_FILE" >&2 || true
    cmd_stop || true
    die "MiniStack did not become healthy within ${START_TIMEOUT}s"
  fi
  local foreign
  foreign="$(foreign_listeners "$pid")"
  if [[ -n "$foreign" ]]; then
    say "listening outside 127.0.0.1: $foreign"
    cmd_stop || true
    die "MiniStack bound a non-loopback address; stopped it"
  fi
  say "running (pid $pid) on http://127.0.0.1:$PORT"
}

wait_healthy() {
  local pid="$1" deadline=$((SECONDS + START_TIMEOUT)) t0
  t0="$(date +%s.%N)"
  while (( SECONDS < deadline )); do
    if ! kill -0 "$pid" 2>/dev/null; then
      say "process $pid exited during startup"; return 1
    fi
    if healthy; then
      say "healthy after $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b-a}') s"
      return 0
    fi
    sleep 0.2
  done
  return 1
}

cmd_stop() {
  local pid
  if ! pid="$(recorded_pid)"; then
    if [[ -f "$PID_FILE" ]]; then say "recorded pid $(cat "$PID_FILE") is not running; removing pid file"; rm -f "$PID_FILE"
    else say "not running (no $PID_FILE)"; fi
    return 0
  fi
  # Remember the workers now: once the server is gone they are re-parented to init.
  local -a workers
  mapfile -t workers < <({ descendants "$pid"; pgrep -g "$pid" 2>/dev/null || true; } | grep -vx "$pid" | sort -un)
  say "stopping MiniStack (pid $pid, ${#workers[@]} worker process(es))"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + STOP_TIMEOUT))
  while kill -0 "$pid" 2>/dev/null && (( SECONDS < deadline )); do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    say "still alive after ${STOP_TIMEOUT}s; SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  local w alive=()
  for w in "${workers[@]}"; do kill -0 "$w" 2>/dev/null && alive+=("$w"); done
  if (( ${#alive[@]} )); then
    say "terminating leftover worker(s): ${alive[*]}"
    kill -TERM "${alive[@]}" 2>/dev/null || true
    sleep 1
    for w in "${alive[@]}"; do kill -0 "$w" 2>/dev/null && kill -KILL "$w" 2>/dev/null || true; done
  fi
  rm -f "$PID_FILE" "$OUTPUTS"   # state was in memory: stack outputs are gone with it
  find "$RUNTIME/tmp" -mindepth 1 -maxdepth 1 -name 'ministack-*' -exec rm -rf {} + 2>/dev/null || true
  say "stopped"
}

cmd_status() {
  local pid
  if pid="$(recorded_pid)" && healthy; then
    say "running (pid $pid) on http://127.0.0.1:$PORT"
    ss -Hltnp 2>/dev/null | grep -F "pid=$pid," | awk '{print "local-cloud:   listening " $4}' >&2 || true
  elif [[ -n "${pid:-}" ]]; then
    say "pid $pid alive but not healthy"; return 1
  else
    say "not running"; return 1
  fi
}

ensure_running() {
  if ! { recorded_pid >/dev/null && healthy; }; then cmd_start; fi
}

cmd_reset() {
  if ! { recorded_pid >/dev/null && healthy; }; then
    rm -f "$OUTPUTS"
    say "not running: nothing to reset (state lives in memory only)"; return 0
  fi
  curl -fsS --max-time 30 -X POST "http://127.0.0.1:$PORT/_ministack/reset" >/dev/null
  rm -f "$OUTPUTS"
  say "reset: every resource wiped (CDKToolkit included); removed $OUTPUTS"
}

# ---------------------------------------------------------------- deploy / env

aws_env() {
  unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE
  export AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://127.0.0.1:$PORT}"
  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
  export CDK_DISABLE_CLI_TELEMETRY=1
  export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED="$SDK_WARNING_DISABLED"
  # Keep ~/.aws out of it entirely.
  export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
}

# Prints the CDKToolkit stack status, or nothing if it does not exist.
toolkit_status() {
  (cd "$ROOT" && timeout 30 node -e '
    const { CloudFormationClient, DescribeStacksCommand } = require("@aws-sdk/client-cloudformation");
    new CloudFormationClient({}).send(new DescribeStacksCommand({ StackName: "CDKToolkit" }))
      .then(r => console.log((r.Stacks && r.Stacks[0] && r.Stacks[0].StackStatus) || ""))
      .catch(e => { if (/does not exist/i.test(String(e.message))) { console.log(""); } else { console.error(e.message); process.exit(1); } });
  ')
}

elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}'; }

cmd_deploy() {
  ensure_running
  aws_env
  cd "$CDK_DIR"
  local status t0 acct
  # The API stack puts the console's build (console/dist) into its bucket (docs/console.md);
  # every synthesis needs it, the bootstrap's included.
  say "npm run build:console"
  (cd "$ROOT" && npm run --silent build:console) || die "building the console failed: npm run build:console"
  status="$(toolkit_status)" || die "cannot query CloudFormation at $AWS_ENDPOINT_URL"
  if [[ "$status" == CREATE_COMPLETE || "$status" == UPDATE_COMPLETE ]]; then
    say "CDKToolkit exists ($status); skipping bootstrap"
  else
    acct="${MINISTACK_ACCOUNT_ID:-000000000000}"   # MiniStack's default account
    say "cdk bootstrap aws://$acct/us-east-1${status:+ (CDKToolkit was $status)}"
    t0="$(date +%s.%N)"
    timeout --kill-after=10 "$DEPLOY_TIMEOUT" npx --no-install cdk bootstrap "aws://$acct/us-east-1" --no-notices \
      || die "cdk bootstrap failed or timed out (${DEPLOY_TIMEOUT}s)"
    say "bootstrap took $(elapsed "$t0") s"
  fi
  # The fleet stack (EC2 storage hosts) is deployed too, into what local/fleet-seed.ts seeds for
  # it (an image parameter and a VPC; the emulator has neither Canonical's parameters nor NAT
  # gateways). It has to be there from the first deploy: MiniStack does not add the exports a
  # later fleet deploy needs to an existing BlockplaneApi stack (reset first).
  # The local cloud's context (lib/blockplane-app.ts): short timeouts, the local hosts' and
  # operators' identities and network, short recovery periods (docs/recovery.md), a short
  # close-after-green for health events (docs/health.md).
  local LOCAL_CONTEXT=(
    -c hostCommandTimeoutSeconds=30 -c hostHeartbeatTimeoutSeconds=6
    -c hostPrincipalArnPrefix=arn:aws:iam::000000000000:user/blockplane-hosts/ -c storageNetworkCidr=10.77.0.0/24
    -c recoveryQuarantineSeconds=10 -c recoveryAutoArchiveSeconds=600 -c recoveryHostBatch=5
    -c healthCloseAfterGreenSeconds=10 -c rebuildAttemptsPerExecution=3
  )
  local fleet_args=()
  if [[ "$FLEET" == 1 ]]; then
    mapfile -t fleet_args < <(cd "$ROOT" && npx --no-install tsx local/fleet-seed.ts 2>/dev/null) \
      || die "seeding the fleet stack's image parameter and VPC failed: npx tsx local/fleet-seed.ts"
    fleet_args=(-c fleet=true "${fleet_args[@]}")
  fi
  say "cdk deploy --all${fleet_args:+ (fleet included)} (timeout ${DEPLOY_TIMEOUT}s)"
  t0="$(date +%s.%N)"
  timeout --kill-after=10 "$DEPLOY_TIMEOUT" npx --no-install cdk deploy --all --require-approval never \
      --outputs-file "$OUTPUTS" --no-notices "${LOCAL_CONTEXT[@]}" "${fleet_args[@]}" "$@" \
    || die "cdk deploy failed or timed out after $(elapsed "$t0") s (server log: $LOG_FILE)"
  say "deploy took $(elapsed "$t0") s; outputs in $OUTPUTS"
}

cmd_env() {
  local q
  printf 'export AWS_ENDPOINT_URL=%q\n' "${AWS_ENDPOINT_URL:-http://127.0.0.1:$PORT}"
  printf 'export AWS_ACCESS_KEY_ID=test\nexport AWS_SECRET_ACCESS_KEY=test\n'
  printf 'export AWS_REGION=us-east-1\nexport AWS_DEFAULT_REGION=us-east-1\n'
  printf 'export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=%s\n' "$SDK_WARNING_DISABLED"
  q="$(printf '%q' "$OUTPUTS")"
  printf 'export BLOCKPLANE_OUTPUTS=%s\n' "$q"
  printf 'unset AWS_PROFILE AWS_SESSION_TOKEN\n'
}

cmd_logs() {
  recorded_pid >/dev/null && healthy || die "not running"
  aws_env
  LOGS_FILTER="${1:-}" LOGS_MINUTES="${2:-10}" NODE_PATH="$RUNTIME/node_modules" timeout 60 node -e '
    const { CloudWatchLogsClient, DescribeLogGroupsCommand, FilterLogEventsCommand } = require("@aws-sdk/client-cloudwatch-logs");
    const cwl = new CloudWatchLogsClient({});
    const since = Date.now() - Number(process.env.LOGS_MINUTES) * 60000;
    (async () => {
      const groups = [];
      let nextToken;
      do {
        const r = await cwl.send(new DescribeLogGroupsCommand({ nextToken }));
        groups.push(...r.logGroups.map(g => g.logGroupName)); nextToken = r.nextToken;
      } while (nextToken);
      const lines = [];
      for (const g of groups.filter(g => g.includes(process.env.LOGS_FILTER))) {
        let token;
        do {
          const r = await cwl.send(new FilterLogEventsCommand({ logGroupName: g, startTime: since, nextToken: token }));
          for (const e of r.events) lines.push([e.timestamp, g.replace(/^\/aws\/(lambda|cloudformation)\//, ""), e.message.replace(/\n$/, "")]);
          token = r.nextToken;
        } while (token);
      }
      lines.sort((a, b) => a[0] - b[0]);
      for (const [t, g, m] of lines) console.log(new Date(t).toISOString().slice(11, 23), g, m);
      if (!lines.length) console.error("local-cloud: no log events in the last " + process.env.LOGS_MINUTES + " min");
    })().catch(e => { console.error(e.message); process.exit(1); });
  ' 2> >(grep -v -e NodeVersionSupportWarning -e "versions published after" -e "will require node" -e "You are running node" -e "continue receiving updates" -e "security updates please" -e "More information can be found" -e "trace-warnings" -e "^$" >&2)
}

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | grep '^#' | sed 's/^# \{0,1\}//' >&2; }

case "${1:-}" in
  install) cmd_install ;;
  start)   cmd_start ;;
  stop)    cmd_stop ;;
  status)  cmd_status ;;
  reset)   cmd_reset ;;
  deploy)  shift; cmd_deploy "$@" ;;
  env)     cmd_env ;;
  logs)    shift; cmd_logs "$@" ;;
  -h|--help|help) usage ;;
  *) usage; exit 2 ;;
esac
