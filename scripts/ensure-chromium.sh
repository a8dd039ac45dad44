#!/usr/bin/env bash
# The dashboard's end-to-end test drives Debian's Chromium (/usr/bin/chromium) with
# playwright-core, which never downloads a browser of its own. This installs the package when
# it is missing, so that `npm test` needs nothing done by hand on a fresh Debian machine.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
echo "Installing Debian's chromium package for the dashboard test (once per machine) …"
if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "Chromium is missing and this user cannot install it: run 'sudo apt-get install -y chromium' once." >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq chromium >/dev/null
echo "Chromium installed: $(/usr/bin/chromium --version)"
