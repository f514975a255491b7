#!/usr/bin/env bash
# Greets whoever is named, or the world.
set -euo pipefail
echo "Hello, ${1:-world}!"
