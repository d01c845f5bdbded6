#!/usr/bin/env bash
# Installs the Debian packages taskprof needs, only those missing. Usage:
#   Scripts/install-deps.sh build     # libdw-dev libelf-dev (the symbolizer), zlib1g-dev (pprof's gzip),
#                                     # libunwind-dev (the unwinder tests' reference)
#   Scripts/install-deps.sh test      # the above plus chromium (HTML report checks), linux-perf (stacks compared with perf),
#                                     # shellcheck and eslint (Scripts/lint.sh), golang-go (`go tool pprof` reads --pprof files),
#                                     # python3-jsonschema (speedscope files checked against the format's schema)
set -euo pipefail
want=(libdw-dev libelf-dev zlib1g-dev libunwind-dev)
if [ "${1:-build}" = "test" ]; then want+=(chromium linux-perf shellcheck eslint golang-go python3-jsonschema); fi
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "error: need root or sudo to install ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
