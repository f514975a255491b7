#!/usr/bin/env bash
# Publish: the release step. Here it records the release next to the build.
set -euo pipefail
version=$(cat VERSION)
mkdir -p releases
cp "build/sample-app-$version.tar.gz" releases/
echo "Published sample-app $version"
echo "ferrops-output VERSION=$version"
