#!/usr/bin/env bash
# Install the Pulumi CLI at the pinned version into ~/.pulumi/bin, after checking the
# download against the checksums Pulumi publishes for the release (GitLab jobs; GitHub
# workflows use the pulumi/actions step).
# Usage: ci/install-pulumi.sh VERSION    then: export PATH="$HOME/.pulumi/bin:$PATH"
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

version="${1:?usage: ci/install-pulumi.sh VERSION}"
archive="pulumi-v$version-linux-x64.tar.gz"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
curl --fail --silent --show-error --location --remote-name "https://get.pulumi.com/releases/sdk/$archive"
curl --fail --silent --show-error --location --output checksums.txt \
    "https://github.com/pulumi/pulumi/releases/download/v$version/pulumi-$version-checksums.txt"
grep -F "  $archive" checksums.txt | sha256sum --check --strict - >&2
mkdir -p "$HOME/.pulumi/bin"
tar --extract --gzip --file "$archive" --strip-components 1 --directory "$HOME/.pulumi/bin"
"$HOME/.pulumi/bin/pulumi" version
