"""Collection: read a deployed environment through boto3 into a plain inventory.

Only reads: a guard refuses any API operation that is not Describe/List/Get. Scope comes
from the tags every resource carries (project, environment); references are then followed
to what the tagging API does not return (subnets -> route tables, load balancer ->
listeners -> rules, target groups -> target health, service -> tasks and scaling).
CloudFront is global, so its distributions are found by their own tags instead.

`collect()` returns what was inspected (a Scope, with the environment's tier) beside the
inventory of its resources; inventory.py describes every section.
"""

from __future__ import annotations

import functools
import json
from typing import NamedTuple

import boto3
import botocore.loaders
import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, TokenRetrievalError

from epa_toolkit.inspection.inventory import (
    Alarm,
    Bucket,
    Distribution,
    Ecs,
    Inventory,
    KeysAndSecrets,
    LoadBalancer,
    LogGroup,
    Network,
    Protection,
    Rds,
    Role,
    Scope,
    Workload,
    empty_inventory,
)

READ_PREFIXES = ("Describe", "List", "Get", "BatchGet", "Search", "Lookup")
UNKNOWN = "unknown"  # a provenance field STS could not give
RETRIES = Config(retries={"mode": "adaptive", "max_attempts": 10})
# The tag on each subnet naming its network tier (public, private, isolated): set by
# infra/components/network.py. The `tier` tag is the environment's tier (dev, staging, prod).
NETWORK_TIER_TAG = "network-tier"


class WriteRefused(RuntimeError):
    """Raised before any API call that could change the environment."""


class NothingMatched(LookupError):
    """No resource carries the project and environment tags."""


def refuse_writes(model, **kwargs) -> None:
    if not model.name.startswith(READ_PREFIXES):
        raise WriteRefused(
            f"inspection is read-only: refused {model.service_model.service_name}:{model.name}"
        )


@functools.cache
def _models() -> botocore.loaders.Loader:
    """One reader of botocore's service models for every session: each session would
    otherwise parse the same JSON files again (about a second per inspection)."""
    return botocore.loaders.create_loader()


def read_only_session(region: str, profile: str | None = None, config: Config = RETRIES) -> boto3.Session:
    core = botocore.session.get_session()
    core.register_component("data_loader", _models())
    session = boto3.Session(botocore_session=core, region_name=region, profile_name=profile)
    # boto3 adds its own data folder to the loader's search path on every session: once is enough.
    _models().search_paths[:] = list(dict.fromkeys(_models().search_paths))
    session.events.register("before-call", refuse_writes)
    session._inspection_config = config
    return session


def client(session: boto3.Session, service: str):
    """The session's client for a service, made once (making one costs more than a call)."""
    clients = session.__dict__.setdefault("_inspection_clients", {})
    if service not in clients:
        clients[service] = session.client(service, config=getattr(session, "_inspection_config", RETRIES))
    return clients[service]


def paginate(api, operation: str, key: str, **params) -> list[dict]:
    """Every page of a list call (pagination is not optional: big accounts have many pages)."""
    if api.can_paginate(operation):
        return [
            item for page in api.get_paginator(operation).paginate(**params) for item in page.get(key, [])
        ]
    return getattr(api, operation)(**params).get(key, [])


def _tag(tags: list[dict] | None, key: str) -> str | None:
    return next((t["Value"] for t in tags or [] if t["Key"] == key), None)


class Tagged(NamedTuple):
    """What the tagging API returns for the environment: its resources' ARNs by service
    (ec2, rds, ...) and the environment tiers their `tier` tags name."""

    arns: dict[str, list[str]]
    tiers: set[str]

    @property
    def tier(self) -> str:
        """The environment's tier; held to prod's (the strictest) unless exactly one is named."""
        return next(iter(self.tiers)) if len(self.tiers) == 1 else "prod"


def tagged_arns(session, project: str, environment: str) -> Tagged:
    tagging = client(session, "resourcegroupstaggingapi")
    mappings = paginate(
        tagging, "get_resources", "ResourceTagMappingList",
        TagFilters=[{"Key": "project", "Values": [project]}, {"Key": "environment", "Values": [environment]}],
    )  # fmt: skip
    tagged = Tagged({}, set())
    for mapping in mappings:
        arn = mapping["ResourceARN"]
        tagged.arns.setdefault(arn.split(":")[2], []).append(arn)
        tier = _tag(mapping.get("Tags"), "tier")
        if tier:
            tagged.tiers.add(tier)
    return tagged


