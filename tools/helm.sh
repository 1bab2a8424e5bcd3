#!/usr/bin/env bash
# Print the path of the pinned helm, building it first with `go install` from the Go module proxy if it is not cached.
#   bash tools/helm.sh            -> /root/.cache/pitwall/helm/v3.21.4/helm
# tests/deploy/test_helm.py looks in the same place (or PITWALL_HELM).
set -euo pipefail

HELM_VERSION=v3.21.4
dir="${PITWALL_TOOLS_CACHE:-$HOME/.cache/pitwall}/helm/$HELM_VERSION"
if [ ! -x "$dir/helm" ]; then
  go=$(command -v go || echo /usr/local/go/bin/go)
  [ -x "$go" ] || { echo "tools/helm.sh: Go is needed to build helm (go install)" >&2; exit 1; }
  mkdir -p "$dir"
  echo "tools/helm.sh: building helm $HELM_VERSION (a few minutes, once)" >&2
  GOBIN="$dir" GOFLAGS=-mod=mod "$go" install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >&2
fi
echo "$dir/helm"
