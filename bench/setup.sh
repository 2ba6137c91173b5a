#!/usr/bin/env bash
# Part of `make bench`: installs what the optional parts need (valgrind for allocation
# counts; Node.js, npm and the official Alibaba Cloud SDK for the comparison). Nothing
# here is fatal: bench/run.lua leaves out, with a message, whatever is still missing.
set -u
cd "$(dirname "$0")"

missing=()
command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench: installing ${missing[*]}"
  sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
  { $sudo apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
    >/dev/null 2>&1 || echo "bench: could not install ${missing[*]}"
fi

if command -v npm >/dev/null 2>&1; then
  if [ ! -d node_modules/@alicloud/cams20200606 ]; then
    echo "bench: installing the Node SDK into bench/node_modules"
    npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1 ||
      echo "bench: npm could not install the Node SDK (no registry access?)"
  fi
fi
exit 0