def _rule(permission: dict) -> dict:
    """A security group rule as plain data: who may reach which ports."""
    return {
        "protocol": permission.get("IpProtocol"),
        "from": permission.get("FromPort"),
        "to": permission.get("ToPort"),
        "sources": [r["CidrIp"] for r in permission.get("IpRanges", [])]
        + [r["CidrIpv6"] for r in permission.get("Ipv6Ranges", [])],
        "prefix_lists": [p["PrefixListId"] for p in permission.get("PrefixListIds", [])],
        "groups": [p["GroupId"] for p in permission.get("UserIdGroupPairs", [])],
    }


def collect_network(session, arns: dict[str, list[str]]) -> Network:
    ec2 = client(session, "ec2")
    vpc_ids = sorted({arn.split("/")[-1] for arn in arns.get("ec2", []) if ":vpc/" in arn})
    if not vpc_ids:
        return empty_inventory()["network"]
    vpc_filter = [{"Name": "vpc-id", "Values": vpc_ids}]
    vpcs = paginate(ec2, "describe_vpcs", "Vpcs", VpcIds=vpc_ids)
    subnets = paginate(ec2, "describe_subnets", "Subnets", Filters=vpc_filter)
    tables = paginate(ec2, "describe_route_tables", "RouteTables", Filters=vpc_filter)
    nats = paginate(ec2, "describe_nat_gateways", "NatGateways", Filter=vpc_filter)
    flow_logs = paginate(
        ec2, "describe_flow_logs", "FlowLogs", Filters=[{"Name": "resource-id", "Values": vpc_ids}]
    )
    groups = paginate(ec2, "describe_security_groups", "SecurityGroups", Filters=vpc_filter)
    subnet_zone = {s["SubnetId"]: s["AvailabilityZone"] for s in subnets}

    def table_for(subnet: dict) -> dict:
        explicit = [
            t
            for t in tables
            if any(a.get("SubnetId") == subnet["SubnetId"] for a in t.get("Associations", []))
        ]
        main = [
            t
            for t in tables
            if t["VpcId"] == subnet["VpcId"] and any(a.get("Main") for a in t.get("Associations", []))
        ]
        return (explicit or main or [{}])[0]

    def default_route(table: dict) -> dict:
        return next((r for r in table.get("Routes", []) if r.get("DestinationCidrBlock") == "0.0.0.0/0"), {})

    out_subnets = []
    for subnet in subnets:
        route = default_route(table_for(subnet))
        via_igw = str(route.get("GatewayId", "")).startswith("igw-")
        network_tier = _tag(subnet.get("Tags"), NETWORK_TIER_TAG) or (
            "public" if via_igw else "private" if route.get("NatGatewayId") else "isolated"
        )
        out_subnets.append(
            {
                "id": subnet["SubnetId"],
                "vpc_id": subnet["VpcId"],
                "az": subnet["AvailabilityZone"],
                "network_tier": network_tier,
                "default_route_nat": route.get("NatGatewayId"),
                "route_to_internet": via_igw,
            }
        )

    def of_vpc(vpc: dict, field: str) -> list[str]:
        return sorted({f[field] for f in flow_logs if f.get("ResourceId") == vpc["VpcId"] and f.get(field)})

    return {
        "vpcs": [
            {
                "id": v["VpcId"],
                "cidr": v["CidrBlock"],
                "flow_logs": of_vpc(v, "TrafficType"),
                "flow_log_groups": of_vpc(v, "LogGroupName"),
                "flow_log_roles": of_vpc(v, "DeliverLogsPermissionArn"),
            }
            for v in vpcs
        ],
        "security_groups": [
            {
                "id": g["GroupId"],
                "name": g["GroupName"],
                "default": g["GroupName"] == "default",
                "ingress": [_rule(r) for r in g.get("IpPermissions", [])],
                "egress": [_rule(r) for r in g.get("IpPermissionsEgress", [])],
            }
            for g in groups
        ],
        "subnets": out_subnets,
        "nat_gateways": [
            {
                "id": n["NatGatewayId"],
                "subnet_id": n["SubnetId"],
                "az": subnet_zone.get(n["SubnetId"]),
                "state": n["State"],
            }
            for n in nats
        ],
    }


