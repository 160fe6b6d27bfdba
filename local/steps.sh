# Sourced by local/cloud-session.sh (so by local/demo.sh and test/run.sh): `step NAME CMD...`
# runs one step of the two commands with its whole output in local/.state/logs/NAME.log and
# prints one line for it: its name, then "ok" and the time it took. While a step runs on a
# terminal the line shows the seconds so far and the step's latest progress line (for a deploy:
# the stack and resource count CloudFormation reports). When a step fails, the last 40 lines
# of its log are printed with the log's path, and the step's exit status is returned.
STEP_LOGS="${STEP_LOGS:-$PWD/local/.state/logs}"

step() {
  local name="$1"; shift
  local log="$STEP_LOGS/$name.log" start=$SECONDS pid status=0
  mkdir -p "$STEP_LOGS"
  "$@" >"$log" 2>&1 &
  pid=$!
  if [[ -t 1 ]]; then
    while kill -0 "$pid" 2>/dev/null; do
      printf '\r\033[K• %s … %ds %s' "$name" $((SECONDS - start)) "$(step_progress "$log")"
      sleep 1
    done
    printf '\r\033[K'
  fi
  wait "$pid" || status=$?
  if ((status == 0)); then
    printf '• %s ok (%ds)\n' "$name" $((SECONDS - start))
  else
    printf '• %s FAILED (exit %d after %ds); last lines of %s:\n' "$name" "$status" $((SECONDS - start)) "$log"
    tail -n 40 "$log" | sed 's/^/    /'
    printf '  full log: %s\n' "$log"
  fi
  return "$status"
}

# The latest "Stack | n/m |" line cdk deploy wrote, shortened to "Stack n/m", else the last line.
step_progress() {
  local line
  line="$(grep -E '^[A-Za-z]+ +\| +[0-9]+/[0-9]+ ' "$1" 2>/dev/null | tail -n 1 | awk -F'|' '{gsub(/ /,"",$1); gsub(/ /,"",$2); print $1, $2}')"
  [[ -n "$line" ]] || line="$(tail -n 1 "$1" 2>/dev/null | cut -c1-60)"
  printf '%s' "$line"
}
