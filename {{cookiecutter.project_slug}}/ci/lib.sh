# shellcheck shell=bash
# Shared by the pipeline scripts in ci/. Sourced, not run.
# The scripts are the same for GitHub Actions and GitLab CI: the pipeline files only say
# when each one runs, so both providers deploy in exactly the same way.
set -euo pipefail
# Command substitutions stop at a failure too: config="$(stack_config ...)" must not go on
# with a copy that lacks the image when `pulumi config set` fails.
shopt -s inherit_errexit

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
# The image scanner, pinned: a scanner that changes under you can fail or pass builds at random.
TRIVY_IMAGE="${TRIVY_IMAGE:-aquasec/trivy:0.69.3}"

log() { printf '\n==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# require VAR...: stop with the name of the first variable that is not set.
require() {
    local name
    for name in "$@"; do
        [[ -n "${!name:-}" ]] || die "$name is not set. See README.md, 'Continuous delivery: one-time setup'."
    done
}

# environments: the environments in promotion order, one per line (project.yaml).
environments() { uv run --no-sync epa facts environments; }

check_environment() {
    local env known
    known="$(environments)"
    while read -r env; do [[ "$1" == "$env" ]] && return 0; done <<<"$known"
    die "unknown environment '$1': use one of $(tr '\n' ' ' <<<"$known")"
}

# stack ENV: the stack's name for the CLI. With Pulumi Cloud and an organisation token
# (PULUMI_ORG set), names are written in full: organisation/project/stack.
stack() {
    if [[ -n "${PULUMI_ORG:-}" ]]; then
        printf '%s/%s/%s\n' "$PULUMI_ORG" "$(sed -n 's/^name: *//p' "$ROOT/infra/Pulumi.yaml")" "$1"
    else
        printf '%s\n' "$1"
    fi
}

# stack_output ENV NAME: a stack output, or nothing when the stack has none yet (never
# deployed). Any other failure (no login, no such stack) stops the script: an empty image
# must mean "never deployed", never "could not ask", or a deploy would skip its rollback.
stack_output() {
    local outputs
    outputs="$(pulumi stack output --json --stack "$(stack "$1")" --cwd "$ROOT/infra")"
    python3 -c 'import json, sys; print(json.loads(sys.argv[1]).get(sys.argv[2]) or "")' \
        "$outputs" "$2"
}

# repository_name IMAGE: the ECR repository of an image reference or of the registry
# address itself (<registry>/<name>[@sha256:<digest>]).
repository_name() {
    local without_digest="${1%@*}"
    printf '%s\n' "${without_digest#*/}"
}

# stack_config ENV IMAGE: print the path of a copy of infra/Pulumi.ENV.yaml with `image`
# set. The pipeline passes the image it built at deploy time; working on a copy keeps the
# committed stack file free of digests (and your working tree clean after `make deploy`).
# An empty IMAGE keeps what the environment runs now, so a preview shows only the
# infrastructure changes.
stack_config() {
    local env="$1" image="$2" copy
    [[ -n "$image" ]] || image="$(stack_output "$env" image)"
    mkdir -p "$ROOT/build/stack-config"
    copy="$ROOT/build/stack-config/Pulumi.$env.yaml"
    cp "$ROOT/infra/Pulumi.$env.yaml" "$copy"
    if [[ -n "$image" ]]; then
        pulumi config set image "$image" --stack "$(stack "$env")" --cwd "$ROOT/infra" --config-file "$copy"
    fi
    printf '%s\n' "$copy"
}

# policy_args: the policy pack runs on every preview and update; it holds each stack
# to the tier project.yaml gives it (read from the resources' URNs).
policy_args() {
    printf '%s\n' --policy-pack "$ROOT/infra/policy"
}
