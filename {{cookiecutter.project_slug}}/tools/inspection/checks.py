"""Reliability checks: pure functions over the inventory (see collect.py for its shape).

Each check returns (status, resource, message, evidence) tuples; evidence holds the
observed fields, so a person can verify the finding by hand in the console or the CLI.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from tools.inspection.model import CheckMeta, Severity, Status, Thresholds

Result = tuple[Status, str, str, dict]
WAF = "https://docs.aws.amazon.com/wellarchitected/latest/reliability-pillar/"
REGISTRY: list[tuple[CheckMeta, Callable[[dict, Thresholds], Iterator[Result]]]] = []


def check(**meta) -> Callable:
    def register(function):
        REGISTRY.append((CheckMeta(**meta), function))
        return function

    return register


def _zones(items, key="az") -> list[str]:
    return sorted({item[key] for item in items if item.get(key)})


@check(id="vpc_multi_az_subnets", title="Public and private subnets in several zones", pillar="reliability",
       severity=Severity.HIGH, risk="A zone outage takes the whole service down.",
       remediation="Add public and private subnets in at least two availability zones (azCount).",
       references=(WAF + "use-fault-isolation-to-protect-your-workload.html", "FSBP EC2.x"), needs=("network",))  # fmt: skip
def vpc_multi_az_subnets(inv, t):
    for vpc in inv["network"]["vpcs"]:
        subnets = [s for s in inv["network"]["subnets"] if s["vpc_id"] == vpc["id"]]
        zones = {
            tier: _zones([s for s in subnets if s["tier"] == tier])
            for tier in ("public", "private")
        }
        ok = all(len(z) >= t.min_zones for z in zones.values())
        yield (Status.PASS if ok else Status.FAIL, vpc["id"],
               f"public subnets in {len(zones['public'])} zones, private in {len(zones['private'])}; need {t.min_zones}",
               {"public_zones": zones["public"], "private_zones": zones["private"]})  # fmt: skip


@check(id="vpc_nat_per_az", title="Each zone leaves through its own NAT gateway", pillar="reliability",
       severity=Severity.MEDIUM, risk="If the zone holding a shared NAT gateway fails, tasks in other zones lose outbound access.",
       remediation="Use natGateways: per_az in prod.", references=(WAF + "plan-your-network-topology.html",),
       needs=("network",))  # fmt: skip
def vpc_nat_per_az(inv, t):
    if not t.nat_gateway_per_zone:
        yield (
            Status.SKIPPED,
            "-",
            f"not required in {t.tier}: one shared NAT gateway saves cost",
            {},
        )
        return
    nat_zone = {n["id"]: n["az"] for n in inv["network"]["nat_gateways"]}
    for subnet in (s for s in inv["network"]["subnets"] if s["tier"] == "private"):
        nat = subnet.get("default_route_nat")
        same = nat is not None and nat_zone.get(nat) == subnet["az"]
        yield (Status.PASS if same else Status.FAIL, subnet["id"],
               f"default route via {nat or 'no NAT gateway'} in {nat_zone.get(nat, '-')}, subnet in {subnet['az']}",
               {"subnet_zone": subnet["az"], "nat_gateway": nat, "nat_zone": nat_zone.get(nat)})  # fmt: skip


@check(id="alb_multi_az", title="Load balancer spans several zones", pillar="reliability", severity=Severity.HIGH,
       risk="A single-zone load balancer is a single point of failure.",
       remediation="Attach public subnets in at least two zones.", references=(WAF,), needs=("load_balancers",))  # fmt: skip
def alb_multi_az(inv, t):
    for lb in inv["load_balancers"]:
        yield (Status.PASS if len(lb["azs"]) >= t.min_zones else Status.FAIL, lb["name"],
               f"enabled in {len(lb['azs'])} zones", {"zones": lb["azs"]})  # fmt: skip


@check(id="alb_targets_healthy", title="Every target group has healthy targets in each zone", pillar="reliability",
       severity=Severity.HIGH, risk="Unhealthy or missing targets mean failed requests or no spare capacity.",
       remediation="Check the tasks' logs and /readyz; fix, or roll back the deployment.",
       references=(WAF + "monitor-workload-resources.html",), needs=("load_balancers",))  # fmt: skip
def alb_targets_healthy(inv, t):
    for lb in inv["load_balancers"]:
        for group in lb["target_groups"]:
            states = [target["state"] for target in group["targets"]]
            healthy_zones = _zones([x for x in group["targets"] if x["state"] == "healthy"])
            unhealthy = [x["id"] for x in group["targets"] if x["state"] == "unhealthy"]
            zones_known = all(x.get("az") for x in group["targets"])
            # Targets' zones are known in AWS (moto omits them): spread over min_azs zones.
            spread = not zones_known or len(healthy_zones) >= min(t.min_zones, len(states))
            ok = "healthy" in states and not unhealthy and spread
            yield (Status.PASS if ok else Status.FAIL, group["name"],
                   f"{states.count('healthy')} healthy, {len(unhealthy)} unhealthy targets",
                   {"states": states, "unhealthy": unhealthy, "healthy_zones": healthy_zones})  # fmt: skip


@check(id="alb_deletion_protection", title="Load balancer deletion protection", pillar="reliability",
       severity=Severity.MEDIUM, risk="A mistaken delete takes prod offline.",
       remediation="Set albDeletionProtection: true for prod.", references=(WAF,), needs=("load_balancers",))  # fmt: skip
def alb_deletion_protection(inv, t):
    for lb in inv["load_balancers"]:
        if not t.alb_deletion_protection:
            yield Status.SKIPPED, lb["name"], f"not required in {t.tier}", {}
        else:
            on = lb["deletion_protection"]
            yield (
                Status.PASS if on else Status.FAIL,
                lb["name"],
                f"deletion protection {'on' if on else 'off'}",
                {"deletion_protection": on},
            )


@check(id="ecs_service_min_tasks", title="Service runs its minimum number of tasks", pillar="reliability",
       severity=Severity.HIGH, risk="Too few tasks: one failure is an outage.",
       remediation="Raise minTasks; check why tasks stop (events, logs).", references=(WAF,), needs=("ecs",))  # fmt: skip
def ecs_service_min_tasks(inv, t):
    for s in inv["ecs"]["services"]:
        primary = next((d for d in s["deployments"] if d["status"] == "PRIMARY"), {})
        ok = (
            s["desired"] >= t.min_tasks
            and s["running"] == s["desired"]
            and primary.get("rollout_state") in (None, "COMPLETED")
        )
        yield (Status.PASS if ok else Status.FAIL, s["name"],
               f"desired {s['desired']}, running {s['running']}, primary deployment {primary.get('rollout_state')}; need {t.min_tasks}",
               {"desired": s["desired"], "running": s["running"], "rollout_state": primary.get("rollout_state")})  # fmt: skip


@check(id="ecs_service_multi_az", title="Tasks are spread across zones", pillar="reliability", severity=Severity.HIGH,
       risk="Tasks in one zone all fail with it.", remediation="Give the service private subnets in several zones.",
       references=(WAF,), needs=("ecs", "network"))  # fmt: skip
def ecs_service_multi_az(inv, t):
    subnet_zone = {s["id"]: s["az"] for s in inv["network"]["subnets"]}
    for s in inv["ecs"]["services"]:
        subnet_zones = sorted({subnet_zone.get(x, "?") for x in s["subnets"]})
        task_zones = sorted(set(s["task_azs"]))
        if task_zones:
            ok = len(subnet_zones) >= 2 and len(task_zones) >= min(2, s["running"])
            message = f"subnets in {len(subnet_zones)} zones, running tasks in {len(task_zones)}"
        else:  # tasks' zones not reported: Fargate spreads tasks evenly over the service's subnets
            ok = len(subnet_zones) >= 2
            message = f"subnets in {len(subnet_zones)} zones (task zones not reported)"
        yield (Status.PASS if ok else Status.FAIL, s["name"], message,
               {"subnet_zones": subnet_zones, "task_zones": task_zones})  # fmt: skip


@check(id="ecs_service_circuit_breaker", title="Deployment circuit breaker with rollback", pillar="reliability",
       severity=Severity.HIGH, risk="A broken release keeps replacing healthy tasks until someone notices.",
       remediation="Enable the deployment circuit breaker with rollback.", references=(WAF,), needs=("ecs",))  # fmt: skip
def ecs_service_circuit_breaker(inv, t):
    for s in inv["ecs"]["services"]:
        cb = s.get("circuit_breaker") or {}  # moto drops it on create: missing means off
        ok = bool(cb.get("enable") and cb.get("rollback"))
        yield (
            Status.PASS if ok else Status.FAIL,
            s["name"],
            f"circuit breaker {cb or 'not configured'}",
            {"circuit_breaker": cb},
        )


@check(id="ecs_service_autoscaling", title="Service autoscales from its minimum", pillar="reliability",
       severity=Severity.MEDIUM, risk="No headroom for load peaks, or scaling below the safe minimum.",
       remediation="Register a scalable target (min >= minTasks, max > min) with a target-tracking policy.",
       references=(WAF + "design-your-workload-to-adapt-to-changes-in-demand.html",), needs=("ecs",))  # fmt: skip
def ecs_service_autoscaling(inv, t):
    for s in inv["ecs"]["services"]:
        scaling = s.get("scaling")
        ok = (
            bool(scaling)
            and scaling["min"] >= t.min_tasks
            and scaling["max"] > scaling["min"]
            and scaling["policies"] >= 1
        )
        yield (
            Status.PASS if ok else Status.FAIL,
            s["name"],
            f"scaling {scaling or 'not registered'}",
            {"scaling": scaling},
        )


def _db_check(inv, t, field, *, required=True, label=""):
    for db in inv["rds"]["instances"]:
        if not required:
            yield Status.SKIPPED, db["id"], f"not required in {t.tier}", {}
            continue
        value = db[field]
        yield Status.PASS if value else Status.FAIL, db["id"], f"{label}: {value}", {field: value}


@check(id="rds_multi_az", title="Database has a standby in another zone", pillar="reliability", severity=Severity.HIGH,
       risk="A zone or instance failure stops the database until it is rebuilt.",
       remediation="Set dbMultiAz: true (staging, prod).", references=(WAF, "FSBP RDS.5"), needs=("rds",))  # fmt: skip
def rds_multi_az(inv, t):
    if not t.db_multi_az:
        for db in inv["rds"]["instances"]:
            yield (
                Status.SKIPPED,
                db["id"],
                f"single-AZ by design in {t.tier}",
                {"multi_az": db["multi_az"]},
            )
        return
    yield from _db_check(inv, t, "multi_az", label="Multi-AZ")


@check(id="rds_backups", title="Automated backups kept long enough", pillar="reliability", severity=Severity.HIGH,
       risk="Data lost beyond the retention window cannot be recovered.",
       remediation="Raise dbBackupRetentionDays.", references=(WAF + "back-up-data.html", "FSBP RDS.11"), needs=("rds",))  # fmt: skip
def rds_backups(inv, t):
    for db in inv["rds"]["instances"]:
        days = db["backup_retention"]
        yield (Status.PASS if days >= t.min_backup_days else Status.FAIL, db["id"],
               f"{days} days of backups; need {t.min_backup_days}", {"backup_retention_days": days})  # fmt: skip


@check(id="rds_deletion_protection", title="Database deletion protection", pillar="reliability",
       severity=Severity.MEDIUM, risk="A mistaken delete drops the data.", remediation="Set dbDeletionProtection: true.",
       references=("FSBP RDS.8",), needs=("rds",))  # fmt: skip
def rds_deletion_protection(inv, t):
    yield from _db_check(
        inv,
        t,
        "deletion_protection",
        required=t.db_deletion_protection,
        label="deletion protection",
    )


@check(id="rds_subnet_group_multi_az", title="Database subnet group spans zones", pillar="reliability",
       severity=Severity.LOW, risk="A failover has nowhere to go.", remediation="Use isolated subnets in several zones.",
       references=(WAF,), needs=("rds",))  # fmt: skip
def rds_subnet_group_multi_az(inv, t):
    for db in inv["rds"]["instances"]:
        zones = sorted(set(db["subnet_azs"]))
        yield (
            Status.PASS if len(zones) >= 2 else Status.FAIL,
            db["id"],
            f"subnet group in {len(zones)} zones",
            {"zones": zones},
        )


# --- security ---------------------------------------------------------------------------
FSBP = "AWS Foundational Security Best Practices"
ANYWHERE = ("0.0.0.0/0", "::/0")


def _opens(rule: dict, ports: tuple[int, ...]) -> bool:
    if rule["protocol"] == "-1":
        return True
    low, high = rule["from"] or 0, rule["to"] or 65535
    return any(low <= port <= high for port in ports)


@check(id="sg_no_public_admin_ports", title="No admin or database port open to the internet", pillar="security",
       severity=Severity.CRITICAL, risk="Anyone on the internet can try to log in to shells or databases.",
       remediation="Remove the 0.0.0.0/0 rule; reach admin ports through SSM or a VPN.",
       references=(f"{FSBP} EC2.19", "Prowler ec2_securitygroup_allow_ingress_from_internet_to_any_port"),
       needs=("network",))  # fmt: skip
def sg_no_public_admin_ports(inv, t):
    for group in inv["network"]["security_groups"]:
        open_rules = [r for r in group["ingress"] if set(r["sources"]) & set(ANYWHERE)]
        # 80/443 from anywhere is the point of an internet-facing load balancer: only
        # admin/database ports and "all traffic" count (Prowler's most reported false positive).
        bad = [r for r in open_rules if _opens(r, t.closed_ports)]
        yield (Status.FAIL if bad else Status.PASS, group["id"],
               f"{len(bad)} rule(s) open admin or database ports to the internet" if bad else "no admin port open to the internet",
               {"open_to_internet": open_rules})  # fmt: skip


@check(id="sg_default_closed", title="Default security groups have no rules", pillar="security", severity=Severity.MEDIUM,
       risk="Anything launched without a group gets the default one, and its rules.",
       remediation="Manage the default group with no rules (DefaultSecurityGroup).", references=(f"{FSBP} EC2.2",),
       needs=("network",))  # fmt: skip
def sg_default_closed(inv, t):
    for group in (g for g in inv["network"]["security_groups"] if g["default"]):
        rules = len(group["ingress"]) + len(group["egress"])
        yield (
            Status.PASS if rules == 0 else Status.FAIL,
            group["id"],
            f"{rules} rule(s)",
            {"ingress": group["ingress"], "egress": group["egress"]},
        )


@check(id="alb_https_only", title="No plain HTTP from the internet reaches the app", pillar="security", severity=Severity.HIGH,
       risk="Plain HTTP on a public network exposes users' data and sessions.",
       remediation="Internet-facing: add an HTTPS listener and make HTTP only redirect to it. Without a domain: "
                   "an internal load balancer behind a CloudFront VPC origin.",
       references=(f"{FSBP} ELB.1",), needs=("load_balancers",))  # fmt: skip
def alb_https_only(inv, t):
    for lb in inv["load_balancers"]:
        if lb["scheme"] == "internal":
            # No public address: only what is inside the VPC (a CloudFront VPC origin) reaches it.
            yield (Status.PASS, lb["name"], "internal: no public address, plain HTTP stays inside the VPC",
                   {"scheme": lb["scheme"], "listeners": lb["listeners"]})  # fmt: skip
            continue
        forwarding = [li for li in lb["listeners"] if li["protocol"] == "HTTP" and li["forwards"]]
        plain = [
            li
            for li in lb["listeners"]
            if li["protocol"] == "HTTP" and not li["redirects_to_https"]
        ]
        https = [li for li in lb["listeners"] if li["protocol"] == "HTTPS"]
        ok = not forwarding and not plain and bool(https)
        message = ("HTTPS; HTTP only redirects" if ok
                   else f"{len(forwarding)} HTTP listener(s) forward to the app" if forwarding
                   else f"{len(plain)} HTTP listener(s) do not redirect to HTTPS" if plain
                   else "no HTTPS listener")  # fmt: skip
        yield (Status.PASS if ok else Status.FAIL, lb["name"], message,
               {"scheme": lb["scheme"], "listeners": lb["listeners"]})  # fmt: skip


@check(id="cloudfront_no_plain_http", title="CloudFront uses HTTPS to viewers and to origins across the internet",
       pillar="security", severity=Severity.HIGH,
       risk="A distribution that lets viewers use HTTP, or reaches a public origin over HTTP, exposes users' data "
            "on the internet behind an HTTPS address.",
       remediation="Viewer protocol policy redirect-to-https; a custom origin https-only, or a VPC origin to an "
                   "internal load balancer.",
       references=(f"{FSBP} CloudFront.3", f"{FSBP} CloudFront.9"),
       needs=("cloudfront",))  # fmt: skip
def cloudfront_no_plain_http(inv, t):
    if not inv["cloudfront"]:
        yield Status.SKIPPED, "-", "no CloudFront distribution (the load balancer is the edge)", {}
    for distribution in inv["cloudfront"]:
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
        message = ("viewers redirected to HTTPS; no origin reached by plain HTTP across the internet" if ok
                   else f"viewers may use plain HTTP ({', '.join(viewers_http)})" if viewers_http
                   else f"origin(s) {', '.join(plain)} reached by plain HTTP across the internet")  # fmt: skip
        yield (Status.PASS if ok else Status.FAIL, distribution["id"], message,
               {"viewer_protocol_policies": distribution["viewer_protocol_policies"],
                "origins": distribution["origins"]})  # fmt: skip


@check(id="alb_tls_policy", title="HTTPS listeners refuse TLS below 1.2", pillar="security", severity=Severity.MEDIUM,
       risk="Old TLS versions have known weaknesses.", remediation="Use ELBSecurityPolicy-TLS13-1-2-2021-06.",
       references=(f"{FSBP} ELB.17",), needs=("load_balancers",))  # fmt: skip
def alb_tls_policy(inv, t):
    modern = (
        "ELBSecurityPolicy-TLS13-1-2",
        "ELBSecurityPolicy-TLS-1-2",
        "ELBSecurityPolicy-FS-1-2",
    )
    for lb in inv["load_balancers"]:
        if lb["scheme"] == "internal" and not any(
            x["protocol"] == "HTTPS" for x in lb["listeners"]
        ):
            yield (
                Status.SKIPPED,
                lb["name"],
                "internal, no HTTPS listener: users' TLS ends at CloudFront",
                {},
            )
        for li in (x for x in lb["listeners"] if x["protocol"] == "HTTPS"):
            ok = str(li["ssl_policy"]).startswith(modern)
            yield (
                Status.PASS if ok else Status.FAIL,
                f"{lb['name']}:{li['port']}",
                f"policy {li['ssl_policy']}",
                {"ssl_policy": li["ssl_policy"]},
            )


@check(id="rds_encrypted", title="Database storage encrypted", pillar="security", severity=Severity.HIGH,
       risk="Disks, snapshots and backups readable if they leak.", remediation="Create the database with storage encryption (KMS).",
       references=(f"{FSBP} RDS.3",), needs=("rds",))  # fmt: skip
def rds_encrypted(inv, t):
    yield from _db_check(inv, t, "encrypted", label="storage encrypted")


@check(id="rds_not_public", title="Database not publicly accessible", pillar="security", severity=Severity.CRITICAL,
       risk="The database answers on the internet.", remediation="Set publicly_accessible false; keep it in isolated subnets.",
       references=(f"{FSBP} RDS.2",), needs=("rds",))  # fmt: skip
def rds_not_public(inv, t):
    for db in inv["rds"]["instances"]:
        yield (
            Status.FAIL if db["public"] else Status.PASS,
            db["id"],
            f"publicly accessible: {db['public']}",
            {"public": db["public"]},
        )


@check(id="ecs_service_no_public_ip", title="Tasks have no public IP", pillar="security", severity=Severity.HIGH,
       risk="Tasks reachable from the internet, around the load balancer and WAF.",
       remediation="Run tasks in private subnets with assignPublicIp DISABLED.", references=(f"{FSBP} ECS.2",), needs=("ecs",))  # fmt: skip
def ecs_service_no_public_ip(inv, t):
    for s in inv["ecs"]["services"]:
        yield (
            Status.FAIL if s["assign_public_ip"] else Status.PASS,
            s["name"],
            f"assign public IP: {s['assign_public_ip']}",
            {"assign_public_ip": s["assign_public_ip"]},
        )


# --- observability ----------------------------------------------------------------------
@check(id="vpc_flow_logs", title="VPC flow logs record all traffic", pillar="observability", severity=Severity.MEDIUM,
       risk="No record of who talked to what during an incident.", remediation="Enable flow logs (ALL) to CloudWatch Logs.",
       references=(f"{FSBP} EC2.6",), needs=("network",))  # fmt: skip
def vpc_flow_logs(inv, t):
    for vpc in inv["network"]["vpcs"]:
        ok = "ALL" in vpc["flow_logs"]
        yield (
            Status.PASS if ok else Status.FAIL,
            vpc["id"],
            f"flow logs: {vpc['flow_logs'] or 'none'}",
            {"traffic_types": vpc["flow_logs"]},
        )


@check(id="alb_access_logs", title="Load balancer access logs on", pillar="observability", severity=Severity.MEDIUM,
       risk="No per-request record to investigate errors or attacks.", remediation="Enable access logs to a private bucket.",
       references=(f"{FSBP} ELB.5",), needs=("load_balancers",))  # fmt: skip
def alb_access_logs(inv, t):
    for lb in inv["load_balancers"]:
        on = lb.get("access_logs", False)
        yield (
            Status.PASS if on else Status.FAIL,
            lb["name"],
            f"access logs {'on' if on else 'off'}",
            {"access_logs": on},
        )


@check(id="ecs_container_insights", title="Container Insights on the cluster", pillar="observability", severity=Severity.LOW,
       risk="No per-task CPU, memory and network metrics to diagnose with.",
       remediation="Enable containerInsights on the cluster.", references=(f"{FSBP} ECS.12",), needs=("ecs",))  # fmt: skip
def ecs_container_insights(inv, t):
    for name, service in sorted({s["cluster"]: s for s in inv["ecs"]["services"]}.items()):
        value = service.get("container_insights", "disabled")
        yield (
            Status.PASS if value in ("enabled", "enhanced") else Status.FAIL,
            name,
            f"containerInsights {value}",
            {"containerInsights": value},
        )


# --- workload and alarms ----------------------------------------------------------------
SECRET_NAME = ("PASSWORD", "SECRET", "TOKEN", "API_KEY", "ACCESS_KEY", "PRIVATE_KEY")


@check(id="ecs_no_plaintext_secrets", title="Secrets reach tasks from Secrets Manager, not plain variables",
       pillar="security", severity=Severity.HIGH,
       risk="Plain environment values are visible to anyone who can read the task definition.",
       remediation="Move the value to Secrets Manager and reference it under `secrets`.",
       references=(f"{FSBP} ECS.8",), needs=("ecs", "workload"))  # fmt: skip
def ecs_no_plaintext_secrets(inv, t):
    for definition in inv["workload"]["task_definitions"]:
        for c in definition["containers"]:
            leaked = [
                name for name in c["env_names"] if any(word in name.upper() for word in SECRET_NAME)
            ]
            yield (Status.FAIL if leaked else Status.PASS, f"{definition['arn'].split('/')[-1]}:{c['name']}",
                   f"secret-looking plain variables: {leaked}" if leaked else f"{len(c['secret_names'])} secret(s) via Secrets Manager",
                   {"plain_variables": c["env_names"], "secrets": c["secret_names"]})  # fmt: skip


@check(id="ecs_logging", title="Every container sends its logs to CloudWatch", pillar="observability",
       severity=Severity.HIGH, risk="A failing task leaves no trace to diagnose.",
       remediation="Give each container the awslogs log driver.", references=(f"{FSBP} ECS.9",),
       needs=("ecs", "workload"))  # fmt: skip
def ecs_logging(inv, t):
    for definition in inv["workload"]["task_definitions"]:
        for c in definition["containers"]:
            ok = c["log_driver"] in ("awslogs", "awsfirelens")
            yield (Status.PASS if ok else Status.FAIL, f"{definition['arn'].split('/')[-1]}:{c['name']}",
                   f"log driver {c['log_driver']}", {"log_driver": c["log_driver"], "log_group": c["log_group"]})  # fmt: skip


@check(id="ecr_scan_on_push", title="Images are scanned when pushed", pillar="security", severity=Severity.MEDIUM,
       risk="Known vulnerabilities in the image go unnoticed.", remediation="Enable scan on push on the repository.",
       references=(f"{FSBP} ECR.1",), needs=("ecs", "workload"))  # fmt: skip
def ecr_scan_on_push(inv, t):
    for repo in inv["workload"]["repositories"]:
        on = repo["scan_on_push"]
        yield (
            Status.PASS if on else Status.FAIL,
            repo["name"],
            f"scan on push {'on' if on else 'off'}",
            {"scan_on_push": on},
        )


@check(id="logs_retention", title="Log groups keep logs for a set time", pillar="observability", severity=Severity.MEDIUM,
       risk="Logs kept forever cost money; logs kept too briefly cannot explain an incident.",
       remediation="Set retention (logRetentionDays) on the log group.", references=(f"{FSBP} CloudWatch.16",),
       needs=("ecs", "workload"))  # fmt: skip
def logs_retention(inv, t):
    for group in inv["workload"]["log_groups"]:
        days = group["retention_days"]
        ok = days is not None and days >= t.min_log_retention_days
        yield (Status.PASS if ok else Status.FAIL, group["name"],
               f"retention {days or 'never expires'} days; need {t.min_log_retention_days}+", {"retention_days": days})  # fmt: skip


@check(id="rds_monitoring", title="Database monitoring beyond the basics", pillar="observability", severity=Severity.LOW,
       risk="Slow queries and OS pressure are hard to diagnose without it.",
       remediation="Enable enhanced monitoring or Performance Insights (dbMonitoringInterval).",
       references=(f"{FSBP} RDS.6",), needs=("rds",))  # fmt: skip
def rds_monitoring(inv, t):
    for db in inv["rds"]["instances"]:
        if not t.db_monitoring:
            yield Status.SKIPPED, db["id"], f"off by design in {t.tier} (cost)", {}
            continue
        on = db.get("monitoring_interval", 0) > 0 or db.get("performance_insights", False)
        yield (Status.PASS if on else Status.FAIL, db["id"], f"enhanced monitoring {db.get('monitoring_interval', 0)} s, "
               f"Performance Insights {db.get('performance_insights', False)}",
               {"monitoring_interval": db.get("monitoring_interval"), "performance_insights": db.get("performance_insights")})  # fmt: skip


CORE_ALARMS = {
    "load balancer": (
        "AWS/ApplicationELB",
        ("HTTPCode_Target_5XX_Count", "UnHealthyHostCount", "TargetResponseTime"),
    ),
    "service": ("AWS/ECS", ("CPUUtilization", "MemoryUtilization")),
    "database": ("AWS/RDS", ("CPUUtilization", "FreeStorageSpace", "DatabaseConnections")),
}


@check(id="alarms_core_metrics", title="Alarms with actions on the core metrics", pillar="observability",
       severity=Severity.HIGH, risk="Errors, saturation or a full disk go unnoticed until users complain.",
       remediation="Create alarms (with an SNS action) on 5xx, unhealthy hosts, latency, CPU, memory, storage, connections.",
       references=("https://docs.aws.amazon.com/wellarchitected/latest/reliability-pillar/monitor-workload-resources.html",),
       needs=("alarms", "load_balancers", "ecs", "rds"))  # fmt: skip
def alarms_core_metrics(inv, t):
    def covered(namespace: str, metric: str, dimension: str, value: str) -> bool:
        return any(a["namespace"] == namespace and a["metric"] == metric and a["actions"] > 0
                   and a["dimensions"].get(dimension) == value for a in inv["alarms"])  # fmt: skip

    targets = [
        ("load balancer", lb["name"], "LoadBalancer", lb["arn"].split(":loadbalancer/")[-1])
        for lb in inv["load_balancers"]
    ]
    targets += [("service", s["name"], "ServiceName", s["name"]) for s in inv["ecs"]["services"]]
    targets += [
        ("database", db["id"], "DBInstanceIdentifier", db["id"]) for db in inv["rds"]["instances"]
    ]
    for kind, resource, dimension, value in targets:
        namespace, metrics = CORE_ALARMS[kind]
        missing = [m for m in metrics if not covered(namespace, m, dimension, value)]
        yield (Status.FAIL if missing else Status.PASS, resource,
               f"no alarm with an action on {', '.join(missing)}" if missing else f"{len(metrics)} core metrics alarmed",
               {"missing": missing, "required": list(metrics)})  # fmt: skip


# --- edge protection, storage, identity, keys ------------------------------------------
@check(id="alb_waf_attached", title="A web application firewall protects the load balancer", pillar="security",
       severity=Severity.HIGH, risk="Common web attacks reach the app unfiltered.",
       remediation="Associate a WAF web ACL with AWS managed rules (waf: true).", references=(f"{FSBP} WAF.2", "Prowler elbv2_waf_acl_attached"),
       needs=("load_balancers", "protection"))  # fmt: skip
def alb_waf_attached(inv, t):
    for lb in inv["load_balancers"]:
        if not t.waf:
            yield Status.SKIPPED, lb["name"], f"not required in {t.tier}", {}
            continue
        acl = inv["protection"].get(lb["name"], {}).get("web_acl")
        yield (
            Status.PASS if acl else Status.FAIL,
            lb["name"],
            f"web ACL {acl or 'none'}",
            {"web_acl": acl},
        )


@check(id="waf_logging", title="The web ACL logs what it sees", pillar="observability", severity=Severity.LOW,
       risk="Blocked attacks leave no record.", remediation="Send WAF logs to an aws-waf-logs-* log group.",
       references=(f"{FSBP} WAF.11",), needs=("load_balancers", "protection"))  # fmt: skip
def waf_logging(inv, t):
    for protection in (inv["protection"][name] for name in sorted(inv["protection"])):
        if protection["web_acl"]:
            on = protection["logging"]
            yield (
                Status.PASS if on else Status.FAIL,
                protection["web_acl"],
                f"logging {'on' if on else 'off'}",
                {"logging": on},
            )


@check(id="s3_public_access_blocked", title="Buckets block public access", pillar="security", severity=Severity.CRITICAL,
       risk="A policy or ACL mistake publishes the bucket's contents.",
       remediation="Turn on all four public access block settings.", references=(f"{FSBP} S3.8",),
       needs=("storage",))  # fmt: skip
def s3_public_access_blocked(inv, t):
    settings = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
    for bucket in inv["storage"]:
        block = bucket["public_access_block"]
        off = [s for s in settings if not block.get(s)]
        yield (Status.FAIL if off else Status.PASS, bucket["name"], f"off: {off}" if off else "all four settings on",
               {"public_access_block": block})  # fmt: skip


@check(id="s3_encryption", title="Buckets encrypt objects at rest", pillar="security", severity=Severity.MEDIUM,
       risk="Objects readable from the storage layer if it leaks.", remediation="Set default encryption (SSE-S3 or KMS).",
       references=(f"{FSBP} S3.4",), needs=("storage",))  # fmt: skip
def s3_encryption(inv, t):
    for bucket in inv["storage"]:
        ok = bucket["encryption"] in ("AES256", "aws:kms", "aws:kms:dsse")
        yield (
            Status.PASS if ok else Status.FAIL,
            bucket["name"],
            f"default encryption {bucket['encryption']}",
            {"sse": bucket["encryption"]},
        )


@check(id="s3_tls_only", title="Buckets refuse plain HTTP", pillar="security", severity=Severity.MEDIUM,
       risk="Requests without TLS can be read or changed on the way.",
       remediation="Add a Deny statement for aws:SecureTransport false.", references=(f"{FSBP} S3.5",), needs=("storage",))  # fmt: skip
def s3_tls_only(inv, t):
    for bucket in inv["storage"]:
        ok = bucket["denies_insecure_transport"]
        yield (
            Status.PASS if ok else Status.FAIL,
            bucket["name"],
            f"TLS-only policy {'present' if ok else 'missing'}",
            {"denies_insecure_transport": ok},
        )


@check(id="iam_workload_roles_least_privilege", title="Task roles are not administrators", pillar="security",
       severity=Severity.CRITICAL, risk="A compromised task could do anything in the account.",
       remediation="Grant only the actions the task needs, on its own resources.",
       references=(f"{FSBP} IAM.1",), needs=("identity",))  # fmt: skip
def iam_workload_roles_least_privilege(inv, t):
    for role in inv["identity"]:

        def wildcard(statement: dict) -> bool:
            actions = statement.get("Action", [])
            resources = statement.get("Resource", [])
            actions = [actions] if isinstance(actions, str) else actions
            resources = [resources] if isinstance(resources, str) else resources
            return statement.get("Effect") == "Allow" and "*" in actions and "*" in resources

        too_broad = [p for p in role["attached"] if p in ("AdministratorAccess", "PowerUserAccess")]
        too_broad += ["inline * on *" for s in role["statements"] if wildcard(s)]
        yield (Status.FAIL if too_broad else Status.PASS, role["name"],
               f"too broad: {too_broad}" if too_broad else f"{len(role['attached'])} managed, {len(role['statements'])} inline statement(s)",
               {"attached": role["attached"], "wildcards": too_broad})  # fmt: skip


@check(id="kms_rotation", title="Customer keys rotate", pillar="security", severity=Severity.MEDIUM,
       risk="A key in use for years widens what one leak exposes.", remediation="Enable automatic key rotation.",
       references=(f"{FSBP} KMS.4",), needs=("rds", "keys_and_secrets"))  # fmt: skip
def kms_rotation(inv, t):
    for key in inv["keys_and_secrets"]["keys"]:
        yield (
            Status.PASS if key["rotation"] else Status.FAIL,
            key["id"],
            f"rotation {'on' if key['rotation'] else 'off'}",
            {"rotation": key["rotation"]},
        )


@check(id="secrets_rotation", title="The database secret rotates", pillar="security", severity=Severity.MEDIUM,
       risk="A leaked password stays valid indefinitely.", remediation="Keep RDS-managed rotation on (every 7 days by default).",
       references=(f"{FSBP} SecretsManager.1",), needs=("rds", "keys_and_secrets"))  # fmt: skip
def secrets_rotation(inv, t):
    for secret in inv["keys_and_secrets"]["secrets"]:
        on = secret["rotation"]
        yield (
            Status.PASS if on else Status.FAIL,
            secret["arn"].split(":")[-1],
            f"rotation {'on' if on else 'off'}",
            {"rotation": on},
        )
