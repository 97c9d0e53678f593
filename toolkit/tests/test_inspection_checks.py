"""Every check, PASS and FAIL, on hand-written inventories (including states moto cannot
produce: unhealthy targets, tasks in one zone)."""

from __future__ import annotations

import copy

import pytest

from epa_toolkit.inspection.checks import REGISTRY
from epa_toolkit.inspection.engine import evaluate
from epa_toolkit.inspection.inventory import Inventory
from epa_toolkit.inspection.model import Status, tier_defaults

ZONES = ["eu-west-2a", "eu-west-2b", "eu-west-2c"]
SERVICE_TRUST = {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                 "Condition": {"StringEquals": {"aws:SourceAccount": "1"}}}  # fmt: skip


def healthy_prod() -> Inventory:
    """An inventory shaped like the reference prod: every reliability check passes."""
    return {
        "errors": {},
        "network": {
            "vpcs": [{"id": "vpc-1", "cidr": "10.30.0.0/16", "flow_logs": ["ALL"], "flow_log_groups": ["flow-logs"],
                      "flow_log_roles": ["arn:aws:iam::1:role/desk/flow-logs"]}],
            "security_groups": [
                {"id": "sg-default", "name": "default", "default": True, "ingress": [], "egress": []},
                {"id": "sg-alb", "name": "alb", "default": False, "egress": [],
                 "ingress": [{"protocol": "tcp", "from": 80, "to": 80, "sources": [], "prefix_lists": ["pl-cloudfront"], "groups": []}]},
                {"id": "sg-db", "name": "db", "default": False, "egress": [],
                 "ingress": [{"protocol": "tcp", "from": 5432, "to": 5432, "sources": [], "prefix_lists": [], "groups": ["sg-app"]}]},
            ],
            "subnets": [
                {"id": f"{network_tier}-{i}", "vpc_id": "vpc-1", "az": zone, "network_tier": network_tier,
                 "default_route_nat": f"nat-{i}" if network_tier == "private" else None,
                 "route_to_internet": network_tier == "public"}
                for i, zone in enumerate(ZONES) for network_tier in ("public", "private", "isolated")
            ],
            "nat_gateways": [{"id": f"nat-{i}", "subnet_id": f"public-{i}", "az": zone, "state": "available"}
                             for i, zone in enumerate(ZONES)],
        },
        "load_balancers": [{
            "arn": "arn:aws:elasticloadbalancing:eu-west-2:1:loadbalancer/lb", "name": "edge-alb", "scheme": "internal", "azs": ZONES, "deletion_protection": True,
            "access_logs": True, "drops_invalid_headers": True, "security_groups": ["sg-alb"],
            "listeners": [{"port": 80, "protocol": "HTTP", "ssl_policy": None,
                           "default_actions": ["forward"], "redirects_to_https": False, "forwards": True}],
            "target_groups": [{"arn": "arn:tg", "name": "edge-tg", "targets": [
                {"id": "10.30.64.10", "az": "eu-west-2a", "state": "healthy"},
                {"id": "10.30.80.10", "az": "eu-west-2b", "state": "healthy"}]}],
        }],
        "ecs": {"services": [{
            "arn": "arn:svc", "name": "app-service", "cluster": "app-cluster", "desired": 2, "running": 2,
            "container_insights": "enhanced", "task_definition": "arn:aws:ecs:eu-west-2:1:task-definition/app:3",
            "subnets": ["private-0", "private-1", "private-2"], "assign_public_ip": False,
            "circuit_breaker": {"enable": True, "rollback": True},
            "deployments": [{"status": "PRIMARY", "rollout_state": "COMPLETED"}],
            "task_azs": ["eu-west-2a", "eu-west-2b"], "scaling": {"min": 2, "max": 6, "policies": 2},
        }]},
        "rds": {"instances": [{"id": "desk-prod", "engine": "postgres", "multi_az": True, "backup_retention": 14,
                               "deletion_protection": True, "encrypted": True, "public": False,
                               "subnet_azs": ZONES, "monitoring_interval": 60, "performance_insights": True,
                               "log_exports": ["postgresql", "upgrade"], "force_ssl": True,
                               "monitoring_role": "arn:aws:iam::1:role/desk/db-monitoring"}]},
        "protection": {"edge-alb": {"web_acl": "edge-waf", "logging": True,
                                    "rules": ["AWSManagedRulesCommonRuleSet", "rate-limit"],
                                    "managed_rule_groups": ["AWS/AWSManagedRulesCommonRuleSet"],
                                    "log_destinations": ["arn:aws:logs:eu-west-2:1:log-group:aws-waf-logs-edge"]}},
        "storage": [{"name": "edge-access-logs", "encryption": "AES256", "denies_insecure_transport": True,
                     "public_access_block": {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                                             "BlockPublicPolicy": True, "RestrictPublicBuckets": True}}],
        "identity": [
            {"arn": "arn:aws:iam::1:role/desk/app-task", "name": "app-task", "used_by": "task",
             "trust": [SERVICE_TRUST], "policies": []},
            {"arn": "arn:aws:iam::1:role/desk/app-execution", "name": "app-execution", "used_by": "task",
             "trust": [SERVICE_TRUST],
             "policies": [{"name": "AmazonECSTaskExecutionRolePolicy", "kind": "managed", "statements": [
                              {"Effect": "Allow", "Action": ["ecr:GetAuthorizationToken", "logs:PutLogEvents"], "Resource": "*"}]},
                          {"name": "secret", "kind": "inline", "statements": [
                              {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "arn:db"}]}]}],
        "keys_and_secrets": {"keys": [{"id": "key-1", "rotation": True}],
                             "secrets": [{"arn": "arn:aws:secretsmanager:eu-west-2:1:secret:rds!db", "rotation": True}]},
        "workload": {
            "task_definitions": [{"arn": "arn:aws:ecs:eu-west-2:1:task-definition/app:3", "containers": [{
                "name": "app", "image": "1.dkr.ecr.eu-west-2.amazonaws.com/desk@sha256:abc",
                "env_names": ["DB_HOST", "ENVIRONMENT"], "secret_names": ["DB_PASSWORD", "DB_USERNAME"],
                "log_driver": "awslogs", "log_group": "app-logs", "read_only_root": True}]}],
            "repositories": [{"name": "desk", "scan_on_push": True}],
        },
        "log_groups": [{"name": "app-logs", "source": "containers", "retention_days": 90, "kms_key_id": "arn:key"},
                       {"name": "flow-logs", "source": "flow logs", "retention_days": 90, "kms_key_id": "arn:key"}],
        "cloudfront": [{"id": "E1", "domain": "d1.cloudfront.net", "viewer_protocol_policies": ["redirect-to-https"],
                        "origins": [{"id": "alb", "domain": "internal-edge-alb.eu-west-2.elb.amazonaws.com", "kind": "vpc",
                                     "protocol_policy": None, "vpc_origin_id": "vo_1"}],
                        "web_acl": None, "logging": True, "default_certificate": False, "minimum_tls": "TLSv1.2_2021"}],
        "alarms": [
            {"name": f"{metric}-{value}", "namespace": namespace, "metric": metric,
             "dimensions": {dimension: value}, "actions": 1}
            for namespace, metrics, dimension, value in [
                ("AWS/ApplicationELB", ("HTTPCode_Target_5XX_Count", "UnHealthyHostCount", "TargetResponseTime"),
                 "LoadBalancer", "lb"),
                ("AWS/ECS", ("CPUUtilization", "MemoryUtilization"), "ServiceName", "app-service"),
                ("AWS/RDS", ("CPUUtilization", "FreeStorageSpace", "DatabaseConnections"), "DBInstanceIdentifier", "desk-prod"),
            ]
            for metric in metrics
        ],
    }  # fmt: skip


