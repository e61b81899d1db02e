#!/usr/bin/env bash
# Debian packages the production tests need: PostgreSQL (a throwaway cluster per test file),
# docker-compose (validates docker-compose.yml; no Docker engine needed), openssl (test CA) and
# Chromium with its fonts (the HTML report is opened headless; playwright-core drives it).
# Installs only what is missing; fails with the reason when it cannot.
set -euo pipefail

missing=()
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
  missing+=(postgresql)
fi
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v runuser >/dev/null 2>&1 || missing+=(util-linux)
[ -x /usr/bin/chromium ] || missing+=(chromium fonts-liberation)

if [ "${#missing[@]}" -eq 0 ]; then
  echo "system packages: postgresql, docker-compose, openssl, chromium present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "system packages missing (${missing[*]}) and not root: install them with apt-get as root" >&2
  exit 1
fi
echo "system packages: installing ${missing[*]}"
# The tests start their own clusters; Debian's default "main" cluster would only take port 5432.
mkdir -p /etc/postgresql-common
if [ ! -f /etc/postgresql-common/createcluster.conf ]; then
  echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.conf
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "system packages: installed ${missing[*]}"
