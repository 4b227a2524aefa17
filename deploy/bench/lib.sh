# Helpers of the benchmark scripts, sourced by them: starting and stopping what a run needs on
# free loopback ports. The script sets BENCH (its name, for messages) and LOG (its log file).

# stop_pid PID: SIGTERM, up to 20 s for a clean exit, then SIGKILL.
stop_pid() {
  local pid="$1" i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

# say TEXT: prints a line and keeps it in the log.
say() { echo "$*" | tee -a "$LOG"; }

# free_port FROM: the first port from FROM that nothing listens on and this run has not handed out.
TAKEN=" "
free_port() {
  local p="$1"
  while [ -n "$(ss -Htln "sport = :$p" 2>/dev/null)" ] || [[ "$TAKEN" == *" $p "* ]]; do p=$((p + 1)); done
  TAKEN="$TAKEN$p "
  echo "$p"
}

# wait_for SECONDS WHAT COMMAND...: runs COMMAND until it succeeds, for at most SECONDS.
wait_for() {
  local seconds="$1" what="$2" deadline
  shift 2
  deadline=$(( $(date +%s) + seconds ))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "$BENCH: gave up waiting for $what" >&2; return 1; }
    sleep 0.2
  done
}
