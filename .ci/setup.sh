#!/usr/bin/env bash
# Installs the Debian (bookworm) packages entact needs to build and test.
# A no-op when all are present; safe to run again. Runs apt-get directly as
# root, through sudo otherwise.
#
# What find_package needs, and where it comes from:
#   CAF 0.17 (core, io)   libcaf-dev  (cmake/FindCAF.cmake; not libcaf_openssl)
#   RocksDB 7             librocksdb-dev (pulls its compression -dev packages)
#   Boost.Test 1.74       libboost-test-dev (BoostConfig.cmake)
#   Threads, sanitizers   g++ (libasan/libubsan come with libgcc-12-dev)
#   fuzzing (fuzz/)       clang, libclang-rt-14-dev (libFuzzer and clang's
#                         sanitizer runtimes: -fsanitize=fuzzer,address,...)
#   cpp-httplib 0.11      libcpp-httplib-dev (cmake/Findhttplib.cmake, through
#                         pkg-config: the HTTP gateway, http/, and its tests)
#   nlohmann-json 3       nlohmann-json3-dev (the HTTP gateway's JSON bodies)
#   pkg-config            pkg-config (reads cpp-httplib's build flags)
#   OpenSSL 3             libssl-dev (TLS in the frame guard and the client)
#   the openssl CLI       openssl (test_remote_tls makes throwaway certificates)
#   ZooKeeper C client    libzookeeper-mt-dev (cluster/: membership, shard map)
#   ZooKeeper server      zookeeper, default-jre-headless (the cluster tests
#                         start their own server as a child process)
set -euo pipefail

packages=(g++ cmake make libcaf-dev librocksdb-dev libboost-test-dev
          # The libFuzzer targets of fuzz/ (ENTACT_FUZZ=ON) build with clang.
          clang libclang-rt-14-dev
          libcpp-httplib-dev nlohmann-json3-dev pkg-config)
# GET /metrics: prometheus-cpp's core (registry, text format) for the HTTP
# gateway (http/); its CMake package pulls civetweb, curl and zlib -dev.
packages+=(prometheus-cpp-dev)
# TLS: OpenSSL's headers for the build, its CLI for the tests' certificates.
packages+=(libssl-dev openssl)
# The cluster (cluster/, issue 12) keeps membership and the shard map in
# ZooKeeper: sessions with server-side expiry, ephemeral nodes and one-shot
# watches are exactly membership and fencing, and the multi-threaded C
# client keeps the session alive itself (etcd 3.4 would mean hand-written
# lease keep-alives and watch-stream parsing over its JSON gateway). The
# tests run Debian's server jar on a JRE.
packages+=(libzookeeper-mt-dev zookeeper default-jre-headless)
# The browser console's test (test_http_console) runs Debian's chromium
# headless, driven by playwright-core from npm (tests/browser/, installed
# below with npm ci): no test tool's own browser download, which this
# machine's closed network refuses.
packages+=(chromium)

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  echo "setup: needs a Debian bookworm system (apt-get, dpkg-query)." >&2
  echo "setup: elsewhere, install the equivalents of: ${packages[*]}" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done

if ((${#missing[@]} > 0)); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "setup: not root and no sudo; as root, run: apt-get install ${missing[*]}" >&2
      exit 1
    fi
    sudo_cmd=(sudo)
  fi
  apt_get=(${sudo_cmd[@]+"${sudo_cmd[@]}"} env DEBIAN_FRONTEND=noninteractive
           apt-get -o Acquire::Retries=3)
  "${apt_get[@]}" update -qq
  "${apt_get[@]}" install -y -qq --no-install-recommends "${missing[@]}"
fi

# The browser test's driver: playwright-core, pinned by
# tests/browser/package-lock.json, with the machine's Node.js (20 or later:
# bookworm's own nodejs is 18, too old for it). `npm ci` again only when
# the lock file is newer than what is installed.
browser_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../tests/browser" && pwd)"
if ! command -v npm >/dev/null 2>&1 \
   || (( $(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0) < 20 )); then
  echo "setup: the browser test needs Node.js 20 or later with npm" >&2
  exit 1
fi
installed_lock="$browser_dir/node_modules/.package-lock.json"
if [[ ! -f "$installed_lock" || "$browser_dir/package-lock.json" -nt "$installed_lock" ]]; then
  echo "setup: npm ci in tests/browser (playwright-core)"
  (cd "$browser_dir" && npm ci --no-audit --no-fund)
fi