def statuses(inventory: Inventory, check_id: str, tier: str = "prod") -> set[Status]:
    return {f.status for f in evaluate(inventory, tier_defaults(tier)) if f.check.id == check_id}


# check id -> how to break the healthy inventory
BREAK = {
    "vpc_multi_az_subnets": lambda inv: inv["network"].update(
        subnets=[s for s in inv["network"]["subnets"] if s["az"] == "eu-west-2a"]),
    "vpc_nat_per_az": lambda inv: [s.update(default_route_nat="nat-0") for s in inv["network"]["subnets"]],
    "alb_multi_az": lambda inv: inv["load_balancers"][0].update(azs=["eu-west-2a"]),
    "alb_targets_healthy": lambda inv: inv["load_balancers"][0]["target_groups"][0]["targets"][1].update(state="unhealthy"),
    "alb_deletion_protection": lambda inv: inv["load_balancers"][0].update(deletion_protection=False),
    "ecs_service_min_tasks": lambda inv: inv["ecs"]["services"][0].update(running=1),
    "ecs_service_multi_az": lambda inv: inv["ecs"]["services"][0].update(task_azs=["eu-west-2a", "eu-west-2a"]),
    "ecs_service_circuit_breaker": lambda inv: inv["ecs"]["services"][0].update(circuit_breaker=None),
    "ecs_service_autoscaling": lambda inv: inv["ecs"]["services"][0].update(scaling={"min": 1, "max": 1, "policies": 0}),
    "rds_multi_az": lambda inv: inv["rds"]["instances"][0].update(multi_az=False),
    "rds_backups": lambda inv: inv["rds"]["instances"][0].update(backup_retention=3),
    "rds_deletion_protection": lambda inv: inv["rds"]["instances"][0].update(deletion_protection=False),
    "rds_subnet_group_multi_az": lambda inv: inv["rds"]["instances"][0].update(subnet_azs=["eu-west-2a"]),
    "sg_no_public_admin_ports": lambda inv: inv["network"]["security_groups"][2]["ingress"][0].update(sources=["0.0.0.0/0"]),
    "sg_default_closed": lambda inv: inv["network"]["security_groups"][0]["egress"].append(
        {"protocol": "-1", "from": None, "to": None, "sources": ["0.0.0.0/0"], "prefix_lists": [], "groups": []}),
    "alb_https_only": lambda inv: inv["load_balancers"][0].update(scheme="internet-facing"),
    "cloudfront_no_plain_http": lambda inv: inv["cloudfront"][0]["origins"][0].update(kind="custom", protocol_policy="http-only"),
    "alb_tls_policy": lambda inv: inv["load_balancers"][0]["listeners"].append(
        {"port": 443, "protocol": "HTTPS", "ssl_policy": "ELBSecurityPolicy-2016-08", "default_actions": ["forward"],
         "redirects_to_https": False, "forwards": True}),
    "rds_encrypted": lambda inv: inv["rds"]["instances"][0].update(encrypted=False),
    "rds_not_public": lambda inv: inv["rds"]["instances"][0].update(public=True),
    "ecs_service_no_public_ip": lambda inv: inv["ecs"]["services"][0].update(assign_public_ip=True),
    "vpc_flow_logs": lambda inv: inv["network"]["vpcs"][0].update(flow_logs=[]),
    "alb_access_logs": lambda inv: inv["load_balancers"][0].update(access_logs=False),
    "ecs_container_insights": lambda inv: inv["ecs"]["services"][0].update(container_insights="disabled"),
    "ecs_no_plaintext_secrets": lambda inv: inv["workload"]["task_definitions"][0]["containers"][0]["env_names"].append("DB_PASSWORD"),
    "ecs_logging": lambda inv: inv["workload"]["task_definitions"][0]["containers"][0].update(log_driver=None),
    "ecr_scan_on_push": lambda inv: inv["workload"]["repositories"][0].update(scan_on_push=False),
    "logs_retention": lambda inv: inv["log_groups"][0].update(retention_days=None),
    "rds_monitoring": lambda inv: inv["rds"]["instances"][0].update(monitoring_interval=0, performance_insights=False),
    "alarms_core_metrics": lambda inv: inv["alarms"].pop(),
    "alb_waf_attached": lambda inv: inv["protection"]["edge-alb"].update(web_acl=None),
    "waf_logging": lambda inv: inv["protection"]["edge-alb"].update(logging=False),
    "s3_public_access_blocked": lambda inv: inv["storage"][0]["public_access_block"].update(BlockPublicPolicy=False),
    "s3_encryption": lambda inv: inv["storage"][0].update(encryption="none"),
    "s3_tls_only": lambda inv: inv["storage"][0].update(denies_insecure_transport=False),
    # A customer-managed policy allowing everything (not named AdministratorAccess).
    "iam_workload_roles_least_privilege": lambda inv: inv["identity"][0]["policies"].append(
        {"name": "app-everything", "kind": "managed", "statements": [{"Effect": "Allow", "Action": "*:*", "Resource": "*"}]}),
    "iam_service_trust_scoped": lambda inv: inv["identity"][1]["trust"][0].pop("Condition"),
    "waf_acl_has_rules": lambda inv: inv["protection"]["edge-alb"].update(rules=[], managed_rule_groups=[]),
    "cloudfront_web_acl": lambda inv: inv["protection"]["edge-alb"].update(rules=[]),
    "cloudfront_viewer_tls": lambda inv: inv["cloudfront"][0].update(minimum_tls="TLSv1_2016"),
    "cloudfront_origin_private": lambda inv: inv["cloudfront"][0]["origins"][0].update(kind="custom", protocol_policy="https-only"),
    "cloudfront_access_logging": lambda inv: inv["cloudfront"][0].update(logging=False),
    "rds_force_ssl": lambda inv: inv["rds"]["instances"][0].update(force_ssl=False),
    "rds_log_exports": lambda inv: inv["rds"]["instances"][0].update(log_exports=["postgresql"]),
    "alb_drops_invalid_headers": lambda inv: inv["load_balancers"][0].update(drops_invalid_headers=False),
    "ecs_read_only_root": lambda inv: inv["workload"]["task_definitions"][0]["containers"][0].update(read_only_root=False),
    "logs_kms_encrypted": lambda inv: inv["log_groups"][1].update(kms_key_id=None),
    "kms_rotation": lambda inv: inv["keys_and_secrets"]["keys"][0].update(rotation=False),
    "secrets_rotation": lambda inv: inv["keys_and_secrets"]["secrets"][0].update(rotation=False),
}  # fmt: skip


