"""Entry point for `pulumi preview` / `pulumi up`: read the stack's config, build it."""

import pulumi
from project_facts import load as load_facts

from environment_profile import load_profile
from stack import build, require_image_to_deploy

config = pulumi.Config()
# Set by the pipeline to the image it built or promotes: <image_repository>@sha256:<digest>.
image = config.get("image")
require_image_to_deploy(image, preview=pulumi.runtime.is_dry_run())
facts = load_facts()
outputs = build(
    profile=load_profile(config, facts.tier_of(pulumi.get_stack())),
    project=pulumi.get_project(),
    environment=pulumi.get_stack(),
    region=pulumi.Config("aws").require("region"),
    image=image,
    business_metric=facts.require_business_metric(),
)
for key, value in outputs.items():
    pulumi.export(key, value)
