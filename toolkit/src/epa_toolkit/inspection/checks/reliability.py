"""Reliability: does the environment survive the loss of a task, an instance or a zone, and
recover from a bad deploy? Zones, NAT gateways, load balancer targets, the service's tasks,
autoscaling and the database's standby and backups."""

from __future__ import annotations

from collections.abc import Iterator

from epa_toolkit.inspection.checks.base import RELIABILITY_PILLAR, database_flag, distinct_zones, registry
from epa_toolkit.inspection.inventory import Inventory
from epa_toolkit.inspection.model import CheckMeta, Result, Severity, Status, Thresholds

CHECKS, check = registry("reliability")


@check(
    CheckMeta(
        id="vpc_multi_az_subnets",
        title="Public and private subnets in several zones",
        severity=Severity.HIGH,
        risk="A zone outage takes the whole service down.",
        remediation="Add public and private subnets in at least two availability zones (azCount).",
        references=(RELIABILITY_PILLAR + "use-fault-isolation-to-protect-your-workload.html",),
        needs=("network",),
        policy_rule="subnets-span-zones",
        ksbs=("K21",),
        fsbp=(),
        prowler=("vpc_subnet_different_az", "vpc_subnet_separate_private_public"),
    )
)
def vpc_multi_az_subnets(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    for vpc in inventory["network"]["vpcs"]:
        subnets = [s for s in inventory["network"]["subnets"] if s["vpc_id"] == vpc["id"]]
        zones = {
            network_tier: distinct_zones([s for s in subnets if s["network_tier"] == network_tier])
            for network_tier in ("public", "private")
        }
        ok = all(len(z) >= thresholds.min_zones for z in zones.values())
        yield Result(
            Status.PASS if ok else Status.FAIL,
            vpc["id"],
            f"public subnets in {len(zones['public'])} zones, private in {len(zones['private'])}; need {thresholds.min_zones}",
            {"public_zones": zones["public"], "private_zones": zones["private"]},
        )


@check(
    CheckMeta(
        id="vpc_nat_per_az",
        title="Each zone leaves through its own NAT gateway",
        severity=Severity.MEDIUM,
        risk="If the zone holding a shared NAT gateway fails, tasks in other zones lose outbound access.",
        remediation="Use natGateways: per_az in prod.",
        references=(RELIABILITY_PILLAR + "plan-your-network-topology.html",),
        needs=("network",),
        policy_rule="nat-gateway-per-zone",
        ksbs=("K21",),
        fsbp=(),
        prowler=(),
    )
)
def vpc_nat_per_az(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    if not thresholds.nat_gateway_per_zone:
        yield Result(
            Status.SKIPPED,
            "-",
            f"not required in {thresholds.tier}: one shared NAT gateway saves cost",
        )
        return
    nat_zone = {n["id"]: n["az"] for n in inventory["network"]["nat_gateways"]}
    for subnet in (s for s in inventory["network"]["subnets"] if s["network_tier"] == "private"):
        nat = subnet.get("default_route_nat")
        same = nat is not None and nat_zone.get(nat) == subnet["az"]
        yield Result(
            Status.PASS if same else Status.FAIL,
            subnet["id"],
            f"default route via {nat or 'no NAT gateway'} in {nat_zone.get(nat, '-')}, subnet in {subnet['az']}",
            {"subnet_zone": subnet["az"], "nat_gateway": nat, "nat_zone": nat_zone.get(nat)},
        )


@check(
    CheckMeta(
        id="alb_multi_az",
        title="Load balancer spans several zones",
        severity=Severity.HIGH,
        risk="A single-zone load balancer is a single point of failure.",
        remediation="Attach public subnets in at least two zones.",
        references=(RELIABILITY_PILLAR,),
        needs=("load_balancers",),
        ksbs=("K21",),
        fsbp=("ELB.13",),
        prowler=("elbv2_is_in_multiple_az",),
    )
)
def alb_multi_az(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    for lb in inventory["load_balancers"]:
        yield Result(
            Status.PASS if len(lb["azs"]) >= thresholds.min_zones else Status.FAIL,
            lb["name"],
            f"enabled in {len(lb['azs'])} zones",
            {"zones": lb["azs"]},
        )


@check(
    CheckMeta(
        id="alb_targets_healthy",
        title="Every target group has healthy targets in each zone",
        severity=Severity.HIGH,
        risk="Unhealthy or missing targets mean failed requests or no spare capacity.",
        remediation="Check the tasks' logs and /readyz; fix, or roll back the deployment.",
        references=(RELIABILITY_PILLAR + "monitor-workload-resources.html",),
        needs=("load_balancers",),
        ksbs=("K11", "B3"),
        fsbp=(),
        prowler=(),
    )
)
def alb_targets_healthy(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    for lb in inventory["load_balancers"]:
        for group in lb["target_groups"]:
            states = [target["state"] for target in group["targets"]]
            healthy_zones = distinct_zones([x for x in group["targets"] if x["state"] == "healthy"])
            unhealthy = [x["id"] for x in group["targets"] if x["state"] == "unhealthy"]
            zones_known = all(x.get("az") for x in group["targets"])
            # Targets' zones are known in AWS (moto omits them): spread over min_azs zones.
            spread = not zones_known or len(healthy_zones) >= min(thresholds.min_zones, len(states))
            ok = "healthy" in states and not unhealthy and spread
            yield Result(
                Status.PASS if ok else Status.FAIL,
                group["name"],
                f"{states.count('healthy')} healthy, {len(unhealthy)} unhealthy targets",
                {"states": states, "unhealthy": unhealthy, "healthy_zones": healthy_zones},
            )


@check(
    CheckMeta(
        id="alb_deletion_protection",
        title="Load balancer deletion protection",
        severity=Severity.MEDIUM,
        risk="A mistaken delete takes prod offline.",
        remediation="Set albDeletionProtection: true for prod.",
        references=(RELIABILITY_PILLAR,),
        needs=("load_balancers",),
        ksbs=("K21",),
        fsbp=("ELB.6",),
        prowler=("elbv2_deletion_protection",),
    )
)
def alb_deletion_protection(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    for lb in inventory["load_balancers"]:
        if not thresholds.alb_deletion_protection:
            yield Result(Status.SKIPPED, lb["name"], f"not required in {thresholds.tier}")
        else:
            on = lb["deletion_protection"]
            yield Result(
                Status.PASS if on else Status.FAIL,
                lb["name"],
                f"deletion protection {'on' if on else 'off'}",
                {"deletion_protection": on},
            )


@check(
    CheckMeta(
        id="ecs_service_min_tasks",
        title="Service runs its minimum number of tasks",
        severity=Severity.HIGH,
        risk="Too few tasks: one failure is an outage.",
        remediation="Raise minTasks; check why tasks stop (events, logs).",
        references=(RELIABILITY_PILLAR,),
        needs=("ecs",),
        policy_rule="ecs-service-redundant",
        ksbs=("K21",),
        fsbp=(),
        prowler=(),
    )
)
def ecs_service_min_tasks(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    for s in inventory["ecs"]["services"]:
        primary = next((d for d in s["deployments"] if d["status"] == "PRIMARY"), {})
        ok = (
            s["desired"] >= thresholds.min_tasks
            and s["running"] == s["desired"]
            and primary.get("rollout_state") in (None, "COMPLETED")
        )
        yield Result(
            Status.PASS if ok else Status.FAIL,
            s["name"],
            f"desired {s['desired']}, running {s['running']}, primary deployment {primary.get('rollout_state')}; need {thresholds.min_tasks}",
            {
                "desired": s["desired"],
                "running": s["running"],
                "rollout_state": primary.get("rollout_state"),
            },
        )


@check(
    CheckMeta(
        id="ecs_service_multi_az",
        title="Tasks are spread across zones",
        severity=Severity.HIGH,
        risk="Tasks in one zone all fail with it.",
        remediation="Give the service private subnets in several zones.",
        references=(RELIABILITY_PILLAR,),
        needs=("ecs", "network"),
        ksbs=("K21",),
        fsbp=(),
        prowler=(),
    )
)
def ecs_service_multi_az(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    subnet_zone = {s["id"]: s["az"] for s in inventory["network"]["subnets"]}
    for s in inventory["ecs"]["services"]:
        subnet_zones = sorted({subnet_zone.get(x, "?") for x in s["subnets"]})
        task_zones = sorted(set(s["task_azs"]))
        if task_zones:
            ok = len(subnet_zones) >= 2 and len(task_zones) >= min(2, s["running"])
            message = f"subnets in {len(subnet_zones)} zones, running tasks in {len(task_zones)}"
        else:  # tasks' zones not reported: Fargate spreads tasks evenly over the service's subnets
            ok = len(subnet_zones) >= 2
            message = f"subnets in {len(subnet_zones)} zones (task zones not reported)"
        yield Result(
            Status.PASS if ok else Status.FAIL,
            s["name"],
            message,
            {"subnet_zones": subnet_zones, "task_zones": task_zones},
        )


@check(
    CheckMeta(
        id="ecs_service_circuit_breaker",
        title="Deployment circuit breaker with rollback",
        severity=Severity.HIGH,
        risk="A broken release keeps replacing healthy tasks until someone notices.",
        remediation="Enable the deployment circuit breaker with rollback.",
        references=(RELIABILITY_PILLAR,),
        needs=("ecs",),
        policy_rule="ecs-circuit-breaker",
        ksbs=("S15", "B3"),
        fsbp=(),
        prowler=(),
    )
)
def ecs_service_circuit_breaker(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    for s in inventory["ecs"]["services"]:
        cb = s.get("circuit_breaker") or {}  # moto drops it on create: missing means off
        ok = bool(cb.get("enable") and cb.get("rollback"))
        yield Result(
            Status.PASS if ok else Status.FAIL,
            s["name"],
            f"circuit breaker {cb or 'not configured'}",
            {"circuit_breaker": cb},
        )


@check(
    CheckMeta(
        id="ecs_service_autoscaling",
        title="Service autoscales from its minimum",
        severity=Severity.MEDIUM,
        risk="No headroom for load peaks, or scaling below the safe minimum.",
        remediation="Register a scalable target (min >= minTasks, max > min) with a target-tracking policy.",
        references=(RELIABILITY_PILLAR + "design-your-workload-to-adapt-to-changes-in-demand.html",),
        needs=("ecs",),
        ksbs=("K21",),
        fsbp=(),
        prowler=(),
    )
)
def ecs_service_autoscaling(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    for s in inventory["ecs"]["services"]:
        scaling = s.get("scaling")
        ok = (
            bool(scaling)
            and scaling["min"] >= thresholds.min_tasks
            and scaling["max"] > scaling["min"]
            and scaling["policies"] >= 1
        )
        yield Result(
            Status.PASS if ok else Status.FAIL,
            s["name"],
            f"scaling {scaling or 'not registered'}",
            {"scaling": scaling},
        )


@check(
    CheckMeta(
        id="rds_multi_az",
        title="Database has a standby in another zone",
        severity=Severity.HIGH,
        risk="A zone or instance failure stops the database until it is rebuilt.",
        remediation="Set dbMultiAz: true (the tier guarantees db_multi_az).",
        references=(RELIABILITY_PILLAR,),
        needs=("rds",),
        policy_rule="rds-multi-az",
        ksbs=("K12", "S7"),
        fsbp=("RDS.5",),
        prowler=("rds_instance_multi_az",),
    )
)
def rds_multi_az(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    if not thresholds.db_multi_az:
        for db in inventory["rds"]["instances"]:
            yield Result(
                Status.SKIPPED,
                db["id"],
                f"single-AZ by design in {thresholds.tier}",
                {"multi_az": db["multi_az"]},
            )
        return
    yield from database_flag(inventory, thresholds, "multi_az", label="Multi-AZ")


@check(
    CheckMeta(
        id="rds_backups",
        title="Automated backups kept long enough",
        severity=Severity.HIGH,
        risk="Data lost beyond the retention window cannot be recovered.",
        remediation="Raise dbBackupRetentionDays.",
        references=(RELIABILITY_PILLAR + "back-up-data.html",),
        needs=("rds",),
        policy_rule="rds-backup-retention",
        ksbs=("K12",),
        fsbp=("RDS.11",),
        prowler=("rds_instance_backup_enabled",),
    )
)
def rds_backups(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    for db in inventory["rds"]["instances"]:
        days = db["backup_retention"]
        yield Result(
            Status.PASS if days >= thresholds.min_backup_days else Status.FAIL,
            db["id"],
            f"{days} days of backups; need {thresholds.min_backup_days}",
            {"backup_retention_days": days},
        )


@check(
    CheckMeta(
        id="rds_deletion_protection",
        title="Database deletion protection",
        severity=Severity.MEDIUM,
        risk="A mistaken delete drops the data.",
        remediation="Set dbDeletionProtection: true.",
        references=(),
        needs=("rds",),
        policy_rule="rds-deletion-protection",
        ksbs=("K12",),
        fsbp=("RDS.8",),
        prowler=("rds_instance_deletion_protection",),
    )
)
def rds_deletion_protection(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    yield from database_flag(
        inventory,
        thresholds,
        "deletion_protection",
        required=thresholds.db_deletion_protection,
        label="deletion protection",
    )


@check(
    CheckMeta(
        id="rds_subnet_group_multi_az",
        title="Database subnet group spans zones",
        severity=Severity.LOW,
        risk="A failover has nowhere to go.",
        remediation="Use isolated subnets in several zones.",
        references=(RELIABILITY_PILLAR,),
        needs=("rds",),
        ksbs=("K12",),
        fsbp=(),
        prowler=(),
    )
)
def rds_subnet_group_multi_az(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    for db in inventory["rds"]["instances"]:
        zones = sorted(set(db["subnet_azs"]))
        yield Result(
            Status.PASS if len(zones) >= 2 else Status.FAIL,
            db["id"],
            f"subnet group in {len(zones)} zones",
            {"zones": zones},
        )
