"""Entry point for `pulumi preview` / `pulumi up`: read the stack's config, build it."""

import pulumi

from environment_profile import load_profile
from stack import build

config = pulumi.Config()
outputs = build(
    profile=load_profile(config),
    project=pulumi.get_project(),
    environment=pulumi.get_stack(),
    region=pulumi.Config("aws").require("region"),
    image=config.get("image"),  # set by the pipeline to the image digest it built
)
for key, value in outputs.items():
    pulumi.export(key, value)