def _target_groups(elb, load_balancer_arn: str) -> list[dict]:
    """A load balancer's target groups; none yet is an answer (some APIs, and moto, say
    TargetGroupNotFound for it), not a failure to read."""
    try:
        return paginate(elb, "describe_target_groups", "TargetGroups", LoadBalancerArn=load_balancer_arn)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "TargetGroupNotFound":
            return []
        raise


def collect_load_balancers(session, arns: dict[str, list[str]]) -> list[LoadBalancer]:
    elb = client(session, "elbv2")
    lb_arns = [a for a in arns.get("elasticloadbalancing", []) if ":loadbalancer/app/" in a]
    if not lb_arns:
        return []
    result = []
    for lb in paginate(elb, "describe_load_balancers", "LoadBalancers", LoadBalancerArns=lb_arns):
        arn = lb["LoadBalancerArn"]
        attributes = {
            a["Key"]: a["Value"]
            for a in elb.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]
        }
        listeners = paginate(elb, "describe_listeners", "Listeners", LoadBalancerArn=arn)
        # Requests reach the app through a listener's default action or any of its rules.
        actions = {
            li["ListenerArn"]: [
                a
                for rule in paginate(elb, "describe_rules", "Rules", ListenerArn=li["ListenerArn"])
                for a in rule.get("Actions", [])
            ]
            for li in listeners
        }
        groups = []
        for group in _target_groups(elb, arn):
            health = elb.describe_target_health(TargetGroupArn=group["TargetGroupArn"])[
                "TargetHealthDescriptions"
            ]
            groups.append(
                {
                    "arn": group["TargetGroupArn"],
                    "name": group["TargetGroupName"],
                    "targets": [
                        {
                            "id": h["Target"]["Id"],
                            "az": h["Target"].get("AvailabilityZone"),
                            "state": h["TargetHealth"]["State"],
                        }
                        for h in health
                    ],
                }
            )
        result.append(
            {
                "arn": arn,
                "name": lb["LoadBalancerName"],
                "scheme": lb.get("Scheme"),
                "azs": sorted(z["ZoneName"] for z in lb.get("AvailabilityZones", [])),
                "deletion_protection": attributes.get("deletion_protection.enabled") == "true",
                "access_logs": attributes.get("access_logs.s3.enabled") == "true",
                "access_log_bucket": attributes.get("access_logs.s3.bucket") or None,
                "drops_invalid_headers": attributes.get("routing.http.drop_invalid_header_fields.enabled")
                == "true",
                "security_groups": lb.get("SecurityGroups", []),
                "listeners": [
                    {
                        "port": li["Port"],
                        "protocol": li["Protocol"],
                        # moto reports an SslPolicy on HTTP listeners too: only HTTPS has one.
                        "ssl_policy": li.get("SslPolicy") if li["Protocol"] == "HTTPS" else None,
                        "default_actions": [a["Type"] for a in li.get("DefaultActions", [])],
                        "redirects_to_https": any(
                            a.get("RedirectConfig", {}).get("Protocol") == "HTTPS"
                            for a in li.get("DefaultActions", [])
                        ),
                        "forwards": any(
                            a["Type"] == "forward"
                            for a in [*li.get("DefaultActions", []), *actions[li["ListenerArn"]]]
                        ),
                    }
                    for li in listeners
                ],
                "target_groups": groups,
            }
        )
    return result


def _origin(origin: dict) -> dict:
    """How CloudFront reaches one origin. Only a custom origin is reached across the
    internet; a VPC origin is reached inside AWS's network, an S3 origin always by HTTPS."""
    custom = origin.get("CustomOriginConfig")
    kind = next(
        (k for k, key in (("vpc", "VpcOriginConfig"), ("custom", "CustomOriginConfig"),
                          ("s3", "S3OriginConfig")) if origin.get(key)),
        "none",
    )  # fmt: skip
    return {
        "id": origin["Id"],
        "domain": origin["DomainName"],
        "kind": kind,
        "protocol_policy": custom.get("OriginProtocolPolicy") if custom else None,
        "vpc_origin_id": (origin.get("VpcOriginConfig") or {}).get("VpcOriginId"),
    }


