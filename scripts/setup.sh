#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian machine: system packages that are missing,
# then the virtualenv from pyproject.toml pinned by constraints.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
dpkg -s libmariadb-dev >/dev/null 2>&1 || need+=(libmariadb-dev)
dpkg -s pkg-config >/dev/null 2>&1 || need+=(pkg-config)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v msgfmt >/dev/null 2>&1 || need+=(gettext)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need+=(fonts-noto-cjk)
# The monthly report PDF embeds a TrueType Hangul font (fpdf2 cannot extract text from the CFF
# fonts in Noto CJK reliably).
dpkg -s fonts-nanum >/dev/null 2>&1 || need+=(fonts-nanum)
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing system packages: ${need[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv"
  python3.11 -m venv .venv
fi
.venv/bin/pip install -q --upgrade pip
echo "== installing Python packages (pinned by constraints.txt)"
.venv/bin/pip install -q -c constraints.txt -e '.[dev]'
if [ -f package.json ]; then
  echo "== installing front-end packages from the npm registry"
  npm ci --no-audit --no-fund --silent
fi
.venv/bin/python manage.py compilemessages -v0 --ignore=.venv --ignore=node_modules
