#!/usr/bin/env bash
# `make k8s-check`: validate deploy/k8s with kubeconform, offline. kubeconform comes from the Go module proxy (into
# var/bin), Kubernetes' schemas from the PyPI package kubernetes-validate (deploy/k8s/schemas.py); the custom
# resources (Strimzi, CloudNativePG, KEDA) are skipped: their schemas cannot be fetched here.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
KUBECONFORM_VERSION=v0.8.0
KUBERNETES_VALIDATE_VERSION=1.37.0
KUBERNETES_VERSION=1.33.0
export UV_PYTHON_DOWNLOADS=never UV_PYTHON_PREFERENCE=only-system
if [ ! -x var/bin/kubeconform ]; then
  command -v go >/dev/null || { echo "k8s-check: needs Go (go install from the Go module proxy)" >&2; exit 1; }
  echo "installing kubeconform $KUBECONFORM_VERSION into var/bin" >&2
  GOBIN="$PWD/var/bin" GOFLAGS=-modcacherw go install "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION"
fi
mapfile -t manifests < <(find deploy/k8s -name '*.yaml' ! -name kustomization.yaml | sort)
uv run --no-project --with "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" --with pyyaml \
  python -m deploy.k8s.schemas "$KUBERNETES_VERSION" var/k8s-schemas "${manifests[@]}"
echo "$KUBERNETES_VERSION" >var/k8s-schemas/kubernetes-version
var/bin/kubeconform -strict -summary -ignore-missing-schemas -kubernetes-version "$KUBERNETES_VERSION" \
  -schema-location "var/k8s-schemas/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
  "${manifests[@]}"
