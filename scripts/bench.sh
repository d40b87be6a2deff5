#!/usr/bin/env bash
# Moon vs Redis, side by side: builds Moon in release, then runs
# scripts/bench.py (see its --help). Both servers are pinned to the same
# core; redis-benchmark runs on another.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p moon-server --bin moon
exec python3 scripts/bench.py --moon target/release/moon "$@"
