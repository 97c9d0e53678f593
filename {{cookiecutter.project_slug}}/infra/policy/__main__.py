"""The policy pack the Pulumi CLI runs. The rules themselves live in rules.py, which the
tests also import: building a PolicyPack outside the CLI would wait for it forever."""

from pulumi_policy import EnforcementLevel, PolicyPack, StackValidationPolicy

from rules import RULES, Resource, Rule, tier_of


def as_policy(rule: Rule) -> StackValidationPolicy:
    def validate(args, report_violation) -> None:
        resources = [
            Resource(
                r.resource_type,
                r.name,
                r.urn,
                dict(r.props),
                frozenset(d.urn for d in r.dependencies),
            )
            for r in args.resources
        ]
        for message in rule.check(resources, tier_of(resources)):
            report_violation(message, None)

    return StackValidationPolicy(
        name=rule.name,
        description=rule.description,
        validate=validate,
        enforcement_level=EnforcementLevel.MANDATORY,
    )


PolicyPack(
    name="{{ cookiecutter.project_slug|replace('_', '-') }}-policies",
    policies=[as_policy(rule) for rule in RULES],
)
