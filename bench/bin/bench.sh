#!/usr/bin/env bash
# Runs the benchmark with as many open files as this machine allows each process
# (every idle connection costs the server one file descriptor).
set -euo pipefail
ulimit -Hn 1048576 2>/dev/null || true
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
cd "$(dirname "$0")/.."
exec node dist/main.js "$@"
