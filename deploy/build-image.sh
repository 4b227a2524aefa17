#!/usr/bin/env bash
# Builds the device image (kith:dev) from deploy/target/kith.jar.
#
# Maven runs this in the deploy module's pre-integration-test phase. Without a reachable
# Docker engine it skips (exit 0), so `mvn verify` works on a machine without Docker;
# with KITH_REQUIRE_DOCKER=true (CI) a missing engine is an error instead.
#
# Environment:
#   KITH_BASE_IMAGE      base image (default eclipse-temurin:17-jre; CI uses kith-base:local)
#   KITH_IMAGE           tag to build (default kith:dev)
#   KITH_REQUIRE_DOCKER  true: fail when no engine is reachable
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

image="${KITH_IMAGE:-kith:dev}"
base="${KITH_BASE_IMAGE:-eclipse-temurin:17-jre}"
jar="target/kith.jar"

if ! command -v docker >/dev/null 2>&1 || ! docker info >/dev/null 2>&1; then
  if [[ "${KITH_REQUIRE_DOCKER:-false}" == "true" ]]; then
    echo "build-image.sh: ERROR: no Docker engine is reachable ('docker info' fails)," \
      "and KITH_REQUIRE_DOCKER=true. Start dockerd (see docs/ci.md) or unset KITH_REQUIRE_DOCKER." >&2
    exit 1
  fi
  echo "build-image.sh: no Docker engine reachable; skipping the build of ${image}."
  exit 0
fi

if [[ ! -f "${jar}" ]]; then
  echo "build-image.sh: ERROR: ${PWD}/${jar} is missing; run 'mvn package' first." >&2
  exit 1
fi

# The classic builder never pulls an image that is already present locally, so a local
# base (kith-base:local) is used as is. `docker build` in a new CLI without the buildx
# plugin refuses to run unless the classic builder is asked for, so ask for it then.
if ! docker buildx version >/dev/null 2>&1; then
  export DOCKER_BUILDKIT=0
fi

echo "build-image.sh: building ${image} from ${base}"
start=${SECONDS}
docker build --pull=false \
  --build-arg "BASE_IMAGE=${base}" \
  --tag "${image}" \
  --file Dockerfile \
  .
echo "build-image.sh: built ${image} in $((SECONDS - start)) s"