def collect_cloudfront(session, project: str, environment: str) -> list[Distribution]:
    """The environment's CloudFront distributions (global: matched by their own tags)."""
    cloudfront = client(session, "cloudfront")
    wanted = {"project": project, "environment": environment}
    result = []
    for page in cloudfront.get_paginator("list_distributions").paginate():
        for item in page["DistributionList"].get("Items") or []:
            found = cloudfront.list_tags_for_resource(Resource=item["ARN"])["Tags"].get("Items")
            if any(_tag(found, key) != value for key, value in wanted.items()):
                continue
            behaviours = [item["DefaultCacheBehavior"],
                          *(item.get("CacheBehaviors", {}).get("Items") or [])]  # fmt: skip
            # Logging is only in the full configuration, not in the list's summary.
            config = cloudfront.get_distribution_config(Id=item["Id"])["DistributionConfig"]
            certificate = item.get("ViewerCertificate") or {}
            result.append(
                {
                    "id": item["Id"],
                    "domain": item["DomainName"],
                    "viewer_protocol_policies": sorted({b["ViewerProtocolPolicy"] for b in behaviours}),
                    "origins": [_origin(o) for o in item["Origins"].get("Items") or []],
                    "web_acl": item.get("WebACLId") or None,
                    "logging": bool((config.get("Logging") or {}).get("Enabled")),
                    "default_certificate": bool(certificate.get("CloudFrontDefaultCertificate", True)),
                    "minimum_tls": certificate.get("MinimumProtocolVersion"),
                }
            )
    return result


def collect_ecs(session, arns: dict[str, list[str]]) -> Ecs:
    """Services, their running tasks' zones and their autoscaling, in calls per cluster and
    per page, not per service."""
    ecs = client(session, "ecs")
    autoscaling = client(session, "application-autoscaling")
    by_cluster: dict[str, list[str]] = {}
    for arn in arns.get("ecs", []):
        parts = arn.split(":")[-1].split("/")
        if parts[0] == "service" and len(parts) == 3:  # service/<cluster>/<name>
            by_cluster.setdefault(parts[1], []).append(arn)
    if not by_cluster:
        return {"services": []}
    targets = {
        t["ResourceId"]: t
        for t in paginate(autoscaling, "describe_scalable_targets", "ScalableTargets", ServiceNamespace="ecs")
    }
    policies: dict[str, int] = {}
    for policy in paginate(
        autoscaling, "describe_scaling_policies", "ScalingPolicies", ServiceNamespace="ecs"
    ):
        policies[policy["ResourceId"]] = policies.get(policy["ResourceId"], 0) + 1
    clusters = ecs.describe_clusters(clusters=sorted(by_cluster), include=["SETTINGS"])["clusters"]
    insights = {
        c["clusterName"]: next(
            (x["value"] for x in c.get("settings", []) if x["name"] == "containerInsights"),
            "disabled",
        )
        for c in clusters
    }
    services = []
    for cluster, service_arns in sorted(by_cluster.items()):
        task_arns = paginate(ecs, "list_tasks", "taskArns", cluster=cluster, desiredStatus="RUNNING")
        zones_by_service: dict[str, list[str]] = {}
        for chunk in (task_arns[i : i + 100] for i in range(0, len(task_arns), 100)):  # API limit: 100
            for task in ecs.describe_tasks(cluster=cluster, tasks=chunk)["tasks"]:
                if task.get("availabilityZone"):
                    zones_by_service.setdefault(task.get("group", ""), []).append(task["availabilityZone"])
        for chunk in (service_arns[i : i + 10] for i in range(0, len(service_arns), 10)):  # API limit: 10
            for s in ecs.describe_services(cluster=cluster, services=chunk)["services"]:
                resource_id = f"service/{cluster}/{s['serviceName']}"
                target = targets.get(resource_id)
                network = s.get("networkConfiguration", {}).get("awsvpcConfiguration", {})
                services.append(
                    {
                        "arn": s["serviceArn"],
                        "name": s["serviceName"],
                        "cluster": cluster,
                        "container_insights": insights.get(cluster, "disabled"),
                        "desired": s["desiredCount"],
                        "running": s["runningCount"],
                        "subnets": network.get("subnets", []),
                        "assign_public_ip": network.get("assignPublicIp") == "ENABLED",
                        "circuit_breaker": s.get("deploymentConfiguration", {}).get(
                            "deploymentCircuitBreaker"
                        ),
                        "deployments": [
                            {"status": d["status"], "rollout_state": d.get("rolloutState")}
                            for d in s.get("deployments", [])
                        ],
                        "task_azs": zones_by_service.get(f"service:{s['serviceName']}", []),
                        "task_definition": s["taskDefinition"],
                        "scaling": {
                            "min": target["MinCapacity"],
                            "max": target["MaxCapacity"],
                            "policies": policies.get(resource_id, 0),
                        }
                        if target
                        else None,
                    }
                )
    return {"services": services}


