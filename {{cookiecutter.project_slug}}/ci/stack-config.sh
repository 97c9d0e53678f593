#!/usr/bin/env bash
# Print the path of ENV's stack config with `image` set, for `pulumi up --config-file`.
# Usage: ci/stack-config.sh ENV [IMAGE]   (no IMAGE: keep the image ENV runs now)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
check_environment "${1:-}"
stack_config "$1" "${2:-}"
