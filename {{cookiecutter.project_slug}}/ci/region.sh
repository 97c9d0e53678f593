#!/usr/bin/env bash
# The AWS region of a stack, from its own config: the region is written once per stack.
#   ci/region.sh ENV         infra/Pulumi.ENV.yaml (an environment)
#   ci/region.sh bootstrap   infra/bootstrap/Pulumi.shared.yaml (image registry, CI roles)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
case "${1:?usage: ci/region.sh ENV|bootstrap}" in
    bootstrap) config="$root/infra/bootstrap/Pulumi.shared.yaml" ;;
    *) config="$root/infra/Pulumi.$1.yaml" ;;
esac
[[ -f "$config" ]] || { echo "error: no stack config $config" >&2; exit 1; }
region="$(sed -n 's/^  aws:region: *//p' "$config")"
[[ -n "$region" ]] || { echo "error: $config sets no aws:region" >&2; exit 1; }
printf '%s\n' "$region"
