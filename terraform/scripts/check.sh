#!/usr/bin/env bash
# Offline checks of every module and stack: fmt, validate, terraform test (mock provider, no AWS).
# Needs a CLI configuration that can install hashicorp/aws (e.g. a filesystem mirror) in TF_CLI_CONFIG_FILE,
# or network access to the registry.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data_root="$(mktemp -d)"
trap 'rm -rf "$data_root"' EXIT

terraform fmt -check -recursive "$root"
echo "fmt: ok"

status=0
for dir in "$root"/modules/* "$root"/stacks/*; do
  name="${dir#"$root"/}"
  export TF_DATA_DIR="$data_root/${name//\//-}"
  terraform -chdir="$dir" init -backend=false -input=false -no-color >/dev/null
  terraform -chdir="$dir" validate -no-color >/dev/null
  if [ -d "$dir/tests" ]; then
    start=$SECONDS
    if out="$(terraform -chdir="$dir" test -no-color 2>&1)"; then
      echo "$name: $(tail -n 1 <<<"$out") ($((SECONDS - start))s)"
    else
      echo "$out"
      echo "$name: FAILED"
      status=1
    fi
  else
    echo "$name: validate ok (no tests)"
  fi
done
exit "$status"