def collect_rds(session, arns: dict[str, list[str]]) -> Rds:
    rds = client(session, "rds")
    instances = []
    for arn in arns.get("rds", []):
        if ":db:" not in arn:
            continue
        for db in rds.describe_db_instances(DBInstanceIdentifier=arn.split(":db:")[-1])["DBInstances"]:
            instances.append(
                {
                    "id": db["DBInstanceIdentifier"],
                    "engine": db.get("Engine", ""),
                    "multi_az": bool(db.get("MultiAZ")),
                    "backup_retention": db.get("BackupRetentionPeriod", 0),
                    "deletion_protection": bool(db.get("DeletionProtection")),
                    "encrypted": bool(db.get("StorageEncrypted")),
                    "public": bool(db.get("PubliclyAccessible", False)),  # moto omits it unless set
                    "monitoring_interval": db.get("MonitoringInterval", 0),
                    "kms_key_id": db.get("KmsKeyId"),
                    "master_secret_arn": db.get("MasterUserSecret", {}).get("SecretArn"),
                    "performance_insights": bool(db.get("PerformanceInsightsEnabled")),
                    "subnet_azs": [
                        s["SubnetAvailabilityZone"]["Name"]
                        for s in db.get("DBSubnetGroup", {}).get("Subnets", [])
                    ],
                    "log_exports": sorted(db.get("EnabledCloudwatchLogsExports", [])),
                    "force_ssl": _force_ssl(rds, db),
                    "monitoring_role": db.get("MonitoringRoleArn"),
                }
            )
    return {"instances": instances}


def _force_ssl(rds, db: dict) -> bool | None:
    """rds.force_ssl in the instance's parameter group (None when the group does not list it)."""
    values = [
        p.get("ParameterValue")
        for group in db.get("DBParameterGroups", [])
        for p in paginate(rds, "describe_db_parameters", "Parameters",
                          DBParameterGroupName=group["DBParameterGroupName"])
        if p["ParameterName"] == "rds.force_ssl"
    ]  # fmt: skip
    return values[0] in ("1", "true", "on") if values else None


def image_repository(image: str) -> tuple[str, str] | None:
    """(registry id, repository name) of an ECR image, such as
    123456789012.dkr.ecr.eu-west-2.amazonaws.com/desk@sha256:... -> ("123456789012", "desk");
    None for an image from another registry."""
    host, _, path = image.partition("/")
    if ".dkr.ecr." not in host or not path:
        return None
    return host.split(".", 1)[0], path.split("@", 1)[0].split(":", 1)[0]


