"""The policy pack the Pulumi CLI runs before every change (Makefile and pipelines):

    cd infra
    pulumi preview --stack prod --policy-pack policy

The CLI starts this file with the interpreter of ../../.venv (PulumiPolicy.yaml), the uv
workspace's environment that already holds pulumi-policy, so the pack needs no
requirements file of its own. The rules live in rules.py, which the tests import: creating
a PolicyPack outside the CLI waits for the CLI forever.
"""

import sys
from pathlib import Path

from pulumi_policy import EnforcementLevel, PolicyPack

# rules.py checks values with infra/aws_constraints.py, which the infra tests share.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from rules import RULES

PolicyPack(
    name="{{ cookiecutter.project_slug|replace('_', '-') }}-policies",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[rule.policy() for rule in RULES],
)
