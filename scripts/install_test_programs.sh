#!/usr/bin/env bash
# Installs the Debian packages whose programs the tests start (chromium, redis-server, tmux),
# when they are missing. Needs root (or sudo) and Debian's apt; the tests that need a missing
# program fail and name its package.
set -euo pipefail
declare -A program_of=([chromium]=chromium [redis-server]=redis-server [tmux]=tmux)
missing=()
for package in "${!program_of[@]}"; do
	command -v "${program_of[$package]}" >/dev/null 2>&1 || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing ${missing[*]} (Debian packages the tests use)"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
