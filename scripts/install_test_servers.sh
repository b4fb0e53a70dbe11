#!/usr/bin/env bash
# Install the servers the tests run for real (Redis, nginx) when missing.
# Needs root and apt-get (Debian, Ubuntu). Elsewhere it says what is missing;
# the tests that need it then skip, except under CI, where they fail.
set -euo pipefail

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "note: ${missing[*]} not installed (needs root and apt-get);" \
        "the tests that run them will skip" >&2
    exit 0
fi
echo "installing ${missing[*]} for the tests" >&2
apt-get update -qq
# Install only: the tests start their own throwaway servers.
RUNLEVEL=1 DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
