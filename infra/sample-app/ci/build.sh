#!/usr/bin/env bash
# Commit / Build: package the app.
set -euo pipefail
rm -rf build && mkdir -p build
cp app/*.sh build/
chmod +x build/*.sh
tar -czf "build/sample-app-$(cat VERSION).tar.gz" -C app .
echo "Built build/sample-app-$(cat VERSION).tar.gz"
echo "ferrops-output ARTIFACT=build/sample-app-$(cat VERSION).tar.gz"
