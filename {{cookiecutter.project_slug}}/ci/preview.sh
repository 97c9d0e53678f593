#!/usr/bin/env bash
# Show what a change would do to an environment, with the policy pack, changing nothing.
# The image stays the one the environment runs now, so only infrastructure changes show.
#
# Usage: ci/preview.sh ENV              the diff, for people (make preview ENV=...)
#        ci/preview.sh ENV --json FILE  the preview as JSON, for the pipeline's summary
#        ci/preview.sh ENV --drift      fail if AWS differs from the last deploy (drift)
# Needs AWS credentials (the read-only preview role is enough) and a Pulumi login.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

env="${1:-}"
check_environment "$env"

if [[ "${2:-}" == "--drift" ]]; then
    # Drift: someone changed the environment outside the pipeline (the console, the CLI),
    # or a resource changed by itself; the next deploy would silently undo it. A refresh
    # preview compares Pulumi's record of the last deploy with what AWS has now and
    # changes nothing. It does not run the program, so each environment is checked
    # against its own last deploy, whichever branch this runs on.
    exec pulumi refresh --stack "$(stack "$env")" --cwd "$ROOT/infra" --preview-only \
        --expect-no-changes --diff
fi

config="$(stack_config "$env" "")"
mapfile -t policy < <(policy_args)
args=(preview --stack "$(stack "$env")" --cwd "$ROOT/infra" --config-file "$config" "${policy[@]}")

case "${2:-}" in
    "") exec pulumi "${args[@]}" --diff ;;
    --json)
        output="${3:?--json needs a file name}"
        mkdir -p "$(dirname "$output")"
        # Keep the JSON even when the preview fails (a policy violation, say), and its exit
        # code beside it: the summary then says why, never "no changes". The streaming form
        # of the JSON is the one that includes the policy pack's findings.
        status=0
        PULUMI_ENABLE_STREAMING_JSON_PREVIEW=true pulumi "${args[@]}" --json >"$output" || status=$?
        printf '%s\n' "$status" >"${output%.json}.exitcode"
        exit "$status"
        ;;
    *) die "unknown option '$2' (use --json FILE or --drift)" ;;
esac
