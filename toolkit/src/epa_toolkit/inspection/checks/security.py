"""Security: is the environment closed to the internet except through its edge, and are its
data, secrets and permissions guarded? Security groups, TLS, WAF, CloudFront, the tasks'
network, secrets and roles, the database, buckets, keys."""

from __future__ import annotations

from collections.abc import Iterator

from epa_toolkit.inspection.checks.base import database_flag, registry
from epa_toolkit.inspection.inventory import Inventory, SecurityGroupRule
from epa_toolkit.inspection.model import CheckMeta, Result, Severity, Status, Thresholds

CHECKS, check = registry("security")

ANYWHERE = ("0.0.0.0/0", "::/0")
# Environment variable names that look like secrets (they belong under `secrets`).
SECRET_NAME = ("PASSWORD", "SECRET", "TOKEN", "API_KEY", "ACCESS_KEY", "PRIVATE_KEY")


def _opens(rule: SecurityGroupRule, ports: tuple[int, ...]) -> bool:
    if rule["protocol"] == "-1":
        return True
    low, high = rule["from"] or 0, rule["to"] or 65535
    return any(low <= port <= high for port in ports)


@check(
    CheckMeta(
        id="sg_no_public_admin_ports",
        title="No admin or database port open to the internet",
        severity=Severity.CRITICAL,
        risk="Anyone on the internet can try to log in to shells or databases.",
        remediation="Remove the 0.0.0.0/0 rule; reach admin ports through SSM or a VPN.",
        references=(),
        needs=("network",),
        policy_rule="no-admin-ports-from-internet",
        ksbs=("K16", "S10"),
        fsbp=("EC2.19",),
        # Prowler has one check per port: those of the template's closed_to_internet, and "all ports".
        prowler=(
            "ec2_securitygroup_allow_ingress_from_internet_to_all_ports",
            "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22",
            "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_3389",
            "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_postgres_5432",
            "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_mysql_3306",
            "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_sql_server_1433_1434",
            "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_redis_6379",
            "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_memcached_11211",
            "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_mongodb_27017_27018",
        ),
    )
)
def sg_no_public_admin_ports(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    for group in inventory["network"]["security_groups"]:
        open_rules = [r for r in group["ingress"] if set(r["sources"]) & set(ANYWHERE)]
        # 80/443 from anywhere is the point of an internet-facing load balancer: only
        # admin/database ports and "all traffic" count (Prowler's most reported false positive).
        bad = [r for r in open_rules if _opens(r, thresholds.closed_ports)]
        yield Result(
            Status.FAIL if bad else Status.PASS,
            group["id"],
            f"{len(bad)} rule(s) open admin or database ports to the internet"
            if bad
            else "no admin port open to the internet",
            {"open_to_internet": open_rules},
        )


@check(
    CheckMeta(
        id="sg_default_closed",
        title="Default security groups have no rules",
        severity=Severity.MEDIUM,
        risk="Anything launched without a group gets the default one, and its rules.",
        remediation="Manage the default group with no rules (DefaultSecurityGroup).",
        references=(),
        needs=("network",),
        ksbs=("K16", "S10"),
        fsbp=("EC2.2",),
        prowler=("ec2_securitygroup_default_restrict_traffic",),
    )
)
def sg_default_closed(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    for group in (g for g in inventory["network"]["security_groups"] if g["default"]):
        rules = len(group["ingress"]) + len(group["egress"])
        yield Result(
            Status.PASS if rules == 0 else Status.FAIL,
            group["id"],
            f"{rules} rule(s)",
            {"ingress": group["ingress"], "egress": group["egress"]},
        )


@check(
    CheckMeta(
        id="alb_https_only",
        title="No plain HTTP from the internet reaches the app",
        severity=Severity.HIGH,
        risk="Plain HTTP on a public network exposes users' data and sessions.",
        remediation="Internet-facing: add an HTTPS listener and make HTTP only redirect to it. Without a domain: "
        "an internal load balancer behind a CloudFront VPC origin.",
        references=(),
        needs=("load_balancers",),
        policy_rule="alb-https-only",
        ksbs=("K16", "S10"),
        fsbp=("ELB.1",),
        prowler=("elbv2_ssl_listeners",),
    )
)
def alb_https_only(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    for lb in inventory["load_balancers"]:
        if lb["scheme"] == "internal":
            # No public address: only what is inside the VPC (a CloudFront VPC origin) reaches it.
            yield Result(
                Status.PASS,
                lb["name"],
                "internal: no public address, plain HTTP stays inside the VPC",
                {"scheme": lb["scheme"], "listeners": lb["listeners"]},
            )
            continue
        forwarding = [li for li in lb["listeners"] if li["protocol"] == "HTTP" and li["forwards"]]
        plain = [li for li in lb["listeners"] if li["protocol"] == "HTTP" and not li["redirects_to_https"]]
        https = [li for li in lb["listeners"] if li["protocol"] == "HTTPS"]
        ok = not forwarding and not plain and bool(https)
        message = (
            "HTTPS; HTTP only redirects"
            if ok
            else f"{len(forwarding)} HTTP listener(s) forward to the app"
            if forwarding
            else f"{len(plain)} HTTP listener(s) do not redirect to HTTPS"
            if plain
            else "no HTTPS listener"
        )
        yield Result(
            Status.PASS if ok else Status.FAIL,
            lb["name"],
            message,
            {"scheme": lb["scheme"], "listeners": lb["listeners"]},
        )


@check(
    CheckMeta(
        id="cloudfront_no_plain_http",
        title="CloudFront uses HTTPS to viewers and to origins across the internet",
        severity=Severity.HIGH,
        risk="A distribution that lets viewers use HTTP, or reaches a public origin over HTTP, exposes users' data "
        "on the internet behind an HTTPS address.",
        remediation="Viewer protocol policy redirect-to-https; a custom origin https-only, or a VPC origin to an "
        "internal load balancer.",
        references=(),
        needs=("cloudfront",),
        policy_rule="cloudfront-no-plain-http",
        ksbs=("K16", "S10"),
        fsbp=("CloudFront.3", "CloudFront.9"),
        prowler=(
            "cloudfront_distributions_https_enabled",
            "cloudfront_distributions_origin_traffic_encrypted",
        ),
    )
)
def cloudfront_no_plain_http(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    if not inventory["cloudfront"]:
        yield Result(Status.SKIPPED, "-", "no CloudFront distribution (the load balancer is the edge)")
    for distribution in inventory["cloudfront"]:
        viewers_http = [
            p
            for p in distribution["viewer_protocol_policies"]
            if p not in ("redirect-to-https", "https-only")
        ]
        # Only a custom origin is reached across the internet; a VPC origin stays inside AWS.
        plain = [
            o["id"]
            for o in distribution["origins"]
            if o["kind"] == "custom" and o["protocol_policy"] != "https-only"
        ]
        ok = not viewers_http and not plain
        message = (
            "viewers redirected to HTTPS; no origin reached by plain HTTP across the internet"
            if ok
            else f"viewers may use plain HTTP ({', '.join(viewers_http)})"
            if viewers_http
            else f"origin(s) {', '.join(plain)} reached by plain HTTP across the internet"
        )
        yield Result(
            Status.PASS if ok else Status.FAIL,
            distribution["id"],
            message,
            {
                "viewer_protocol_policies": distribution["viewer_protocol_policies"],
                "origins": distribution["origins"],
            },
        )


@check(
    CheckMeta(
        id="alb_tls_policy",
        title="HTTPS listeners refuse TLS below 1.2",
        severity=Severity.MEDIUM,
        risk="Old TLS versions have known weaknesses.",
        remediation="Use ELBSecurityPolicy-TLS13-1-2-2021-06.",
        references=(),
        needs=("load_balancers",),
        policy_rule="alb-https-only",
        ksbs=("K16",),
        fsbp=(),
        prowler=("elbv2_insecure_ssl_ciphers",),
    )
)
def alb_tls_policy(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    modern = (
        "ELBSecurityPolicy-TLS13-1-2",
        "ELBSecurityPolicy-TLS-1-2",
        "ELBSecurityPolicy-FS-1-2",
    )
    for lb in inventory["load_balancers"]:
        if lb["scheme"] == "internal" and not any(x["protocol"] == "HTTPS" for x in lb["listeners"]):
            yield Result(
                Status.SKIPPED,
                lb["name"],
                "internal, no HTTPS listener: users' TLS ends at CloudFront",
            )
        for li in (x for x in lb["listeners"] if x["protocol"] == "HTTPS"):
            ok = str(li["ssl_policy"]).startswith(modern)
            yield Result(
                Status.PASS if ok else Status.FAIL,
                f"{lb['name']}:{li['port']}",
                f"policy {li['ssl_policy']}",
                {"ssl_policy": li["ssl_policy"]},
            )


@check(
    CheckMeta(
        id="rds_encrypted",
        title="Database storage encrypted",
        severity=Severity.HIGH,
        risk="Disks, snapshots and backups readable if they leak.",
        remediation="Create the database with storage encryption (KMS).",
        references=(),
        needs=("rds",),
        policy_rule="rds-storage-encrypted",
        ksbs=("K16", "S10"),
        fsbp=("RDS.3",),
        prowler=("rds_instance_storage_encrypted",),
    )
)
def rds_encrypted(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    yield from database_flag(inventory, thresholds, "encrypted", label="storage encrypted")


@check(
    CheckMeta(
        id="rds_not_public",
        title="Database not publicly accessible",
        severity=Severity.CRITICAL,
        risk="The database answers on the internet.",
        remediation="Set publicly_accessible false; keep it in isolated subnets.",
        references=(),
        needs=("rds",),
        policy_rule="rds-not-public",
        ksbs=("K16", "S10"),
        fsbp=("RDS.2",),
        prowler=("rds_instance_no_public_access",),
    )
)
def rds_not_public(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    for db in inventory["rds"]["instances"]:
        yield Result(
            Status.FAIL if db["public"] else Status.PASS,
            db["id"],
            f"publicly accessible: {db['public']}",
            {"public": db["public"]},
        )


@check(
    CheckMeta(
        id="ecs_service_no_public_ip",
        title="Tasks have no public IP",
        severity=Severity.HIGH,
        risk="Tasks reachable from the internet, around the load balancer and WAF.",
        remediation="Run tasks in private subnets with assignPublicIp DISABLED.",
        references=(),
        needs=("ecs",),
        ksbs=("K16", "S10"),
        fsbp=("ECS.2",),
        prowler=("ecs_service_no_assign_public_ip",),
    )
)
def ecs_service_no_public_ip(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    for s in inventory["ecs"]["services"]:
        yield Result(
            Status.FAIL if s["assign_public_ip"] else Status.PASS,
            s["name"],
            f"assign public IP: {s['assign_public_ip']}",
            {"assign_public_ip": s["assign_public_ip"]},
        )


@check(
    CheckMeta(
        id="ecs_no_plaintext_secrets",
        title="Secrets reach tasks from Secrets Manager, not plain variables",
        severity=Severity.HIGH,
        risk="Plain environment values are visible to anyone who can read the task definition.",
        remediation="Move the value to Secrets Manager and reference it under `secrets`.",
        references=(),
        needs=("ecs", "workload"),
        ksbs=("K16", "S9"),
        fsbp=("ECS.8",),
        prowler=("ecs_task_definitions_no_environment_secrets",),
    )
)
def ecs_no_plaintext_secrets(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    for definition in inventory["workload"]["task_definitions"]:
        for c in definition["containers"]:
            leaked = [name for name in c["env_names"] if any(word in name.upper() for word in SECRET_NAME)]
            yield Result(
                Status.FAIL if leaked else Status.PASS,
                f"{definition['arn'].split('/')[-1]}:{c['name']}",
                f"secret-looking plain variables: {leaked}"
                if leaked
                else f"{len(c['secret_names'])} secret(s) via Secrets Manager",
                {"plain_variables": c["env_names"], "secrets": c["secret_names"]},
            )


@check(
    CheckMeta(
        id="ecr_scan_on_push",
        title="Images are scanned when pushed",
        severity=Severity.MEDIUM,
        risk="Known vulnerabilities in the image go unnoticed.",
        remediation="Enable scan on push on the repository.",
        references=(),
        needs=("ecs", "workload"),
        ksbs=("K5", "S9"),
        fsbp=("ECR.1",),
        prowler=("ecr_repositories_scan_images_on_push_enabled",),
    )
)
def ecr_scan_on_push(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    for repo in inventory["workload"]["repositories"]:
        on = repo["scan_on_push"]
        yield Result(
            Status.PASS if on else Status.FAIL,
            repo["name"],
            f"scan on push {'on' if on else 'off'}",
            {"scan_on_push": on},
        )


@check(
    CheckMeta(
        id="alb_waf_attached",
        title="A web application firewall protects the load balancer",
        severity=Severity.HIGH,
        risk="Common web attacks reach the app unfiltered.",
        remediation="Associate a WAF web ACL with AWS managed rules (waf: true).",
        references=(),
        needs=("load_balancers", "protection"),
        policy_rule="waf-protects-load-balancer",
        ksbs=("S9", "S10"),
        fsbp=("ELB.16",),
        prowler=("elbv2_waf_acl_attached",),
    )
)
def alb_waf_attached(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    for lb in inventory["load_balancers"]:
        if not thresholds.waf:
            yield Result(Status.SKIPPED, lb["name"], f"not required in {thresholds.tier}")
            continue
        acl = inventory["protection"].get(lb["name"], {}).get("web_acl")
        yield Result(
            Status.PASS if acl else Status.FAIL,
            lb["name"],
            f"web ACL {acl or 'none'}",
            {"web_acl": acl},
        )


@check(
    CheckMeta(
        id="s3_public_access_blocked",
        title="Buckets block public access",
        severity=Severity.CRITICAL,
        risk="A policy or ACL mistake publishes the bucket's contents.",
        remediation="Turn on all four public access block settings.",
        references=(),
        needs=("storage",),
        policy_rule="s3-public-access-blocked",
        ksbs=("K16", "S10"),
        fsbp=("S3.8",),
        prowler=("s3_bucket_level_public_access_block",),
    )
)
def s3_public_access_blocked(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    settings = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
    for bucket in inventory["storage"]:
        block = bucket["public_access_block"]
        off = [s for s in settings if not block.get(s)]
        yield Result(
            Status.FAIL if off else Status.PASS,
            bucket["name"],
            f"off: {off}" if off else "all four settings on",
            {"public_access_block": block},
        )


@check(
    CheckMeta(
        id="s3_encryption",
        title="Buckets encrypt objects at rest",
        severity=Severity.MEDIUM,
        risk="Objects readable from the storage layer if it leaks.",
        remediation="Set default encryption (SSE-S3 or KMS).",
        references=(),
        needs=("storage",),
        policy_rule="s3-encryption-configured",
        ksbs=("K16",),
        fsbp=(),
        prowler=("s3_bucket_default_encryption",),
    )
)
def s3_encryption(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    for bucket in inventory["storage"]:
        ok = bucket["encryption"] in ("AES256", "aws:kms", "aws:kms:dsse")
        yield Result(
            Status.PASS if ok else Status.FAIL,
            bucket["name"],
            f"default encryption {bucket['encryption']}",
            {"sse": bucket["encryption"]},
        )


@check(
    CheckMeta(
        id="s3_tls_only",
        title="Buckets refuse plain HTTP",
        severity=Severity.MEDIUM,
        risk="Requests without TLS can be read or changed on the way.",
        remediation="Add a Deny statement for aws:SecureTransport false.",
        references=(),
        needs=("storage",),
        ksbs=("K16",),
        fsbp=("S3.5",),
        prowler=("s3_bucket_secure_transport_policy",),
    )
)
def s3_tls_only(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    for bucket in inventory["storage"]:
        ok = bucket["denies_insecure_transport"]
        yield Result(
            Status.PASS if ok else Status.FAIL,
            bucket["name"],
            f"TLS-only policy {'present' if ok else 'missing'}",
            {"denies_insecure_transport": ok},
        )


@check(
    CheckMeta(
        id="iam_workload_roles_least_privilege",
        title="No role of the environment may do everything",
        severity=Severity.CRITICAL,
        risk="A compromised task (or service acting for it) could do anything in the account.",
        remediation="Grant only the actions the role needs, on its own resources.",
        references=(),
        needs=("identity",),
        ksbs=("K16", "S10"),
        # IAM.1 and these Prowler checks judge policies' statements the same way (AWS's,
        # the account's and inline), but every policy in the account, not the environment's.
        fsbp=("IAM.1",),
        prowler=(
            "iam_aws_attached_policy_no_administrative_privileges",
            "iam_customer_attached_policy_no_administrative_privileges",
            "iam_inline_policy_no_administrative_privileges",
        ),
    )
)
def iam_workload_roles_least_privilege(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    for role in inventory["identity"]:
        # Judged by what each policy allows, not its name: a customer-managed policy allowing
        # everything is as dangerous as AWS's AdministratorAccess.
        too_broad = [
            f"{policy['kind']} {policy['name']}"
            for policy in role["policies"]
            if any(_allows_everything(statement) for statement in policy["statements"])
        ]
        yield Result(
            Status.FAIL if too_broad else Status.PASS,
            role["name"],
            f"allow(s) every action on every resource: {', '.join(too_broad)}"
            if too_broad
            else f"{len(role['policies'])} polic(ies), none allows everything",
            {
                "used_by": role["used_by"],
                "policies": [p["name"] for p in role["policies"]],
                "too_broad": too_broad,
            },
        )


def _listed(value: str | list[str] | None) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def _allows_everything(statement: dict) -> bool:
    """Allow of `*` (or `*:*`) on `*`, or Allow of everything but a few actions (NotAction)
    on `*`, as PowerUserAccess does."""
    if statement.get("Effect") != "Allow" or "*" not in _listed(statement.get("Resource")):
        return False
    return bool({"*", "*:*"} & set(_listed(statement.get("Action")))) or "NotAction" in statement


@check(
    CheckMeta(
        id="kms_rotation",
        title="Customer keys rotate",
        severity=Severity.MEDIUM,
        risk="A key in use for years widens what one leak exposes.",
        remediation="Enable automatic key rotation.",
        references=(),
        needs=("rds", "keys_and_secrets"),
        ksbs=("K16",),
        fsbp=("KMS.4",),
        prowler=("kms_cmk_rotation_enabled",),
    )
)
def kms_rotation(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    for key in inventory["keys_and_secrets"]["keys"]:
        yield Result(
            Status.PASS if key["rotation"] else Status.FAIL,
            key["id"],
            f"rotation {'on' if key['rotation'] else 'off'}",
            {"rotation": key["rotation"]},
        )


@check(
    CheckMeta(
        id="secrets_rotation",
        title="The database secret rotates",
        severity=Severity.MEDIUM,
        risk="A leaked password stays valid indefinitely.",
        remediation="Keep RDS-managed rotation on (every 7 days by default).",
        references=(),
        needs=("rds", "keys_and_secrets"),
        ksbs=("K16", "S9"),
        fsbp=("SecretsManager.1",),
        prowler=("secretsmanager_automatic_rotation_enabled",),
    )
)
def secrets_rotation(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    for secret in inventory["keys_and_secrets"]["secrets"]:
        on = secret["rotation"]
        yield Result(
            Status.PASS if on else Status.FAIL,
            secret["arn"].split(":")[-1],
            f"rotation {'on' if on else 'off'}",
            {"rotation": on},
        )


@check(
    CheckMeta(
        id="iam_service_trust_scoped",
        title="Roles an AWS service assumes name the account it acts for",
        severity=Severity.MEDIUM,
        risk="Without aws:SourceAccount or aws:SourceArn, the service could be led to use the role on behalf of "
        "another AWS account (the confused deputy).",
        remediation="Add an aws:SourceAccount (or aws:SourceArn) condition to the role's trust policy.",
        references=("https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html",),
        needs=("identity",),
        policy_rule="service-role-names-its-source",
        ksbs=("K16", "S10"),
        prowler=("iam_role_cross_service_confused_deputy_prevention",),
    )
)
def iam_service_trust_scoped(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    for role in inventory["identity"]:
        services = [
            statement for statement in role["trust"]
            if statement.get("Effect") == "Allow" and "Service" in (statement.get("Principal") or {})
        ]  # fmt: skip
        unscoped = sorted({
            service for statement in services if not _names_source(statement)
            for service in _listed(statement["Principal"]["Service"])
        })  # fmt: skip
        if not services:
            yield Result(Status.SKIPPED, role["name"], "not assumed by an AWS service")
            continue
        yield Result(
            Status.FAIL if unscoped else Status.PASS,
            role["name"],
            f"{', '.join(unscoped)} may assume it for any account"
            if unscoped
            else "every service may assume it only for this account",
            {"used_by": role["used_by"], "trust": role["trust"]},
        )


def _names_source(statement: dict) -> bool:
    """A condition on aws:SourceAccount or aws:SourceArn, under any operator (keys are
    case-insensitive)."""
    keys = {key.lower() for values in (statement.get("Condition") or {}).values() for key in values}
    return bool(keys & {"aws:sourceaccount", "aws:sourcearn"})


@check(
    CheckMeta(
        id="waf_acl_has_rules",
        title="The web ACL has rules",
        severity=Severity.HIGH,
        risk="A web ACL with no rules lets every request through: it looks like protection and is none.",
        remediation="Add AWS managed rule groups (common rule set, known bad inputs, ...) and a rate limit.",
        references=(),
        needs=("load_balancers", "protection"),
        ksbs=("S9", "S10"),
        fsbp=("WAF.10",),
        prowler=("wafv2_webacl_with_rules",),
    )
)
def waf_acl_has_rules(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    for protection in (inventory["protection"][name] for name in sorted(inventory["protection"])):
        if protection["web_acl"]:
            rules = protection["rules"]
            yield Result(
                Status.PASS if rules else Status.FAIL,
                protection["web_acl"],
                f"{len(rules)} rule(s), {len(protection['managed_rule_groups'])} managed rule group(s)"
                if rules
                else "no rules: every request is let through",
                {"rules": rules, "managed_rule_groups": protection["managed_rule_groups"]},
            )


@check(
    CheckMeta(
        id="cloudfront_web_acl",
        title="A web application firewall filters what CloudFront passes on",
        severity=Severity.HIGH,
        risk="Common web attacks reach the app through the distribution unfiltered.",
        remediation="Associate a web ACL with the distribution, or reach only an internal load balancer (VPC "
        "origin) that has one.",
        references=(),
        needs=("cloudfront", "load_balancers", "protection"),
        policy_rule="waf-protects-load-balancer",
        ksbs=("S9", "S10"),
        fsbp=("CloudFront.6",),
        prowler=("cloudfront_distributions_using_waf",),
    )
)
def cloudfront_web_acl(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    # Behind a VPC origin the internal load balancer is the only way in, so its web ACL sees
    # every request CloudFront passes on (the reference design: one regional web ACL).
    internal = [lb for lb in inventory["load_balancers"] if lb["scheme"] == "internal"]
    guarded = [lb["name"] for lb in internal if inventory["protection"].get(lb["name"], {}).get("rules")]
    for distribution in inventory["cloudfront"]:
        if not thresholds.waf:
            yield Result(Status.SKIPPED, distribution["id"], f"not required in {thresholds.tier}")
            continue
        vpc_only = all(o["kind"] == "vpc" for o in distribution["origins"])
        at_origin = vpc_only and bool(internal) and len(guarded) == len(internal)
        ok = bool(distribution["web_acl"]) or at_origin
        yield Result(
            Status.PASS if ok else Status.FAIL,
            distribution["id"],
            f"web ACL {distribution['web_acl']} on the distribution"
            if distribution["web_acl"]
            else f"VPC origin to internal load balancer(s) with a web ACL: {', '.join(guarded)}"
            if ok
            else "no web ACL on the distribution or on an internal origin behind it",
            {
                "web_acl": distribution["web_acl"],
                "origins": [o["kind"] for o in distribution["origins"]],
                "internal_load_balancers_with_web_acl": guarded,
            },
        )


# Viewer security policies that refuse TLS below 1.2 (CloudFront's names).
MODERN_VIEWER_TLS = ("TLSv1.2_", "TLSv1.3_")


@check(
    CheckMeta(
        id="cloudfront_viewer_tls",
        title="CloudFront refuses viewers' TLS below 1.2",
        severity=Severity.MEDIUM,
        risk="Old TLS versions have known weaknesses.",
        remediation="With a certificate of your own: security policy TLSv1.2_2021 or later. CloudFront's default "
        "certificate cannot raise its minimum (TLSv1): a domain of your own can.",
        references=(
            "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/secure-connections-supported-viewer-protocols-ciphers.html",
        ),
        needs=("cloudfront",),
        ksbs=("K16",),
    )
)
def cloudfront_viewer_tls(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    for distribution in inventory["cloudfront"]:
        policy = distribution["minimum_tls"]
        evidence = {"default_certificate": distribution["default_certificate"], "minimum_tls": policy}
        if distribution["default_certificate"]:
            # Browsers negotiate TLS 1.2 or 1.3, but an old client may still use TLS 1.0.
            yield Result(Status.WARN, distribution["id"],
                         "default *.cloudfront.net certificate: CloudFront sets the minimum (TLSv1)", evidence)  # fmt: skip
            continue
        ok = str(policy).startswith(MODERN_VIEWER_TLS)
        yield Result(
            Status.PASS if ok else Status.FAIL, distribution["id"], f"security policy {policy}", evidence
        )


@check(
    CheckMeta(
        id="cloudfront_origin_private",
        title="CloudFront's origins cannot be reached around it",
        severity=Severity.MEDIUM,
        risk="An origin on the internet can be called directly, past CloudFront's TLS, logging and firewall.",
        remediation="Reach the load balancer through a CloudFront VPC origin and make it internal.",
        references=(
            "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-vpc-origins.html",
        ),
        needs=("cloudfront",),
        ksbs=("K21", "S10"),
    )
)
def cloudfront_origin_private(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    for distribution in inventory["cloudfront"]:
        # An S3 origin is reached by AWS's own API; a custom origin is an internet address.
        public = [o["id"] for o in distribution["origins"] if o["kind"] in ("custom", "none")]
        yield Result(
            Status.FAIL if public else Status.PASS,
            distribution["id"],
            f"origin(s) {', '.join(public)} on the internet" if public else "every origin is private",
            {
                "origins": [
                    {"id": o["id"], "kind": o["kind"], "domain": o["domain"]} for o in distribution["origins"]
                ]
            },
        )


@check(
    CheckMeta(
        id="rds_force_ssl",
        title="The database refuses unencrypted connections",
        severity=Severity.HIGH,
        risk="A client that does not ask for TLS sends the password and the data in clear inside the VPC.",
        remediation="Set rds.force_ssl to 1 in the database's parameter group.",
        references=(),
        needs=("rds",),
        ksbs=("K16",),
        prowler=("rds_instance_transport_encrypted",),
    )
)
def rds_force_ssl(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    for db in inventory["rds"]["instances"]:
        value = db["force_ssl"]
        if value is None:
            yield Result(
                Status.WARN,
                db["id"],
                "rds.force_ssl not reported by the parameter group",
                {"force_ssl": None},
            )
            continue
        yield Result(Status.PASS if value else Status.FAIL, db["id"], f"rds.force_ssl {'on' if value else 'off'}",
                     {"force_ssl": value})  # fmt: skip


@check(
    CheckMeta(
        id="alb_drops_invalid_headers",
        title="The load balancer drops invalid HTTP headers",
        severity=Severity.MEDIUM,
        risk="Malformed headers passed to the app open the way to request smuggling.",
        remediation="Set routing.http.drop_invalid_header_fields.enabled (drop_invalid_header_fields).",
        references=(),
        needs=("load_balancers",),
        ksbs=("S9", "S10"),
        fsbp=("ELB.4",),
        prowler=("elbv2_alb_drop_invalid_header_fields_enabled",),
    )
)
def alb_drops_invalid_headers(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    for lb in inventory["load_balancers"]:
        on = lb["drops_invalid_headers"]
        yield Result(Status.PASS if on else Status.FAIL, lb["name"],
                     f"drops invalid headers: {on}", {"drops_invalid_headers": on})  # fmt: skip


@check(
    CheckMeta(
        id="ecs_read_only_root",
        title="Containers run with a read-only root filesystem",
        severity=Severity.MEDIUM,
        risk="An attacker in the container can change its programs and keep a foothold.",
        remediation="Set readonlyRootFilesystem; mount a scratch volume where the app must write (/tmp).",
        references=(),
        needs=("ecs", "workload"),
        ksbs=("K8", "S10"),
        fsbp=("ECS.5",),
        prowler=("ecs_task_definitions_containers_readonly_access",),
    )
)
def ecs_read_only_root(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    for definition in inventory["workload"]["task_definitions"]:
        for c in definition["containers"]:
            on = c["read_only_root"]
            yield Result(Status.PASS if on else Status.FAIL, f"{definition['arn'].split('/')[-1]}:{c['name']}",
                         f"read-only root filesystem: {on}", {"read_only_root": on})  # fmt: skip


@check(
    CheckMeta(
        id="logs_kms_encrypted",
        title="Log groups are encrypted with the environment's own key",
        severity=Severity.MEDIUM,
        risk="Logs hold request data; with a key of its own the environment controls, audits and can revoke "
        "who reads them.",
        remediation="Give each log group the environment's KMS key (kms_key_id); the key policy lets CloudWatch "
        "Logs use it.",
        references=(),
        needs=("log_groups",),
        policy_rule="log-groups-kms-encrypted",
        ksbs=("K16",),
        prowler=("cloudwatch_log_group_kms_encryption_enabled",),
    )
)
def logs_kms_encrypted(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    for group in inventory["log_groups"]:
        if not thresholds.logs_kms_encrypted:
            yield Result(Status.SKIPPED, group["name"], f"not required in {thresholds.tier}")
            continue
        key = group["kms_key_id"]
        yield Result(Status.PASS if key else Status.FAIL, group["name"],
                     f"KMS key {key}" if key else "no key of its own", {"kms_key_id": key, "source": group["source"]})  # fmt: skip
