"""Feature flags per tier: merge unfinished work early, release it by config.

{% if cookiecutter.starter == "reference" -%}
"Branch by abstraction": the new code path (ticket search) lives on main behind a flag
and an interface (tickets.TicketQuery), on in local and dev for testing, off where users
are until it is ready. FEATURE_FLAGS overrides the defaults: "ticket_search" switches a
flag on, "-ticket_search" switches it off.
{% else -%}
The new code path lives on main behind a flag, on in local and dev for testing, off where
users are until it is ready. FEATURE_FLAGS overrides the defaults: "example_notice"
switches a flag on, "-example_notice" switches it off. `example_notice` is AN EXAMPLE TO
REPLACE: it shows a line on the start page (templates/start.html); rename it to your first
unfinished feature.
{% endif -%}
"""

from dataclasses import dataclass, fields, replace

# Defaults per tier (settings.behaviour_tier). A new flag starts on in local/dev only.
{%- set flag = "ticket_search" if cookiecutter.starter == "reference" else "example_notice" %}
DEFAULTS: dict[str, dict[str, bool]] = {
    "local": {"{{ flag }}": True},
    "dev": {"{{ flag }}": True},
    "staging": {"{{ flag }}": False},
    "prod": {"{{ flag }}": False},
}


@dataclass(frozen=True)
class Flags:
    {{ flag }}: bool = False


def load_flags(tier: str, overrides: str = "") -> Flags:
    """The tier's defaults with FEATURE_FLAGS applied. Unknown names fail fast:
    a typo must not silently leave a feature off (or on) in production."""
    flags = Flags(**DEFAULTS[tier])
    known = sorted(field.name for field in fields(Flags))
    for item in filter(None, (part.strip() for part in overrides.split(","))):
        name, enabled = (item[1:], False) if item.startswith("-") else (item, True)
        if name not in known:
            raise ValueError(
                f"FEATURE_FLAGS: unknown flag {name!r}; known flags: {', '.join(known)}"
            )
        flags = replace(flags, **{name: enabled})
    return flags
