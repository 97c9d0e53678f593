"""Monitoring and alerting: alarms on what users feel, a topic that tells people, a dashboard.

Each alarm watches a symptom with a threshold and sends both ALARM and OK to the topic,
so whoever is on call also hears when it recovers.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from project_facts import BusinessMetric

from components.iam import account_administers_key


@dataclass(frozen=True)
class ObservabilityArgs:
    environment: str
    # "<project>-<environment>": every alarm's name starts with it and a dash. The
    # inspection reads the alarms by this prefix, so an alarm you add counts only if its
    # name starts with it too.
    alarm_prefix: str
    alert_email: str | None  # None: alarms fire but nobody is e-mailed (dev)
    load_balancer_arn_suffix: pulumi.Input[str]
    target_group_arn_suffix: pulumi.Input[str]
    cluster_name: pulumi.Input[str]
    service_name: pulumi.Input[str]
    db_instance_id: pulumi.Input[str]
    db_allocated_storage_gb: int
    metrics_namespace: str
    business_metric: BusinessMetric  # project.yaml: the app sends it, the alarm watches it
    service_label: str


@dataclass(frozen=True)
class AlarmSpec:
    key: str
    description: str
    namespace: str
    metric: str
    dimensions: str  # which resource: "alb", "target", "ecs", "db" or "app"
    statistic: str | None
    threshold: float
    comparison: str = "GreaterThanThreshold"
    periods: int = 3
    period: int = 60
    extended_statistic: str | None = None
    treat_missing_data: str = "notBreaching"


def words(metric_name: str) -> str:
    """{{ "TicketsRaised -> tickets-raised" if cookiecutter.starter == "reference" else "ExampleItemsCreated -> example-items-created" }}: the metric's name as an alarm name's part."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", metric_name).lower()


def alarm_specs(
    db_storage_gb: int, environment: str, business_metric: BusinessMetric
) -> list[AlarmSpec]:
    """The alarms, as data: the docs and the tests read the same list."""
    specs = [
        AlarmSpec(
            "alb-5xx",
            "The load balancer itself is failing requests",
            "AWS/ApplicationELB",
            "HTTPCode_ELB_5XX_Count",
            "alb",
            "Sum",
            5,
        ),
        AlarmSpec(
            "target-5xx",
            "The app is answering with server errors",
            "AWS/ApplicationELB",
            "HTTPCode_Target_5XX_Count",
            "target",
            "Sum",
            5,
        ),
        AlarmSpec(
            "unhealthy-hosts",
            "A task fails its /readyz health check",
            "AWS/ApplicationELB",
            "UnHealthyHostCount",
            "target",
            "Maximum",
            0,
            periods=2,
        ),
        AlarmSpec(
            "latency-p95",
            "Slow responses: 95th percentile above 1 second",
            "AWS/ApplicationELB",
            "TargetResponseTime",
            "target",
            None,
            1.0,
            extended_statistic="p95",
            periods=5,
        ),
        AlarmSpec(
            "ecs-cpu",
            "Tasks are CPU-bound (autoscaling may be at its maximum)",
            "AWS/ECS",
            "CPUUtilization",
            "ecs",
            "Average",
            85,
            periods=5,
        ),
        AlarmSpec(
            "ecs-memory",
            "Tasks are close to their memory limit",
            "AWS/ECS",
            "MemoryUtilization",
            "ecs",
            "Average",
            85,
            periods=5,
        ),
        AlarmSpec(
            "db-cpu",
            "The database is CPU-bound",
            "AWS/RDS",
            "CPUUtilization",
            "db",
            "Average",
            80,
            periods=5,
        ),
        AlarmSpec(
            "db-free-storage",
            "Less than 10% of database storage is free",
            "AWS/RDS",
            "FreeStorageSpace",
            "db",
            "Minimum",
            db_storage_gb * 1024**3 * 0.1,
            comparison="LessThanThreshold",
        ),
        AlarmSpec(
            "db-connections",
            "Connections near the small instance classes' limit",
            "AWS/RDS",
            "DatabaseConnections",
            "db",
            "Maximum",
            80,
            periods=5,
        ),
    ]
    if environment == "prod":
        # The business metric: a service in use counts something every day, so a whole day
        # without one suggests it is broken even though every health check passes. A quiet
        # weekend can trip it too: it asks someone to try the service, it is not an outage.
        # The app sends nothing when nothing happens, so missing data counts as none.
        # Prod only: other environments have no real users.
        specs.append(
            AlarmSpec(
                f"no-{words(business_metric.name)}",
                f"No {business_metric.counts} for 24 hours",
                "app",
                business_metric.name,
                "app",
                "Sum",
                1,
                comparison="LessThanThreshold",
                period=3600,
                periods=24,
                treat_missing_data="breaching",
            )
        )
    return specs


