#!/usr/bin/env bash
# Show what a change would do to an environment, with the policy pack, changing nothing.
# The image stays the one the environment runs now, so only infrastructure changes show.
#
# Usage: ci/preview.sh ENV              the diff, for people (make preview ENV=...)
#        ci/preview.sh ENV --json FILE  the preview as JSON, for the pipeline's summary
#        ci/preview.sh ENV --drift      fail if the environment differs from the code:
#                                       refresh from AWS first, then expect no changes
# Needs AWS credentials (the read-only preview role is enough) and a Pulumi login.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

env="${1:-}"
check_environment "$env"
config="$(stack_config "$env" "")"
mapfile -t policy < <(policy_args "$env")
args=(preview --stack "$(stack "$env")" --cwd "$ROOT/infra" --config-file "$config" "${policy[@]}")

case "${2:-}" in
    "") exec pulumi "${args[@]}" --diff ;;
    --json)
        output="${3:?--json needs a file name}"
        mkdir -p "$(dirname "$output")"
        # Keep the JSON even when the preview fails (a policy violation, say): the summary
        # reports why, instead of a missing environment.
        status=0
        pulumi "${args[@]}" --json >"$output" || status=$?
        exit "$status"
        ;;
    --drift)
        # Someone changed the environment outside the pipeline (the console, the CLI),
        # or a resource changed on its own: the next deploy would silently undo it.
        exec pulumi "${args[@]}" --refresh --expect-no-changes --diff
        ;;
    *) die "unknown option '$2' (use --json FILE or --drift)" ;;
esac
