#!/usr/bin/env bash
# `make demo`: starts the mock CAMS server on loopback over HTTPS, runs
# examples/update_qrdl.lua against it with test credentials, prints the result, stops the mock.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/5.4}

eval "$(lua5.4 spec/support/mock/run.lua)"
trap 'lua5.4 spec/support/mock/run.lua stop "$MOCK_PREFIX" >/dev/null' EXIT
echo "mock CAMS server: $MOCK_ENDPOINT (CA $MOCK_CA_FILE)"

LUA_PATH="lua/?.lua;lua/?/init.lua;;" LUA_CPATH="$build/?.so;;" \
ALIBABA_CLOUD_ACCESS_KEY_ID=testid ALIBABA_CLOUD_ACCESS_KEY_SECRET=testsecret \
ALIBABA_CLOUD_ENDPOINT="$MOCK_ENDPOINT" CAMS_CA_FILE="$MOCK_CA_FILE" \
  lua5.4 examples/update_qrdl.lua 8615800000000 D9II3DEMO "Hello from lua-cams 👋" SVG
