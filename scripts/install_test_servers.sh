#!/usr/bin/env bash
# Install the Debian packages named as arguments (redis-server, nginx, wrk)
# when their commands are missing. Needs root and apt-get; elsewhere it says
# what is missing, and the tests that need it skip (except under CI, where
# they fail) while make bench falls back to its own load generator.
set -euo pipefail

missing=()
for package in "$@"; do
    command -v "$package" >/dev/null 2>&1 || [ -x "/usr/sbin/$package" ] \
        || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "note: ${missing[*]} not installed (installing needs root and apt-get)" >&2
    exit 0
fi
echo "installing ${missing[*]}" >&2
apt-get update -qq
# Install only: the tests and the benchmark start their own servers.
DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
