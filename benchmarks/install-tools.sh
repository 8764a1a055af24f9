#!/usr/bin/env bash
# What the benchmark needs beyond the template's development environment: wrk, from Debian's
# packages. (taskset comes with util-linux; without it the benchmark runs unpinned and says so.)
set -euo pipefail
if ! command -v wrk >/dev/null 2>&1; then
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq wrk >/dev/null
fi
wrk --version 2>&1 | head -n 1 || true
