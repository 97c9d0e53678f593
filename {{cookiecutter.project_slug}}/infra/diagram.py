"""The architecture diagram, drawn from the synthesized model: never by hand.

    python -m diagram              # update the Mermaid diagram in docs/architecture.md
    python -m diagram --check      # exit 1 if the committed diagram no longer matches the code
    python -m diagram --png PATH   # also render a PNG (needs Graphviz's `dot`)

Mermaid text is the committed source: GitHub and GitLab render it, and a change to the
infrastructure shows up as a readable diff. The PNG is for the submission pack and slides.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from project_facts.generated import between, sync

import environments
from synth import synthesize

DOC = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"
BEGIN, END = "<!-- diagram:begin -->", "<!-- diagram:end -->"
DRAWN_STACK = "prod"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"


@dataclass(frozen=True)
class Zone:
    name: str
    public_cidr: str
    private_cidr: str
    isolated_cidr: str
    nat: bool


@dataclass(frozen=True)
class Architecture:
    """What the diagram shows, read from one stack's model."""

    stack: str
    vpc_cidr: str
    zones: list[Zone]
    cloudfront: bool
    internal_alb: bool  # no public address: CloudFront reaches it through a VPC origin
    waf: bool
    https_listener: bool
    min_tasks: int
    max_tasks: int
    db_multi_az: bool
    alarms: int
    email_alerts: bool
    vpc_endpoints: bool
    logs_encrypted: bool  # log groups under the environment's own KMS key
    mfa: str | None  # the user pool's MFA setting; None: no sign-in


def read_architecture(model: dict) -> Architecture:
    resources = model["resources"]

    def of_type(type_: str) -> list[dict]:
        return [r for r in resources if r["type"] == type_]

    subnets = of_type("aws:ec2/subnet:Subnet")
    nat_subnets = {nat["inputs"]["subnetId"] for nat in of_type("aws:ec2/natGateway:NatGateway")}
    zones = []
    for zone in sorted({s["inputs"]["availabilityZone"] for s in subnets}):
        in_zone = {
            s["inputs"]["tags"]["network-tier"]: s
            for s in subnets
            if s["inputs"]["availabilityZone"] == zone
        }
        zones.append(
            Zone(
                name=zone,
                public_cidr=in_zone["public"]["inputs"]["cidrBlock"],
                private_cidr=in_zone["private"]["inputs"]["cidrBlock"],
                isolated_cidr=in_zone["isolated"]["inputs"]["cidrBlock"],
                nat=f"{in_zone['public']['name']}-id" in nat_subnets,
            )
        )
    [scaling] = of_type("aws:appautoscaling/target:Target")
    [db] = of_type("aws:rds/instance:Instance")
    [vpc] = of_type("aws:ec2/vpc:Vpc")
    pools = of_type("aws:cognito/userPool:UserPool")
    return Architecture(
        stack=model["stack"],
        vpc_cidr=vpc["inputs"]["cidrBlock"],
        zones=zones,
        cloudfront=bool(of_type("aws:cloudfront/distribution:Distribution")),
        internal_alb=all(lb["inputs"].get("internal") for lb in of_type(LOAD_BALANCER)),
        waf=bool(of_type("aws:wafv2/webAclAssociation:WebAclAssociation")),
        https_listener=any(
            listener["inputs"].get("protocol") == "HTTPS"
            for listener in of_type("aws:lb/listener:Listener")
        ),
        min_tasks=scaling["inputs"]["minCapacity"],
        max_tasks=scaling["inputs"]["maxCapacity"],
        db_multi_az=bool(db["inputs"]["multiAz"]),
        alarms=len(of_type("aws:cloudwatch/metricAlarm:MetricAlarm")),
        email_alerts=bool(of_type("aws:sns/topicSubscription:TopicSubscription")),
        vpc_endpoints=bool(of_type("aws:ec2/vpcEndpoint:VpcEndpoint")),
        logs_encrypted=any(
            g["inputs"].get("kmsKeyId") for g in of_type("aws:cloudwatch/logGroup:LogGroup")
        ),
        mfa=pools[0]["inputs"].get("mfaConfiguration", "OFF") if pools else None,
    )


