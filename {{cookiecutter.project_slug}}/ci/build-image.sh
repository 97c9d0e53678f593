#!/usr/bin/env bash
# Build the app's image once, scan it, and with --push put it in the shared registry.
# Writes build/image.env (IMAGE=<repository>@sha256:<digest>, COMMIT=<sha>): every
# environment deploys that digest, so dev, staging and prod run the same bytes.
#
# Usage: ci/build-image.sh [--push] [--refresh]
#   --push     push to IMAGE_REPOSITORY (needs AWS credentials of the publish role)
#   --refresh  the weekly patch build: pull the base image again and use no cache, so
#              the latest security fixes of the base image are in; tagged <sha>-patch-<RUN_ID>
# Needs COMMIT_SHA; with --push also IMAGE_REPOSITORY and AWS_REGION.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

push=false
refresh=false
for arg in "$@"; do
    case "$arg" in
        --push) push=true ;;
        --refresh) refresh=true ;;
        *) die "unknown option '$arg' (use --push, --refresh)" ;;
    esac
done
require COMMIT_SHA
tag="$COMMIT_SHA"
if $refresh; then
    require RUN_ID
    tag="$COMMIT_SHA-patch-$RUN_ID"
fi
repository="${IMAGE_REPOSITORY:-app}"
mkdir -p "$ROOT/build"

write_image_env() {
    printf 'IMAGE=%s\nCOMMIT=%s\n' "$1" "$COMMIT_SHA" >"$ROOT/build/image.env"
    log "Image: $1"
}

# The registry's digest for a tag, or nothing. ECR tags are immutable, so a tag always
# names the same image.
registry_digest() {
    aws ecr describe-images --region "$AWS_REGION" --repository-name "$(repository_name "$IMAGE_REPOSITORY")" \
        --image-ids "imageTag=$1" --query 'imageDetails[0].imageDigest' --output text 2>/dev/null || true
}

if $push; then
    require IMAGE_REPOSITORY AWS_REGION
    # A re-run of the same pipeline finds the image it already pushed: still built once.
    digest="$(registry_digest "$tag")"
    if [[ "$digest" == sha256:* ]]; then
        log "$tag is already in the registry: reusing it"
        write_image_env "$IMAGE_REPOSITORY@$digest"
        exit 0
    fi
fi

log "Building $repository:$tag"
build_args=(
    --file "$ROOT/app/Dockerfile"
    --build-arg "GIT_SHA=$COMMIT_SHA"
    --build-arg "APP_VERSION=$tag"
    --label "org.opencontainers.image.revision=$COMMIT_SHA"
    # One plain image manifest (no attestation index): its digest is what ECS pulls.
    --provenance=false
    --tag "$repository:$tag"
)
if $refresh; then build_args+=(--pull --no-cache); fi
docker build "${build_args[@]}" "$ROOT"

# Scan before anything leaves this machine: an image with a fixable high or critical
# vulnerability is never pushed. Unfixed ones are listed but do not block (nothing to do yet).
log "Scanning $repository:$tag"
docker run --rm --volume /var/run/docker.sock:/var/run/docker.sock "$TRIVY_IMAGE" image \
    --no-progress --ignore-unfixed --severity HIGH,CRITICAL --exit-code 1 "$repository:$tag"

if ! $push; then
    write_image_env "$repository:$tag"
    exit 0
fi
log "Pushing to $IMAGE_REPOSITORY"
aws ecr get-login-password --region "$AWS_REGION" |
    docker login --username AWS --password-stdin "${IMAGE_REPOSITORY%%/*}"
docker push "$repository:$tag"
digest="$(registry_digest "$tag")"
[[ "$digest" == sha256:* ]] || die "the registry has no digest for $tag after the push"
write_image_env "$IMAGE_REPOSITORY@$digest"