def collect_workload(session, arns: dict[str, list[str]], services: list) -> Workload:
    """What the tasks run: task definitions (distinct ones), their image repositories and
    log groups. The image repository is shared by every environment (the bootstrap tags it
    environment=shared), so the environment's tags do not find it: follow the images."""
    ecs, ecr = client(session, "ecs"), client(session, "ecr")
    definitions = []
    for arn in sorted({s["task_definition"] for s in services}):
        definition = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
        definitions.append({
            "arn": arn,
            "roles": [r for r in (definition.get("taskRoleArn"), definition.get("executionRoleArn")) if r],
            "containers": [{
                "name": c["name"], "image": c["image"],
                "env_names": sorted(e["name"] for e in c.get("environment", [])),
                "secret_names": sorted(x["name"] for x in c.get("secrets", [])),
                "log_driver": c.get("logConfiguration", {}).get("logDriver"),
                "log_group": c.get("logConfiguration", {}).get("options", {}).get("awslogs-group"),
                "read_only_root": bool(c.get("readonlyRootFilesystem")),
            } for c in definition["containerDefinitions"]],
        })  # fmt: skip
    images = [c["image"] for d in definitions for c in d["containers"]]
    by_registry: dict[str, set[str]] = {}
    for registry, name in filter(None, map(image_repository, images)):
        by_registry.setdefault(registry, set()).add(name)
    repositories = [
        repository
        for registry, names in sorted(by_registry.items())
        for repository in paginate(ecr, "describe_repositories", "repositories",
                                   registryId=registry, repositoryNames=sorted(names))
    ]  # fmt: skip
    return {
        "task_definitions": definitions,
        "repositories": [{"name": r["repositoryName"],
                          "scan_on_push": r.get("imageScanningConfiguration", {}).get("scanOnPush", False)}
                         for r in repositories],
    }  # fmt: skip


def collect_log_groups(session, inventory: Inventory) -> list[LogGroup]:
    """The log groups the environment writes to, found by following what writes to them
    (containers, flow logs, the database's exports, the firewall), each read by its own
    name: a busy account's other log groups are never listed."""
    writers = {c["log_group"]: "containers" for d in inventory["workload"]["task_definitions"]
               for c in d["containers"] if c["log_group"]}  # fmt: skip
    writers |= {name: "flow logs" for v in inventory["network"]["vpcs"] for name in v["flow_log_groups"]}
    writers |= {f"/aws/rds/instance/{db['id']}/{log}": "database"
                for db in inventory["rds"]["instances"] for log in db["log_exports"]}  # fmt: skip
    writers |= {arn.split(":log-group:")[1].removesuffix(":*"): "firewall"
                for p in inventory["protection"].values() for arn in p["log_destinations"]
                if ":log-group:" in arn}  # fmt: skip
    logs = client(session, "logs")
    groups = []
    for name, source in sorted(writers.items()):
        found = paginate(logs, "describe_log_groups", "logGroups", logGroupNamePrefix=name)
        groups += [{"name": name, "source": source, "retention_days": g.get("retentionInDays"),
                    "kms_key_id": g.get("kmsKeyId")} for g in found if g["logGroupName"] == name]  # fmt: skip
    return groups


def alarm_prefix(project: str, environment: str) -> str:
    """The environment's alarms are named "<project>-<environment>-..." (the observability
    component names them so): read by that prefix, not every alarm in the region."""
    return f"{project}-{environment}-"


def collect_alarms(session, project: str, environment: str) -> list[Alarm]:
    cloudwatch = client(session, "cloudwatch")
    return [
        {"name": a["AlarmName"], "namespace": a.get("Namespace"), "metric": a.get("MetricName"),
         "dimensions": {d["Name"]: d["Value"] for d in a.get("Dimensions", [])},
         "actions": len(a.get("AlarmActions", []))}
        for a in paginate(cloudwatch, "describe_alarms", "MetricAlarms",
                          AlarmNamePrefix=alarm_prefix(project, environment), AlarmTypes=["MetricAlarm"])
    ]  # fmt: skip


def collect_protection(session, load_balancers: list[LoadBalancer]) -> dict[str, Protection]:
    """Web ACL and its logging for each load balancer (WAFv2 is not in the tagging API)."""
    waf = client(session, "wafv2")
    result = {}
    for lb in load_balancers:
        # The answer holds the whole web ACL, its rules included.
        acl = waf.get_web_acl_for_resource(ResourceArn=lb["arn"]).get("WebACL") or {}
        destinations = []
        if acl:
            try:
                logging = waf.get_logging_configuration(ResourceArn=acl["ARN"])["LoggingConfiguration"]
                destinations = logging.get("LogDestinationConfigs", [])
            except waf.exceptions.WAFNonexistentItemException:
                pass
        rules = acl.get("Rules", [])
        managed = [r["Statement"]["ManagedRuleGroupStatement"] for r in rules
                   if "ManagedRuleGroupStatement" in r.get("Statement", {})]  # fmt: skip
        result[lb["name"]] = {
            "web_acl": acl.get("Name"),
            "rules": [r["Name"] for r in rules],
            "managed_rule_groups": [f"{m['VendorName']}/{m['Name']}" for m in managed],
            "logging": bool(destinations),
            "log_destinations": destinations,
        }
    return result