def mermaid(arch: Architecture) -> str:
    """A Mermaid flowchart: users -> edge -> VPC -> one box per zone -> data; AWS services
    beside it; the delivery path below. The same Architecture always gives the same text."""
    lines = ["flowchart TB", '  users(["Users (browser, API clients)"])']
    if arch.cloudfront:
        edge = "cdn"
        # With its default certificate CloudFront's security policy is TLSv1 (see edge.py).
        lines.append(
            '  cdn["CloudFront<br/>HTTPS, *.cloudfront.net certificate<br/>security policy TLSv1"]'
        )
        lines.append("  users -->|HTTPS| cdn")
    else:
        edge = "users"
    waf = "<br/>WAF: AWS managed rules, rate limit" if arch.waf else ""
    listener = (
        "internal, private subnets, no public address<br/>HTTP 80 from CloudFront only"
        if arch.internal_alb
        else "internet-facing<br/>HTTPS 443, TLS 1.2+; HTTP only redirects"
        if arch.https_listener
        else "internet-facing<br/>HTTP 80"
    )
    lines.append(f'  subgraph vpc["VPC {arch.vpc_cidr} ({arch.stack})"]')
    lines.append(f'    alb["Application Load Balancer<br/>{listener}{waf}"]')
    for i, zone in enumerate(arch.zones):
        nat = "<br/>NAT gateway" if zone.nat else ""
        db_role = "primary" if i == 0 else "standby" if (i == 1 and arch.db_multi_az) else ""
        db = f"<br/>RDS PostgreSQL {db_role}" if db_role else ""
        lines += [
            f'    subgraph az{i}["{zone.name}"]',
            "      direction TB",
            f'      pub{i}["public {zone.public_cidr}{nat}"]',
            f'      app{i}["private {zone.private_cidr}<br/>ECS Fargate tasks"]',
            f'      data{i}["isolated {zone.isolated_cidr}{db}"]',
            "    end",
        ]
    lines.append("  end")
    into_alb = "VPC origin: HTTP, inside AWS" if arch.internal_alb else "HTTPS"
    lines.append(f"  {edge} -->|{into_alb}| alb")
    for i in range(len(arch.zones)):
        lines.append(f"  alb -->|port 8000| app{i}")
    lines.append("  app0 -->|PostgreSQL over TLS| data0")
    if arch.db_multi_az and len(arch.zones) > 1:
        lines.append("  data0 -.->|synchronous replication| data1")
    lines += [
        # Not in the stack's model: the bootstrap creates it, once, for every environment.
        '  ecr[("ECR image registry (shared, bootstrap)<br/>immutable tags, scan on push")]',
        '  secrets[("Secrets Manager<br/>database credentials, session key")]',
        f'  kms[("KMS keys<br/>database, secrets{", logs" if arch.logs_encrypted else ""}")]',
        f'  cw["CloudWatch<br/>logs, dashboard, {arch.alarms} alarms"]',
        f'  sns["SNS topic{"<br/>e-mail to on-call" if arch.email_alerts else ""}"]',
        f"  app0 -.->|pull image{' via VPC endpoint' if arch.vpc_endpoints else ''}| ecr",
        "  app0 -.->|session key at start, DB login on connect| secrets",
        "  secrets -.- kms",
        "  app0 -.->|JSON logs, metrics| cw",
        "  cw -->|alarm| sns",
        *(["  cw -.- kms"] if arch.logs_encrypted else []),
        '  repo["Git repository"] -->|push / merge| pipeline["CI/CD pipeline<br/>test, scan, build once"]',
        "  pipeline -->|push once, deploy by digest| ecr",
        "  pipeline -->|pulumi up, per environment| alb",
        (f'  note["{arch.min_tasks} to {arch.max_tasks} tasks, spread across '
         f'{len(arch.zones)} zones by ECS; autoscaling on CPU and requests"]'),
        "  note -.- app0",
    ]  # fmt: skip
    if arch.mfa is not None:
        lines += [
            f'  cognito["Cognito managed login<br/>user pool, MFA {arch.mfa} (authenticator app)"]',
            "  users -->|sign in, HTTPS| cognito",
            "  app0 -.->|code for tokens, PKCE| cognito",
        ]
    return "\n".join(lines) + "\n"


