#!/usr/bin/env bash
# `make run`: the emulator + Aforo stubs in the background, then qbsync in the foreground.
set -euo pipefail
EMULATOR_PORT=${1:-8096}
BIN=.venv/bin
set -a; . ./.env; set +a
"$BIN/qbo-emulator" --port "$EMULATOR_PORT" &
emulator_pid=$!
trap 'kill $emulator_pid 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$EMULATOR_PORT") 2>/dev/null && break
  sleep 0.2
done
echo "run: emulator on http://127.0.0.1:$EMULATOR_PORT, qbsync on http://127.0.0.1:8095"
"$BIN/qbsync" serve
