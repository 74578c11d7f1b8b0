#!/usr/bin/env bash
# Makes sure Debian's chromium is installed for the console's browser tests (Playwright drives
# it with executable_path; Playwright's own browser download is not used). Fast when present.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then exit 0; fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "ensure-browser: installing chromium from Debian packages"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