def test_every_check_has_a_failing_case():
    assert set(BREAK) == {meta.id for meta, _ in REGISTRY}


# Without a domain the load balancer is internal and has no HTTPS listener to judge.
NOT_APPLICABLE = {"alb_tls_policy": Status.SKIPPED}


def test_reference_shaped_prod_passes_everything():
    findings = evaluate(healthy_prod(), tier_defaults("prod"))
    assert {f.check.id: f.status for f in findings if f.status != Status.PASS} == NOT_APPLICABLE


@pytest.mark.parametrize("check_id", sorted(BREAK))
def test_check_fails_when_broken(check_id):
    inventory = copy.deepcopy(healthy_prod())
    BREAK[check_id](inventory)
    assert Status.FAIL in statuses(inventory, check_id)
    assert statuses(healthy_prod(), check_id) == {NOT_APPLICABLE.get(check_id, Status.PASS)}


def test_dev_is_not_failed_for_what_its_profile_saves():
    dev = copy.deepcopy(healthy_prod())
    for breaker in (
        "vpc_nat_per_az",
        "rds_multi_az",
        "rds_deletion_protection",
        "alb_deletion_protection",
    ):
        BREAK[breaker](dev)
    dev["ecs"]["services"][0].update(
        desired=1, running=1, task_azs=["eu-west-2a"], scaling={"min": 1, "max": 2, "policies": 1}
    )
    dev["rds"]["instances"][0]["backup_retention"] = 1
    findings = evaluate(dev, tier_defaults("dev"))
    assert [f"{f.check.id}" for f in findings if f.status == Status.FAIL] == []
    skipped = {f.check.id for f in findings if f.status == Status.SKIPPED}
    assert {
        "vpc_nat_per_az",
        "rds_multi_az",
        "rds_deletion_protection",
        "alb_deletion_protection",
    } <= skipped


