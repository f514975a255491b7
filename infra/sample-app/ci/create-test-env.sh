#!/usr/bin/env bash
# Acceptance / CreateTestEnvironment: a fresh directory with the built app in it.
set -euo pipefail
rm -rf .test-env && mkdir -p .test-env
tar -xzf "build/sample-app-$(cat VERSION).tar.gz" -C .test-env
echo "Test environment ready in $(pwd)/.test-env"
