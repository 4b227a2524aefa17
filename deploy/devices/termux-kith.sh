#!/data/data/com.termux/files/usr/bin/bash
# Runs a Kith device on a phone under Termux, and reports the phone's battery to it.
#
#   pkg install openjdk-17 termux-api jq curl   (and the Termux:API app)
#   mkdir -p ~/.kith ~/kith && cp kith.jar ~/kith/ && cp phone.yaml ~/.kith/config.yaml
#   ./termux-kith.sh
#
# To start it when the phone boots, copy this script to ~/.termux/boot/ (Termux:Boot app).
# Android does not let apps read /sys/class/power_supply, so every minute this script asks
# termux-battery-status and sets the device's power through its own HTTP API
# (PUT /api/mesh/devices/NAME/power, docs/http-api.md): a phone on a low, discharging battery
# then hands its services to the other devices, as a laptop does by itself.
set -euo pipefail

jar="${KITH_JAR:-${HOME}/kith/kith.jar}"
config="${HOME}/.kith/config.yaml"
name="$(sed -n 's/^name:[[:space:]]*//p' "${config}" | head -n 1)"
port="$(sed -n 's/^http-port:[[:space:]]*//p' "${config}" | head -n 1)"
port="${port:-8080}"

# A small heap and a quick JIT: a phone has little memory to spare and a battery to save.
java_opts=(-Xms32m -Xmx192m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=32m
  -Xss512k -XX:+ExitOnOutOfMemoryError -XX:-UsePerfData)
export MALLOC_ARENA_MAX=2

# Android suspends the CPU of an idle phone; the other devices would declare this one dead.
termux-wake-lock
java "${java_opts[@]}" -jar "${jar}" run &
pid=$!
stop() {
  kill -TERM "${pid}" 2>/dev/null || true
  wait "${pid}" || true
  termux-wake-unlock
}
trap stop INT TERM EXIT

report_battery() {
  local status level charging
  status="$(termux-battery-status)" || return 0
  level="$(jq -r '.percentage / 100' <<<"${status}")"
  charging="$(jq -r 'if .plugged == "UNPLUGGED" then "false" else "true" end' <<<"${status}")"
  curl -fsS -m 5 -X PUT -H 'Content-Type: application/json' \
    -d "{\"level\":${level},\"charging\":${charging}}" \
    "http://127.0.0.1:${port}/api/mesh/devices/${name}/power" >/dev/null || true
}

until curl -fsS -m 2 "http://127.0.0.1:${port}/ready" >/dev/null 2>&1; do
  kill -0 "${pid}" 2>/dev/null || exit 1
  sleep 2
done
while kill -0 "${pid}" 2>/dev/null; do
  report_battery
  sleep 60
done