def test_missing_permission_is_not_evaluated_never_passed():
    inventory = healthy_prod()
    inventory["errors"]["rds"] = "AccessDenied on DescribeDBInstances"
    findings = [f for f in evaluate(inventory, tier_defaults("prod")) if f.check.id.startswith("rds_")]
    assert {f.status for f in findings} == {Status.NOT_EVALUATED}
    assert "AccessDenied on DescribeDBInstances" in findings[0].message


def test_malformed_data_is_an_error_not_a_pass():
    inventory = healthy_prod()
    del inventory["rds"]["instances"][0]["multi_az"]
    assert statuses(inventory, "rds_multi_az") == {Status.ERROR}


def domain_shaped(inventory: Inventory) -> Inventory:
    """The custom-domain shape: an internet-facing HTTPS load balancer, no CloudFront."""
    inventory["load_balancers"][0].update(scheme="internet-facing", listeners=[
        {"port": 443, "protocol": "HTTPS", "ssl_policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
         "default_actions": ["forward"], "redirects_to_https": False, "forwards": True},
        {"port": 80, "protocol": "HTTP", "ssl_policy": None, "default_actions": ["redirect"],
         "redirects_to_https": True, "forwards": False}])  # fmt: skip
    inventory["cloudfront"] = []
    return inventory


