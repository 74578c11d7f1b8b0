#!/usr/bin/env bash
# Writes a local .env for `make run` when there is none: fresh secrets, and every external
# endpoint pointed at the bundled emulator and Aforo stubs, so no Intuit account is needed.
# With DB_NAME set (`make run DB_NAME=x`), an existing .env is pointed at that database.
set -euo pipefail
ENV_FILE=${1:-.env}
EMULATOR_PORT=${EMULATOR_PORT:-8096}
DB_URL="postgresql+asyncpg://postgres@127.0.0.1:5432/${DB_NAME:-qbsync}"
if [ -f "$ENV_FILE" ]; then
  if [ -n "${DB_NAME:-}" ]; then
    if grep -q '^QBSYNC_DB__URL=' "$ENV_FILE"; then
      sed -i -E "s#^QBSYNC_DB__URL=(.*/)[^/?]*#QBSYNC_DB__URL=\\1${DB_NAME}#" "$ENV_FILE"
    else
      echo "QBSYNC_DB__URL=${DB_URL}" >> "$ENV_FILE"
    fi
    echo "dev-env: $ENV_FILE points at database ${DB_NAME}"
  fi
  exit 0
fi
PY=${PYTHON:-.venv/bin/python}
jwt_secret=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(48))')
fernet_key=$("$PY" -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')
emu="http://127.0.0.1:${EMULATOR_PORT}"
cat > "$ENV_FILE" <<ENV
# Written by scripts/dev-env.sh for local use; see the settings table in README.md.
# Exported QBSYNC_* variables take precedence over these lines.
QBSYNC_JWT_SECRET=${jwt_secret}
QBSYNC_TOKEN_ENCRYPTION_KEYS=${fernet_key}
QBSYNC_DB__URL=${DB_URL}
QBSYNC_AMQP__URL=amqp://guest:guest@127.0.0.1:5672/
QBSYNC_QUICKBOOKS__ENVIRONMENT=sandbox
QBSYNC_QUICKBOOKS__CLIENT_ID=emulator-client-id
QBSYNC_QUICKBOOKS__CLIENT_SECRET=emulator-client-secret
QBSYNC_QUICKBOOKS__REDIRECT_URI=http://127.0.0.1:8095/api/quickbooks/callback
QBSYNC_QUICKBOOKS__AUTHORIZE_URL=${emu}/connect/oauth2
QBSYNC_QUICKBOOKS__TOKEN_URL=${emu}/oauth2/v1/tokens/bearer
QBSYNC_QUICKBOOKS__REVOKE_URL=${emu}/v2/oauth2/tokens/revoke
QBSYNC_QUICKBOOKS__API_BASE_URL=${emu}/sandbox
QBSYNC_AFORO__ORG_URL=${emu}
QBSYNC_AFORO__METERING_URL=${emu}
QBSYNC_AFORO__PAYMENT_URL=${emu}
QBSYNC_AFORO__RATEPLAN_URL=${emu}
ENV
echo "dev-env: wrote $ENV_FILE (emulator at ${emu}, database ${DB_NAME:-qbsync})"
