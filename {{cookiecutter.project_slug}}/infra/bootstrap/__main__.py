"""Entry point for `pulumi up` in infra/bootstrap (once, with administrator credentials)."""

import pulumi
from program import build

for key, value in build(pulumi.Config()).items():
    pulumi.export(key, value)