def collect_storage(session, arns: dict[str, list[str]], load_balancers: list[LoadBalancer]) -> list[Bucket]:
    """The environment's buckets: tagged ones and the load balancers' access-log buckets."""
    s3 = client(session, "s3")
    names = {arn.split(":::")[-1] for arn in arns.get("s3", [])}
    names |= {lb["access_log_bucket"] for lb in load_balancers if lb.get("access_log_bucket")}
    buckets = []
    for name in sorted(names):
        try:
            block = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
        except ClientError as error:
            if error.response["Error"]["Code"] != "NoSuchPublicAccessBlockConfiguration":
                raise
            block = {}
        try:
            rules = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
            algorithm = rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"]
        except ClientError as error:
            if error.response["Error"]["Code"] != "ServerSideEncryptionConfigurationNotFoundError":
                raise
            algorithm = "AES256"  # since 2023 every bucket encrypts with SSE-S3 by default
        try:
            policy = json.loads(s3.get_bucket_policy(Bucket=name)["Policy"])
        except ClientError as error:
            if error.response["Error"]["Code"] != "NoSuchBucketPolicy":
                raise
            policy = {"Statement": []}
        buckets.append({"name": name, "public_access_block": block, "encryption": algorithm,
                        "denies_insecure_transport": _denies_http(policy)})  # fmt: skip
    return buckets


