#!/usr/bin/env bash
# Run CollectIQ's main job on Stratus (pipeline/demo.mjs). The demo starts
# `stratus serve` with the CollectIQ stack on free loopback ports and a new
# data directory. It uploads a fixture card image through the HTTP API,
# creates the card, waits for the valuation workflow and shows the valued
# card, printing each step with its duration, then stops the server.
#
# usage: scripts/demo.sh [--build-dir DIR] [--image FILE] [--user NAME] [--keep]
# Needs build/stratus (scripts/setup.sh builds it) and the handlers' npm
# packages (npm ci in pipeline/handlers; scripts/setup.sh runs it).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d pipeline/handlers/node_modules/@aws-sdk/client-dynamodb ]; then
  echo "missing npm packages in pipeline/handlers: run scripts/setup.sh or npm ci there" >&2
  exit 2
fi
exec node pipeline/demo.mjs "$@"