class Observability(pulumi.ComponentResource):
    def __init__(
        self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("epa:observability:Observability", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        # Alerts are encrypted at rest with our own key: CloudWatch can publish to a topic
        # only if the key's policy lets it, and the AWS-managed SNS key's policy cannot.
        key = aws.kms.Key(
            f"{name}-alerts-key",
            description=f"{name}: alarm notifications",
            enable_key_rotation=True,
            policy=_alerts_key_policy(),
            opts=child,
        )
        self.topic = aws.sns.Topic(f"{name}-alerts", kms_master_key_id=key.arn, opts=child)
        if args.alert_email:
            # AWS e-mails a confirmation link first: alerts arrive once it is clicked.
            aws.sns.TopicSubscription(
                f"{name}-alerts-email",
                topic=self.topic.arn,
                protocol="email",
                endpoint=args.alert_email,
                opts=child,
            )

        dimensions = {
            "alb": {"LoadBalancer": args.load_balancer_arn_suffix},
            "target": {
                "LoadBalancer": args.load_balancer_arn_suffix,
                "TargetGroup": args.target_group_arn_suffix,
            },
            "ecs": {"ClusterName": args.cluster_name, "ServiceName": args.service_name},
            "db": {"DBInstanceIdentifier": args.db_instance_id},
            "app": {"Service": args.service_label, "Environment": args.environment},
        }
        self.alarms = []
        self.alarm_arns: dict[str, pulumi.Output[str]] = {}  # by key (the drills' stops)
        for spec in alarm_specs(
            args.db_allocated_storage_gb, args.environment, args.business_metric
        ):
            self.alarms.append(
                aws.cloudwatch.MetricAlarm(
                    f"{name}-{spec.key}",
                    name=f"{args.alarm_prefix}-{spec.key}",
                    alarm_description=spec.description,
                    namespace=args.metrics_namespace if spec.namespace == "app" else spec.namespace,
                    metric_name=spec.metric,
                    dimensions=dimensions[spec.dimensions],
                    statistic=spec.statistic,
                    extended_statistic=spec.extended_statistic,
                    period=spec.period,
                    evaluation_periods=spec.periods,
                    threshold=spec.threshold,
                    comparison_operator=spec.comparison,
                    treat_missing_data=spec.treat_missing_data,
                    alarm_actions=[self.topic.arn],
                    ok_actions=[self.topic.arn],
                    opts=child,
                )
            )
            self.alarm_arns[spec.key] = self.alarms[-1].arn

        self.dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=f"{args.service_label}-{args.environment}",
            dashboard_body=pulumi.Output.all(
                region=aws.get_region_output().region,
                alb=args.load_balancer_arn_suffix,
                tg=args.target_group_arn_suffix,
                cluster=args.cluster_name,
                service=args.service_name,
                db=args.db_instance_id,
            ).apply(lambda v: json.dumps(_dashboard(v, args))),
            opts=child,
        )
        self.register_outputs({"alert_topic_arn": self.topic.arn})


def _alerts_key_policy() -> pulumi.Output[str]:
    account = aws.get_caller_identity_output().account_id
    return aws.iam.get_policy_document_output(
        statements=[
            account_administers_key(account),
            {
                "sid": "CloudWatchAlarmsPublish",
                "actions": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "resources": ["*"],
                "principals": [{"type": "Service", "identifiers": ["cloudwatch.amazonaws.com"]}],
            },
        ]
    ).json


def _dashboard(v: dict, args: ObservabilityArgs) -> dict:
    def graph(title: str, metrics: list, x: int, y: int) -> dict:
        return {
            "type": "metric",
            "x": x,
            "y": y,
            "width": 12,
            "height": 6,
            "properties": {
                "title": title,
                "region": v["region"],
                "metrics": metrics,
                "view": "timeSeries",
            },
        }

    alb = ["AWS/ApplicationELB"]
    return {
        "widgets": [
            graph(
                "Requests and errors",
                [
                    [*alb, "RequestCount", "LoadBalancer", v["alb"], {"stat": "Sum"}],
                    [*alb, "HTTPCode_Target_5XX_Count", "LoadBalancer", v["alb"], {"stat": "Sum"}],
                ],
                0,
                0,
            ),
            graph(
                "Latency (p95, seconds)",
                [
                    [*alb, "TargetResponseTime", "LoadBalancer", v["alb"], {"stat": "p95"}],
                ],
                12,
                0,
            ),
            graph(
                "Tasks: CPU and memory (%)",
                [
                    [
                        "AWS/ECS",
                        "CPUUtilization",
                        "ClusterName",
                        v["cluster"],
                        "ServiceName",
                        v["service"],
                    ],
                    [
                        "AWS/ECS",
                        "MemoryUtilization",
                        "ClusterName",
                        v["cluster"],
                        "ServiceName",
                        v["service"],
                    ],
                ],
                0,
                6,
            ),
            graph(
                "Database",
                [
                    ["AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", v["db"]],
                    ["AWS/RDS", "DatabaseConnections", "DBInstanceIdentifier", v["db"]],
                ],
                12,
                6,
            ),
            graph(
                args.business_metric.counts.capitalize(),
                [
                    [
                        args.metrics_namespace,
                        args.business_metric.name,
                        "Environment",
                        args.environment,
                        "Service",
                        args.service_label,
                        {"stat": "Sum", "period": 3600},
                    ],
                ],
                0,
                12,
            ),
        ]
    }
