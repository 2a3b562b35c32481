#!/usr/bin/env bash
# Build the Lambda container image from the repository root (the build context).
#
# Usage: deploy/scripts/build.sh [TAG]
#   TAG defaults to the current git commit (with "-dirty" when the work tree has changes).
# Prints the local image name, e.g. pizza-game-lambda:3f2c1ab. Needs Docker with BuildKit.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
image="${IMAGE_NAME:-pizza-game-lambda}"
commit="$(git -C "$repo" rev-parse --short HEAD)"
tag="${1:-$commit$(git -C "$repo" diff --quiet HEAD || echo -dirty)}"

# linux/amd64 matches Architectures: [x86_64] in template.yaml and the wheels pinned in
# deploy/requirements.lock; --provenance=false keeps a single-platform manifest, which Lambda needs.
docker build \
  --platform linux/amd64 \
  --provenance=false \
  --file "$repo/deploy/Dockerfile" \
  --tag "$image:$tag" \
  "$repo"

echo "$image:$tag"
