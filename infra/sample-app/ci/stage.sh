#!/usr/bin/env bash
# Commit / StageSource: the runner has unpacked the source here; report what arrived.
set -euo pipefail
files=$(find . -type f -not -path './build/*' | wc -l | tr -d ' ')
echo "Staged $files files of version $(cat VERSION) in $(pwd)"
echo "ferrops-output STAGED_FILES=$files"
