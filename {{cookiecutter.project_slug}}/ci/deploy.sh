#!/usr/bin/env bash
# Deploy one environment with the image built earlier in this pipeline:
#   1. database migrations, as a one-off task with the new image (before it takes traffic)
#   2. pulumi up, with the policy pack
#   3. smoke test: /version must report this commit; if not, roll back to the previous image
#   4. prod only: tag the image `prod-<time>`, so the registry keeps it
#   5. inspection of the deployed environment (reports/inspection/: evidence for the EPA)
#
# Usage: ci/deploy.sh ENV        with IMAGE and COMMIT from build/image.env
#        ci/deploy.sh prod --promote-from staging
#            (gitflow) deploy the image staging runs, after checking it was built from
#            exactly the files of this commit: prod only ever runs what staging tested.
# Needs AWS credentials of the environment's deploy role and a Pulumi login.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

env="${1:-}"
check_environment "$env"
promote_from=""
case "${2:-}" in
    "") ;;
    --promote-from)
        promote_from="${3:-}"
        check_environment "$promote_from"
        ;;
    *) die "unknown option '$2' (use --promote-from ENV)" ;;
esac
require AWS_REGION
cd "$ROOT"

# The commit an image was built from, or nothing: its registry tag is the commit SHA (or
# <sha>-patch-<run> for a weekly refresh build).
image_commit() {
    aws ecr describe-images --region "$AWS_REGION" --repository-name "$(repository_name "$1")" \
        --image-ids "imageDigest=${1#*@}" --query 'imageDetails[0].imageTags' --output text |
        tr -s '\t ' '\n' | grep -oE '^[0-9a-f]{40}' | head -n 1 || true
}

if [[ -n "$promote_from" ]]; then
    IMAGE="$(stack_output "$promote_from" image)"
    [[ "$IMAGE" == *@sha256:* ]] || die "$promote_from runs no image built by the pipeline yet: deploy it first"
    COMMIT="$(image_commit "$IMAGE")"
    [[ -n "$COMMIT" ]] || die "cannot tell which commit $IMAGE was built from (no commit tag)"
    git cat-file -e "$COMMIT^{commit}" 2>/dev/null ||
        die "commit $COMMIT (what $promote_from runs) is not in this clone: check out with full history"
    if [[ "$(git rev-parse "$COMMIT^{tree}")" != "$(git rev-parse 'HEAD^{tree}')" ]]; then
        die "the files of $(git rev-parse --short HEAD) differ from what $promote_from runs ($COMMIT). Deploy them to $promote_from first, from a branch that deploys it (project.yaml)."
    fi
    log "Promoting what $promote_from runs: $IMAGE, built from $COMMIT (same files as this commit)"
fi
require IMAGE COMMIT

previous="$(stack_output "$env" image)"
cluster="$(stack_output "$env" cluster_name)"
service="$(stack_output "$env" service_name)"
mapfile -t policy < <(policy_args)

migrate() {
    log "Migrating the $env database with $IMAGE"
    uv run --no-sync epa migrate --region "$AWS_REGION" \
        --cluster "$1" --service "$2" --image "$IMAGE" --started-by "$(started_by)"
}
started_by() { printf 'deploy-%s\n' "${COMMIT:0:12}"; }

update() {
    local image="$1" message="$2" config
    config="$(stack_config "$env" "$image")"
    log "pulumi up $env: $message"
    pulumi up --stack "$(stack "$env")" --cwd infra --config-file "$config" --yes \
        --message "$message" "${policy[@]}"
}

# Migrations go first, so the new version never meets an old schema. They must keep the
# previous version working too (add columns before using them, drop them a release
# later): a rollback below changes the image, not the database.
migrated=false
if [[ -n "$cluster" && -n "$service" ]]; then
    status=0
    migrate "$cluster" "$service" || status=$?
    case "$status" in
        0) migrated=true ;;
        3) log "The service does not exist yet: migrations run after pulumi up" ;;
        *) die "the migrations failed (exit $status): nothing was deployed" ;;
    esac
fi

update "$IMAGE" "Deploy $COMMIT"

if ! $migrated; then
    # First deploy of this environment: the database and the service exist only now.
    migrate "$(stack_output "$env" cluster_name)" "$(stack_output "$env" service_name)"
fi

url="$(stack_output "$env" url)"
log "Smoke test of $url"
if ! uv run --no-sync epa smoke --url "$url" --commit "$COMMIT"; then
    if [[ -n "$previous" && "$previous" != "$IMAGE" ]]; then
        log "Smoke test failed: rolling $env back to $previous"
        update "$previous" "Roll back: $COMMIT failed its smoke test"
        die "$env failed its smoke test and was rolled back to $previous"
    fi
    die "$env failed its smoke test (no earlier image to roll back to)"
fi

# The registry keeps the images prod ran (lifecycle rule for `prod-` tags), so prod can
# always start new tasks and roll back, however many builds follow.
if [[ "$env" == prod ]]; then
    tag="prod-$(date -u +%Y%m%dT%H%M%SZ)"
    log "Tagging $IMAGE as $tag"
    repository="$(repository_name "$IMAGE")"
    manifest="$(aws ecr batch-get-image --region "$AWS_REGION" --repository-name "$repository" \
        --image-ids "imageDigest=${IMAGE#*@}" --query 'images[0].imageManifest' --output text)"
    aws ecr put-image --region "$AWS_REGION" --repository-name "$repository" \
        --image-tag "$tag" --image-manifest "$manifest" >/dev/null
fi

# What the pipeline reports: the environment's address, the image and its commit.
printf 'url=%s\nIMAGE=%s\nCOMMIT=%s\n' "$url" "$IMAGE" "$COMMIT" >"$ROOT/build/deploy.env"
log "Inspecting $env"
make --no-print-directory inspect ENV="$env" REGION="$AWS_REGION"