def environment_differences() -> str:
    """How the other environments differ from the drawn one, as their stacks load them."""
    rows = [
        ("Availability zones", "az_count"),
        ("NAT gateways", "nat_gateways"),
        ("Minimum tasks", "min_tasks"),
        ("Database Multi-AZ standby", "db_multi_az"),
        ("WAF", "waf"),
        ("Alarms e-mailed", "alarm_emails"),
    ]
    profiles = environments.stack_profiles()
    names = [f"{name} (drawn)" if name == DRAWN_STACK else name for name in profiles]
    lines = ["| | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for label, field in rows:
        cells = " | ".join(environments.cell(getattr(p, field)) for p in profiles.values())
        lines.append(f"| {label} | {cells} |")
    return "\n".join(lines) + "\n"


def diagram_block(model: dict | None = None) -> str:
    arch = read_architecture(model or synthesize(DRAWN_STACK))
    return (
        f"{BEGIN}\n<!-- Generated by `make diagram` from the {arch.stack} stack's synthesized model. -->\n\n"
        f"```mermaid\n{mermaid(arch)}```\n\n"
        f"How the other environments differ (from the environment profiles):\n\n"
        f"{environment_differences()}{END}"
    )


def update(text: str, block: str) -> str:
    return between(text, BEGIN, END, block, DOC.name)


def render_png(model: dict, path: Path) -> None:
    """The same picture with AWS icons, via the `diagrams` package and Graphviz."""
    from diagrams import Cluster, Diagram, Edge
    from diagrams.aws.compute import ECR, Fargate
    from diagrams.aws.database import RDS
    from diagrams.aws.management import Cloudwatch
    from diagrams.aws.network import ALB, CloudFront, NATGateway
    from diagrams.aws.security import KMS, WAF, Cognito, SecretsManager
    from diagrams.onprem.client import Users

    arch = read_architecture(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    with Diagram(f"Architecture ({arch.stack})", filename=str(path.with_suffix("")), outformat="png",
                 show=False, direction="LR", graph_attr={"dpi": "110"}):  # fmt: skip
        users = Users("Users")
        alb = ALB("Load balancer")
        if arch.cloudfront:
            into_alb = "VPC origin (HTTP)" if arch.internal_alb else "HTTPS"
            users >> Edge(label="HTTPS") >> CloudFront("CloudFront") >> Edge(label=into_alb) >> alb
        else:
            users >> Edge(label="HTTPS") >> alb
        if arch.waf:
            WAF("WAF") - alb
        databases = []
        with Cluster(f"VPC {arch.vpc_cidr}"):
            for i, zone in enumerate(arch.zones):
                with Cluster(zone.name):
                    if zone.nat:
                        NATGateway("NAT")
                    alb >> Fargate("tasks")
                    if i == 0 or (i == 1 and arch.db_multi_az):
                        databases.append(RDS("primary" if i == 0 else "standby"))
        if len(databases) == 2:
            databases[0] - Edge(style="dashed", label="replication") - databases[1]
        ECR("ECR (shared, bootstrap)")
        SecretsManager("Secrets Manager") - KMS("KMS")
        Cloudwatch(f"CloudWatch ({arch.alarms} alarms)")
        if arch.mfa is not None:
            users >> Edge(label="sign in") >> Cognito(f"Cognito (MFA {arch.mfa})")


STALE = (
    "docs/architecture.md: the diagram no longer matches the infrastructure code. "
    "Run `make diagram` and commit the result."
)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    model = synthesize(DRAWN_STACK)
    new = update(DOC.read_text(encoding="utf-8"), diagram_block(model))
    if "--check" in args:
        return sync(DOC, new, check=True, stale=STALE)
    sync(DOC, new, check=False, stale=STALE)
    if "--png" in args:
        render_png(model, Path(args[args.index("--png") + 1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
