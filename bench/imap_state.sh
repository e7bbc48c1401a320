#!/usr/bin/env bash
# The IMAP state-model test run long (issue 9 target: 0 inconsistencies in 10 minutes with 50
# sessions): tests/integration/imap_state.py against a fresh kurier.
# Usage: bench/imap_state.sh [SESSIONS] [SECONDS] [SEED]
source "$(dirname "$0")/common.sh"
sessions="${1:-50}"; seconds="${2:-600}"; seed="${3:-}"
here="$(dirname "$0")"

build_kurier
start_kurier
trap 'stop_kurier' EXIT
python3 "$here/../tests/integration/imap_state.py" 127.0.0.1 $((KURIER_OFFSET + 143)) \
  "user1@example.test" "$KURIER_PASSWORD" --sessions "$sessions" --seconds "$seconds" ${seed:+--seed "$seed"}
