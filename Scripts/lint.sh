#!/usr/bin/env bash
# Lint, run by `make test` (so CI runs it): Swift by swift-format (.swift-format; fix with
# `swift format format -i -r Sources Tests Package.swift`), the shell scripts by shellcheck, the
# report pages' scripts by eslint (Sources/TaskProfReports/Web/.eslintrc.json). The C targets are
# built with -Wall -Wextra -Werror (Package.swift). Exits non-zero on any finding.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
status=0

echo "lint: swift format"
# Generated code (profile.pb.swift, Scripts/generate-proto.sh) is protoc's, not ours to format.
mapfile -t swift_files < <(find Sources Tests -name '*.swift' ! -name '*.pb.swift' | sort)
if ! swift format lint --strict "${swift_files[@]}" Package.swift; then status=1; fi

echo "lint: shellcheck"
if ! shellcheck Scripts/*.sh Tests/browser/*.sh .ci/run; then status=1; fi

echo "lint: eslint"
# Debian's eslint keeps its modules under /usr/share/nodejs, which a Node.js from elsewhere
# (NodeSource's, on some machines) does not search by itself.
if ! NODE_PATH=/usr/share/nodejs:/usr/lib/nodejs eslint Sources/TaskProfReports/Web/*.js; then status=1; fi

[ "$status" -eq 0 ] && echo "lint: clean"
exit "$status"