def test_with_a_domain_https_and_a_redirect_pass_and_no_cloudfront_is_skipped():
    inventory = domain_shaped(healthy_prod())
    assert statuses(inventory, "alb_https_only") == {Status.PASS}
    assert statuses(inventory, "alb_tls_policy") == {Status.PASS}
    assert statuses(inventory, "cloudfront_no_plain_http") == {Status.SKIPPED}


def test_internet_facing_http_that_forwards_fails_even_if_only_cloudfront_may_connect():
    """The old no-domain shape: HTTP from CloudFront's prefix list, forwarded by a listener
    rule that checked a secret header. Still plain HTTP on a public address."""
    inventory = healthy_prod()
    inventory["load_balancers"][0].update(scheme="internet-facing", listeners=[
        {"port": 80, "protocol": "HTTP", "ssl_policy": None, "default_actions": ["fixed-response"],
         "redirects_to_https": False, "forwards": True}])  # fmt: skip
    assert statuses(inventory, "alb_https_only") == {Status.FAIL}


@pytest.mark.parametrize(
    ("origin", "viewers"),
    [
        ({"kind": "custom", "protocol_policy": "match-viewer"}, ["redirect-to-https"]),
        ({}, ["allow-all", "redirect-to-https"]),
    ],
    ids=["match-viewer-origin", "viewers-may-use-http"],
)
def test_cloudfront_fails_on_plain_http_across_the_internet(origin, viewers):
    inventory = healthy_prod()
    [distribution] = inventory["cloudfront"]
    distribution["origins"][0].update(origin)
    distribution["viewer_protocol_policies"] = viewers
    assert statuses(inventory, "cloudfront_no_plain_http") == {Status.FAIL}


def test_https_only_custom_origin_passes():
    inventory = healthy_prod()
    inventory["cloudfront"][0]["origins"][0].update(kind="custom", protocol_policy="https-only")
    assert statuses(inventory, "cloudfront_no_plain_http") == {Status.PASS}


def test_web_ports_open_to_the_internet_are_not_admin_ports():
    assert statuses(healthy_prod(), "sg_no_public_admin_ports") == {Status.PASS}
