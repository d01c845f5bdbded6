#!/usr/bin/env bash
# Regenerates Sources/TaskProfExport/Proto/profile.pb.swift from profile.proto (committed, so a
# build needs neither protoc nor the plugin). Needs Debian's protobuf-compiler and swift-protobuf's
# protoc-gen-swift, built once from the package mirror (about ten minutes):
#   git clone /opt/swift-packages/apple/swift-protobuf.git /tmp/swpb && cd /tmp/swpb
#   git checkout 1.39.0 && swift build -c release --product protoc-gen-swift
#   PROTOC_GEN_SWIFT=/tmp/swpb/.build/release/protoc-gen-swift Scripts/generate-proto.sh
# --check fails when the committed file differs from what the .proto gives (CI of the proto).
set -euo pipefail
cd "$(dirname "$0")/.."
plugin="${PROTOC_GEN_SWIFT:-$(command -v protoc-gen-swift || true)}"
[ -x "$plugin" ] || { echo "generate-proto: set PROTOC_GEN_SWIFT to swift-protobuf's protoc-gen-swift (see this script's header)" >&2; exit 2; }
command -v protoc >/dev/null || { echo "generate-proto: protoc missing: apt-get install protobuf-compiler" >&2; exit 2; }
dir=Sources/TaskProfExport/Proto
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
protoc --plugin=protoc-gen-swift="$plugin" --swift_opt=Visibility=Internal --swift_out="$out" -I "$dir" "$dir/profile.proto"
if [ "${1:-}" = "--check" ]; then
  diff -u "$dir/profile.pb.swift" "$out/profile.pb.swift" && echo "generate-proto: up to date"
else
  cp "$out/profile.pb.swift" "$dir/profile.pb.swift"
  echo "generate-proto: wrote $dir/profile.pb.swift"
fi