def _denies_http(policy: dict) -> bool:
    return any(
        st.get("Effect") == "Deny"
        and str(st.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport")).lower() == "false"
        for st in policy.get("Statement", [])
    )


def _statements(document: dict | str) -> list[dict]:
    """A policy document's statements (IAM may answer with the document as JSON text)."""
    document = json.loads(document) if isinstance(document, str) else document
    found = document.get("Statement", [])
    return found if isinstance(found, list) else [found]


def collect_identity(session, inventory: Inventory) -> list[Role]:
    """The environment's IAM roles, found by following who uses them (the tagging API omits
    IAM): the tasks', flow logs' and database monitoring's. For each, who may assume it and
    every statement of its policies, inline and managed (AWS's and the account's own), so a
    check judges what a policy allows, not what it is called."""
    iam = client(session, "iam")
    used_by = {r: "flow logs" for v in inventory["network"]["vpcs"] for r in v["flow_log_roles"]}
    used_by |= {db["monitoring_role"]: "database monitoring"
                for db in inventory["rds"]["instances"] if db["monitoring_role"]}  # fmt: skip
    used_by |= {r: "task" for d in inventory["workload"]["task_definitions"] for r in d["roles"]}
    documents: dict[str, list[dict]] = {}  # a managed policy is read once, however many roles use it

    def managed(arn: str) -> list[dict]:
        if arn not in documents:
            version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
            document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
            documents[arn] = _statements(document)
        return documents[arn]

    roles = []
    for arn, use in sorted(used_by.items()):
        name = arn.split("/")[-1]
        role = iam.get_role(RoleName=name)["Role"]
        policies = [
            {"name": p["PolicyName"], "kind": "managed", "statements": managed(p["PolicyArn"])}
            for p in paginate(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=name)
        ]
        policies += [
            {"name": policy, "kind": "inline",
             "statements": _statements(iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"])}
            for policy in paginate(iam, "list_role_policies", "PolicyNames", RoleName=name)
        ]  # fmt: skip
        roles.append({"arn": arn, "name": name, "used_by": use,
                      "trust": _statements(role.get("AssumeRolePolicyDocument") or {}),
                      "policies": policies})  # fmt: skip
    return roles


def collect_keys_and_secrets(session, instances: list) -> KeysAndSecrets:
    kms, secrets = client(session, "kms"), client(session, "secretsmanager")
    keys = sorted({db["kms_key_id"] for db in instances if db.get("kms_key_id")})
    secret_arns = sorted({db["master_secret_arn"] for db in instances if db.get("master_secret_arn")})
    return {
        "keys": [{"id": k, "rotation": kms.get_key_rotation_status(KeyId=k)["KeyRotationEnabled"]} for k in keys],
        "secrets": [{"arn": a, "rotation": bool(secrets.describe_secret(SecretId=a).get("RotationEnabled"))}
                    for a in secret_arns],
    }  # fmt: skip


SECTIONS = {
    "network": collect_network,
    "load_balancers": collect_load_balancers,
    "ecs": collect_ecs,
    "rds": collect_rds,
}


class Collected(NamedTuple):
    scope: Scope  # what was inspected, and the environment's tier
    inventory: Inventory  # its resources


def caller_identity(session) -> dict[str, str]:
    """Who is looking (STS GetCallerIdentity, which needs no permission): the report's
    provenance. When STS cannot answer (an endpoint out of reach, a policy that denies it),
    account and ARN are "unknown" and the inspection goes on; missing credentials still
    stop it (the caller says how to sign in)."""
    try:
        identity = client(session, "sts").get_caller_identity()
    except (NoCredentialsError, TokenRetrievalError):
        raise
    except (ClientError, BotoCoreError):
        identity = {}
    return {"Account": identity.get("Account") or UNKNOWN, "Arn": identity.get("Arn") or UNKNOWN}


def collect(session, project: str, environment: str) -> Collected:
    """The inventory of one environment, beside its scope. A section the caller may not read
    is recorded in the inventory's `errors`, and the checks that need it become
    NOT_EVALUATED: never a silent pass."""
    identity = caller_identity(session)
    tagged = tagged_arns(session, project, environment)
    if not any(tagged.arns.values()):
        raise NothingMatched(
            f"no resources tagged project={project} environment={environment} in {session.region_name}"
        )
    scope = Scope(identity["Account"], session.region_name, project, environment, tagged.tier,
                  caller=identity["Arn"])  # fmt: skip
    arns = tagged.arns
    inventory = empty_inventory()
    for section, collector in SECTIONS.items():
        _collect_section(inventory, section, lambda c=collector: c(session, arns))
    # These follow references from what was collected above, so they run after it, in order.
    follow = {
        "alarms": lambda: collect_alarms(session, project, environment),
        "cloudfront": lambda: collect_cloudfront(session, project, environment),
        "workload": lambda: collect_workload(session, arns, inventory["ecs"]["services"]),
        "protection": lambda: collect_protection(session, inventory["load_balancers"]),
        "storage": lambda: collect_storage(session, arns, inventory["load_balancers"]),
        "keys_and_secrets": lambda: collect_keys_and_secrets(session, inventory["rds"]["instances"]),
        "identity": lambda: collect_identity(session, inventory),
        "log_groups": lambda: collect_log_groups(session, inventory),
    }
    for section, read in follow.items():
        failed = {
            need: inventory["errors"][need]
            for need in FOLLOWS.get(section, ())
            if need in inventory["errors"]
        }
        if failed:
            # Read from a section that could not be collected, it would look empty, not broken.
            inventory["errors"][section] = "needs " + "; ".join(
                f"{need}, which could not be collected ({why})" for need, why in failed.items()
            )
            continue
        _collect_section(inventory, section, read)
    return Collected(scope, inventory)


# The sections read by following what other sections found.
FOLLOWS: dict[str, tuple[str, ...]] = {
    "workload": ("ecs",),
    "protection": ("load_balancers",),
    "storage": ("load_balancers",),
    "keys_and_secrets": ("rds",),
    "identity": ("network", "rds", "workload"),
    "log_groups": ("network", "rds", "workload", "protection"),
}


def _collect_section(inventory: Inventory, section: str, read) -> None:
    """One section; any failure to read it (refused, throttled past the retries, not found,
    an answer of an unexpected shape) is recorded against that section alone, so only the
    checks that need it become NOT_EVALUATED and the others still run. Missing credentials
    and a refused write are not a section's failure: they stop the run."""
    try:
        inventory[section] = read()
    except (NoCredentialsError, TokenRetrievalError, WriteRefused):
        raise
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "") or "error"
        inventory["errors"][section] = f"{code} on {error.operation_name}"
    except BotoCoreError as error:
        inventory["errors"][section] = f"{type(error).__name__}: {error}"
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as error:
        inventory["errors"][section] = f"an answer of an unexpected shape ({type(error).__name__}: {error})"
    else:
        return
    inventory[section] = empty_inventory()[section]
