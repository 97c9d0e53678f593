"""Observability: when something goes wrong, will someone be told, and is there a record to
find out why? Logs and their retention, flow logs, access logs, metrics and alarms."""

from __future__ import annotations

from collections.abc import Iterator

from epa_toolkit.inspection.checks.base import registry
from epa_toolkit.inspection.inventory import Inventory
from epa_toolkit.inspection.model import CheckMeta, Result, Severity, Status, Thresholds

CHECKS, check = registry("observability")

# The metrics each kind of resource must alarm on (with an action): namespace, metrics.
CORE_ALARMS = {
    "load balancer": (
        "AWS/ApplicationELB",
        ("HTTPCode_Target_5XX_Count", "UnHealthyHostCount", "TargetResponseTime"),
    ),
    "service": ("AWS/ECS", ("CPUUtilization", "MemoryUtilization")),
    "database": ("AWS/RDS", ("CPUUtilization", "FreeStorageSpace", "DatabaseConnections")),
}


@check(
    CheckMeta(
        id="vpc_flow_logs",
        title="VPC flow logs record all traffic",
        severity=Severity.MEDIUM,
        risk="No record of who talked to what during an incident.",
        remediation="Enable flow logs (ALL) to CloudWatch Logs.",
        references=(),
        needs=("network",),
        ksbs=("K11", "S6"),
        fsbp=("EC2.6",),
        prowler=("vpc_flow_logs_enabled",),
    )
)
def vpc_flow_logs(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    for vpc in inventory["network"]["vpcs"]:
        ok = "ALL" in vpc["flow_logs"]
        yield Result(
            Status.PASS if ok else Status.FAIL,
            vpc["id"],
            f"flow logs: {vpc['flow_logs'] or 'none'}",
            {"traffic_types": vpc["flow_logs"]},
        )


@check(
    CheckMeta(
        id="alb_access_logs",
        title="Load balancer access logs on",
        severity=Severity.MEDIUM,
        risk="No per-request record to investigate errors or attacks.",
        remediation="Enable access logs to a private bucket.",
        references=(),
        needs=("load_balancers",),
        ksbs=("K11", "S19"),
        fsbp=("ELB.5",),
        prowler=("elbv2_logging_enabled",),
    )
)
def alb_access_logs(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    for lb in inventory["load_balancers"]:
        on = lb.get("access_logs", False)
        yield Result(
            Status.PASS if on else Status.FAIL,
            lb["name"],
            f"access logs {'on' if on else 'off'}",
            {"access_logs": on},
        )


@check(
    CheckMeta(
        id="ecs_container_insights",
        title="Container Insights on the cluster",
        severity=Severity.LOW,
        risk="No per-task CPU, memory and network metrics to diagnose with.",
        remediation="Enable containerInsights on the cluster.",
        references=(),
        needs=("ecs",),
        ksbs=("K11", "S6"),
        fsbp=("ECS.12",),
        prowler=("ecs_cluster_container_insights_enabled",),
    )
)
def ecs_container_insights(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    for name, service in sorted({s["cluster"]: s for s in inventory["ecs"]["services"]}.items()):
        value = service.get("container_insights", "disabled")
        yield Result(
            Status.PASS if value in ("enabled", "enhanced") else Status.FAIL,
            name,
            f"containerInsights {value}",
            {"containerInsights": value},
        )


@check(
    CheckMeta(
        id="ecs_logging",
        title="Every container sends its logs to CloudWatch",
        severity=Severity.HIGH,
        risk="A failing task leaves no trace to diagnose.",
        remediation="Give each container the awslogs log driver.",
        references=(),
        needs=("ecs", "workload"),
        ksbs=("K11", "S19"),
        fsbp=("ECS.9",),
        prowler=("ecs_task_definitions_logging_enabled",),
    )
)
def ecs_logging(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    for definition in inventory["workload"]["task_definitions"]:
        for c in definition["containers"]:
            ok = c["log_driver"] in ("awslogs", "awsfirelens")
            yield Result(
                Status.PASS if ok else Status.FAIL,
                f"{definition['arn'].split('/')[-1]}:{c['name']}",
                f"log driver {c['log_driver']}",
                {"log_driver": c["log_driver"], "log_group": c["log_group"]},
            )


@check(
    CheckMeta(
        id="logs_retention",
        title="Log groups keep logs for a set time",
        severity=Severity.MEDIUM,
        risk="Logs kept forever cost money; logs kept too briefly cannot explain an incident.",
        remediation="Set retention (logRetentionDays) on the log group.",
        references=(),
        needs=("log_groups",),
        policy_rule="log-retention-set",
        ksbs=("K11", "S19"),
        fsbp=(),
        prowler=("cloudwatch_log_group_retention_policy_specific_days_enabled",),
    )
)
def logs_retention(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    for group in inventory["log_groups"]:
        days = group["retention_days"]
        ok = days is not None and days >= thresholds.min_log_retention_days
        yield Result(
            Status.PASS if ok else Status.FAIL,
            group["name"],
            f"retention {days or 'never expires'} days; need {thresholds.min_log_retention_days}+",
            {"retention_days": days},
        )


@check(
    CheckMeta(
        id="rds_monitoring",
        title="Database monitoring beyond the basics",
        severity=Severity.LOW,
        risk="Slow queries and OS pressure are hard to diagnose without it.",
        remediation="Enable enhanced monitoring or Performance Insights (dbMonitoringInterval).",
        references=(),
        needs=("rds",),
        ksbs=("K11", "S6"),
        fsbp=("RDS.6",),
        prowler=("rds_instance_enhanced_monitoring_enabled",),
    )
)
def rds_monitoring(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    for db in inventory["rds"]["instances"]:
        if not thresholds.db_monitoring:
            yield Result(Status.SKIPPED, db["id"], f"off by design in {thresholds.tier} (cost)")
            continue
        on = db.get("monitoring_interval", 0) > 0 or db.get("performance_insights", False)
        yield Result(
            Status.PASS if on else Status.FAIL,
            db["id"],
            f"enhanced monitoring {db.get('monitoring_interval', 0)} s, "
            f"Performance Insights {db.get('performance_insights', False)}",
            {
                "monitoring_interval": db.get("monitoring_interval"),
                "performance_insights": db.get("performance_insights"),
            },
        )


@check(
    CheckMeta(
        id="alarms_core_metrics",
        title="Alarms with actions on the core metrics",
        severity=Severity.HIGH,
        risk="Errors, saturation or a full disk go unnoticed until users complain.",
        remediation="Create alarms (with an SNS action) on 5xx, unhealthy hosts, latency, CPU, memory, storage, connections.",
        references=(
            "https://docs.aws.amazon.com/wellarchitected/latest/reliability-pillar/monitor-workload-resources.html",
        ),
        needs=("alarms", "load_balancers", "ecs", "rds"),
        ksbs=("K11", "S6", "B3"),
        fsbp=(),
        prowler=(),
    )
)
def alarms_core_metrics(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    def covered(namespace: str, metric: str, dimension: str, value: str) -> bool:
        return any(
            a["namespace"] == namespace
            and a["metric"] == metric
            and a["actions"] > 0
            and a["dimensions"].get(dimension) == value
            for a in inventory["alarms"]
        )

    targets = [
        ("load balancer", lb["name"], "LoadBalancer", lb["arn"].split(":loadbalancer/")[-1])
        for lb in inventory["load_balancers"]
    ]
    targets += [("service", s["name"], "ServiceName", s["name"]) for s in inventory["ecs"]["services"]]
    targets += [
        ("database", db["id"], "DBInstanceIdentifier", db["id"]) for db in inventory["rds"]["instances"]
    ]
    for kind, resource, dimension, value in targets:
        namespace, metrics = CORE_ALARMS[kind]
        missing = [m for m in metrics if not covered(namespace, m, dimension, value)]
        yield Result(
            Status.FAIL if missing else Status.PASS,
            resource,
            f"no alarm with an action on {', '.join(missing)}"
            if missing
            else f"{len(metrics)} core metrics alarmed",
            {"missing": missing, "required": list(metrics)},
        )


@check(
    CheckMeta(
        id="waf_logging",
        title="The web ACL logs what it sees",
        severity=Severity.LOW,
        risk="Blocked attacks leave no record.",
        remediation="Send WAF logs to an aws-waf-logs-* log group.",
        references=(),
        needs=("load_balancers", "protection"),
        ksbs=("K11",),
        fsbp=("WAF.11",),
        prowler=("wafv2_webacl_logging_enabled",),
    )
)
def waf_logging(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    for protection in (inventory["protection"][name] for name in sorted(inventory["protection"])):
        if protection["web_acl"]:
            on = protection["logging"]
            yield Result(
                Status.PASS if on else Status.FAIL,
                protection["web_acl"],
                f"logging {'on' if on else 'off'}",
                {"logging": on},
            )


@check(
    CheckMeta(
        id="rds_log_exports",
        title="The database publishes its logs to CloudWatch Logs",
        severity=Severity.MEDIUM,
        risk="Connection failures, errors and slow queries stay inside the instance, out of reach of alarms "
        "and searches, and are lost with it.",
        remediation="Export the engine's logs (PostgreSQL: postgresql and upgrade) with "
        "enabled_cloudwatch_logs_exports.",
        references=(),
        needs=("rds",),
        ksbs=("K11", "S19"),
        fsbp=("RDS.9",),
        prowler=("rds_instance_integration_cloudwatch_logs",),
    )
)
def rds_log_exports(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    for db in inventory["rds"]["instances"]:
        # What FSBP RDS.9 asks of each engine; other engines: at least one log.
        wanted = POSTGRES_LOGS if "postgres" in db["engine"] else ()
        missing = [log for log in wanted if log not in db["log_exports"]]
        ok = not missing and bool(db["log_exports"])
        yield Result(
            Status.PASS if ok else Status.FAIL,
            db["id"],
            f"exports {', '.join(db['log_exports'])}"
            if ok
            else f"not exported: {', '.join(missing) or 'any log'}",
            {"log_exports": db["log_exports"], "engine": db["engine"]},
        )


POSTGRES_LOGS = ("postgresql", "upgrade")


@check(
    CheckMeta(
        id="cloudfront_access_logging",
        title="CloudFront logs the requests it serves",
        severity=Severity.MEDIUM,
        risk="Requests answered at the edge (cached, refused, or failed before the origin) leave no record to "
        "investigate an incident or an attack.",
        remediation="Turn on the distribution's standard logging to an S3 bucket (logging_config).",
        references=(),
        needs=("cloudfront",),
        ksbs=("K11", "S19"),
        fsbp=("CloudFront.5",),
        prowler=("cloudfront_distributions_logging_enabled",),
    )
)
def cloudfront_access_logging(inventory: Inventory, thresholds: Thresholds) -> Iterator[Result]:
    for distribution in inventory["cloudfront"]:
        on = distribution["logging"]
        yield Result(
            Status.PASS if on else Status.FAIL,
            distribution["id"],
            f"standard logging {'on' if on else 'off'}",
            {"logging": on},
        )
