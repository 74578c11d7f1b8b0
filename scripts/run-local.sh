#!/usr/bin/env bash
# `make run`: the emulator + Aforo stubs in the background, then qbsync in the foreground.
# Settings come from the environment first, then .env (qbsync reads .env itself); Ctrl-C
# stops both processes and ends `make run` without an error.
set -euo pipefail
EMULATOR_PORT=${1:-8096}
BIN=${BIN:-.venv/bin}

setting() {  # NAME: its exported value, else its line in .env
  local name=$1
  if [ -n "${!name:-}" ]; then printf '%s' "${!name}"; return; fi
  [ -f .env ] && sed -n "s/^${name}=//p" .env | tail -1
}

# The Aforo stubs verify the service tokens qbsync signs: same secret as qbsync. qbsync's
# OAuth callback is registered with the emulated app, as on Intuit's keys page.
redirect_uri=$(setting QBSYNC_QUICKBOOKS__REDIRECT_URI || true)
QBSYNC_JWT_SECRET=$(setting QBSYNC_JWT_SECRET) "$BIN/qbo-emulator" --port "$EMULATOR_PORT" \
  --redirect-uri "${redirect_uri:-http://127.0.0.1:8095/api/quickbooks/callback}" &
emulator_pid=$!
stop_emulator() { kill "$emulator_pid" 2>/dev/null || true; wait "$emulator_pid" 2>/dev/null || true; }
trap stop_emulator EXIT
for _ in $(seq 1 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$EMULATOR_PORT") 2>/dev/null && break
  sleep 0.2
done
echo "run: emulator on http://127.0.0.1:$EMULATOR_PORT; starting qbsync (Ctrl-C stops both)"
status=0
"$BIN/qbsync" serve || status=$?
# Ctrl-C (SIGINT) or a polite stop (SIGTERM) is how this is meant to end.
case $status in 130 | 143) status=0 ;; esac
exit "$status"
