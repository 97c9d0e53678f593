"""The availability and security of each environment, asserted on its synthesized model."""

from __future__ import annotations

import json
from pathlib import Path

import pulumi
import pytest
from project_facts import load as load_facts

import synth
from stack import require_image_to_deploy, required_tags
from synth import ACCOUNT, stack_config, synthesize
from tests.conftest import Model

BUSINESS_METRIC = load_facts().require_business_metric()  # project.yaml

SUBNET = "aws:ec2/subnet:Subnet"
NAT = "aws:ec2/natGateway:NatGateway"
ECS_SERVICE = "aws:ecs/service:Service"
RDS = "aws:rds/instance:Instance"
LISTENER = "aws:lb/listener:Listener"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
VPC_ORIGIN = "aws:cloudfront/vpcOrigin:VpcOrigin"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
FIS_TEMPLATE = "aws:fis/experimentTemplate:ExperimentTemplate"
DOCKERFILE = Path(__file__).resolve().parents[2] / "app" / "Dockerfile"
PIPELINE_IMAGE = f"{ACCOUNT}.dkr.ecr.eu-west-2.amazonaws.com/desk@sha256:{'0' * 64}"


def subnets(model, tier: str) -> list[dict]:
    return [s for s in model.of_type(SUBNET) if s["inputs"]["tags"]["network-tier"] == tier]


def test_three_subnet_tiers_in_every_zone(model):
    zones = {
        tier: {s["inputs"]["availabilityZone"] for s in subnets(model, tier)}
        for tier in ("public", "private", "isolated")
    }
    assert all(len(z) >= model.guarantees.min_zones for z in zones.values()), zones
    assert zones["public"] == zones["private"] == zones["isolated"]


def test_prod_has_a_nat_gateway_per_zone_and_each_zone_uses_its_own(prod):
    nat_zone = {}
    public_zone = {
        f"{s['name']}-id": s["inputs"]["availabilityZone"] for s in subnets(prod, "public")
    }
    for nat in prod.of_type(NAT):
        nat_zone[f"{nat['name']}-id"] = public_zone[nat["inputs"]["subnetId"]]
    assert len(nat_zone) == 3 and len(set(nat_zone.values())) == 3
    for i, private in enumerate(sorted(subnets(prod, "private"), key=lambda s: s["name"])):
        table = prod.named(f"network-private-rt-{i}")
        [route] = table["inputs"]["routes"]
        assert nat_zone[route["natGatewayId"]] == private["inputs"]["availabilityZone"]


def test_isolated_subnets_have_no_internet_route(model):
    isolated_ids = {f"{s['name']}-id" for s in subnets(model, "isolated")}
    associations = model.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")
    assert not [a for a in associations if a["inputs"]["subnetId"] in isolated_ids]


def test_dev_is_the_cheaper_profile(dev):
    assert len(dev.of_type(NAT)) == 1
    assert dev.one(RDS)["inputs"]["multiAz"] is False
    assert dev.one(ECS_SERVICE)["inputs"]["desiredCount"] == 1
    assert dev.of_type("aws:wafv2/webAcl:WebAcl") == []
    assert dev.of_type("aws:sns/topicSubscription:TopicSubscription") == []
    assert dev.of_type("aws:ec2/vpcEndpoint:VpcEndpoint") == []


def test_service_is_spread_private_and_rolls_back(model):
    service = model.one(ECS_SERVICE)["inputs"]
    assert service["desiredCount"] >= model.guarantees.min_tasks
    assert service["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert service["deploymentMinimumHealthyPercent"] == 100
    assert service["networkConfiguration"]["assignPublicIp"] is False
    private_ids = {f"{s['name']}-id" for s in subnets(model, "private")}
    assert set(service["networkConfiguration"]["subnets"]) == private_ids
    scaling = model.one("aws:appautoscaling/target:Target")["inputs"]
    assert model.guarantees.min_tasks <= scaling["minCapacity"] < scaling["maxCapacity"]


def test_database_is_private_encrypted_and_tiered(model):
    db = model.one(RDS)["inputs"]
    key_arn = f"arn:aws:kms:{model.data['region']}:123456789012:key/database-key"
    assert db["storageEncrypted"] is True and db["kmsKeyId"] == key_arn
    assert db["publiclyAccessible"] is False
    assert db["manageMasterUserPassword"] is True
    assert db["multiAz"] or not model.guarantees.db_multi_az
    assert db["deletionProtection"] or not model.guarantees.db_deletion_protection
    assert db["backupRetentionPeriod"] >= model.guarantees.min_backup_days
    params = model.one("aws:rds/parameterGroup:ParameterGroup")["inputs"]["parameters"]
    assert {"name": "rds.force_ssl", "value": "1"} in params
    assert db["enabledCloudwatchLogsExports"] == ["postgresql", "upgrade"]


def test_database_accepts_only_the_app(model):
    [rule] = [
        r
        for r in model.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r["inputs"]["securityGroupId"] == "database-sg-id"
    ]
    assert rule["inputs"]["referencedSecurityGroupId"] == "service-sg-id"
    assert rule["inputs"]["fromPort"] == rule["inputs"]["toPort"] == 5432


def test_load_balancer_reaches_the_tasks_and_nothing_else(model):
    assert model.one(LOAD_BALANCER)["inputs"]["dropInvalidHeaderFields"] is True
    egress = [
        r["inputs"]
        for r in model.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
        if r["inputs"]["securityGroupId"] == "edge-alb-sg-id"
    ]
    assert [(e["referencedSecurityGroupId"], e["fromPort"], e["toPort"]) for e in egress] == [
        ("service-sg-id", 8000, 8000)
    ]


def test_app_gets_its_credentials_from_secrets_manager(model):
    [container] = json.loads(
        model.one("aws:ecs/taskDefinition:TaskDefinition")["inputs"]["containerDefinitions"]
    )
    assert {s["name"] for s in container["secrets"]} == {"SESSION_SECRET"}
    environment = {e["name"]: e["value"] for e in container["environment"]}
    assert not {name for name in environment if "PASSWORD" in name or "SECRET" in name}
    # The database's user and password: the app reads the secret when it connects, so it
    # follows RDS's rotation; only the task role may read it.
    secret = environment["DB_CREDENTIALS_ARN"]
    readers = {
        r["name"]
        for r in model.of_type("aws:iam/rolePolicy:RolePolicy")
        for statement in json.loads(r["inputs"]["policy"])["Statement"]
        if secret in statement["Resource"]
    }
    assert readers == {"service-task-db-secret"}


def test_read_only_tasks_get_a_writable_tmp(model):
    [container] = json.loads(
        model.one("aws:ecs/taskDefinition:TaskDefinition")["inputs"]["containerDefinitions"]
    )
    assert container["readonlyRootFilesystem"] is True
    assert container["user"] == "10001:10001"
    tmp_volume = {"sourceVolume": "tmp", "containerPath": "/tmp"}  # noqa: S108
    assert container["mountPoints"] == [tmp_volume]
    # Fargate gives the volume the image's /tmp permissions only if the image declares it.
    assert 'VOLUME ["/tmp"]' in DOCKERFILE.read_text()


def test_without_a_domain_cloudfront_serves_https_and_the_alb_admits_only_it(
    prod_without_domain,
):
    prod = prod_without_domain
    cdn = prod.one(DISTRIBUTION)["inputs"]
    assert cdn["defaultCacheBehavior"]["viewerProtocolPolicy"] == "redirect-to-https"
    assert cdn["viewerCertificate"] == {"cloudfrontDefaultCertificate": True}
    ingress = [
        r["inputs"]
        for r in prod.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r["inputs"]["securityGroupId"] == "edge-alb-sg-id"
    ]
    assert ingress == [
        {**ingress[0], "prefixListId": "pl-cloudfront", "fromPort": 80, "toPort": 80}
    ]
    assert "cidrIpv4" not in ingress[0]
    # No shared secret any more: nothing but CloudFront's VPC origin can reach the ALB.
    assert prod.of_type("aws:lb/listenerRule:ListenerRule") == []
    assert "customHeaders" not in cdn["origins"][0]


def test_without_a_domain_nothing_faces_the_internet_but_cloudfront(prod_without_domain):
    prod = prod_without_domain
    [alb] = [lb["inputs"] for lb in prod.of_type(LOAD_BALANCER)]
    assert alb["internal"] is True
    private = {f"{s['name']}-id" for s in subnets(prod, "private")}
    assert set(alb["subnets"]) == private
    [origin] = prod.of_type(VPC_ORIGIN)
    endpoint = origin["inputs"]["vpcOriginEndpointConfig"]
    assert endpoint["arn"].endswith("loadbalancer/edge-alb")
    # CloudFront creates a VPC origin only in a VPC with an internet gateway.
    assert prod.named("network-igw")["urn"] in origin["dependencies"]
    [cdn_origin] = prod.one(DISTRIBUTION)["inputs"]["origins"]
    assert cdn_origin["vpcOriginConfig"]["vpcOriginId"] == "edge-origin-id"
    assert "customOriginConfig" not in cdn_origin  # no origin across the internet at all


def test_with_a_domain_no_listener_forwards_plain_http_to_the_internet(prod_with_domain):
    [alb] = prod_with_domain.of_type(LOAD_BALANCER)
    assert alb["inputs"]["internal"] is False
    public = {f"{s['name']}-id" for s in subnets(prod_with_domain, "public")}
    assert set(alb["inputs"]["subnets"]) == public
    plain = [r["inputs"] for r in prod_with_domain.of_type(LISTENER)
             if r["inputs"]["protocol"] == "HTTP"]  # fmt: skip
    assert plain and all(
        action["type"] == "redirect" for listener in plain for action in listener["defaultActions"]
    )
    assert prod_with_domain.of_type("aws:lb/listenerRule:ListenerRule") == []
    assert prod_with_domain.of_type(VPC_ORIGIN) == []


def test_with_a_domain_https_only_and_http_redirects(prod_with_domain):
    listeners = {r["inputs"]["port"]: r["inputs"] for r in prod_with_domain.of_type(LISTENER)}
    assert listeners[443]["protocol"] == "HTTPS"
    assert listeners[443]["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    redirect = listeners[80]["defaultActions"][0]
    assert redirect["type"] == "redirect"
    assert redirect["redirect"] == {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}
    assert prod_with_domain.of_type(DISTRIBUTION) == []


def test_each_stack_is_reached_the_way_its_config_says(model):
    domain = stack_config(model.stack).get(f"{model.data['project']}:domainName")
    if domain:
        assert {r["inputs"]["port"] for r in model.of_type(LISTENER)} == {80, 443}
        assert model.of_type(DISTRIBUTION) == []
    else:
        assert model.one(DISTRIBUTION)["inputs"]["enabled"] is True
        assert {r["inputs"]["port"] for r in model.of_type(LISTENER)} == {80}


def test_service_starts_only_once_a_listener_routes_to_it(model):
    """ECS rejects a target group that no listener uses yet: the service must wait."""
    routing = {
        r["urn"]
        for r in model.resources
        if r["type"] in (LISTENER, "aws:lb/listenerRule:ListenerRule")
    }
    assert routing <= set(model.one(ECS_SERVICE)["dependencies"])


def test_waf_limits_each_client_by_its_real_address(prod_with_domain, prod_without_domain):
    def rate_limit(model) -> dict:
        acl = model.one("aws:wafv2/webAcl:WebAcl")["inputs"]
        [rule] = [r for r in acl["rules"] if r["name"] == "rate-limit"]
        return rule["statement"]["rateBasedStatement"]

    # Directly on the internet the ALB sees the client; behind CloudFront, only the header
    # CloudFront adds.
    assert rate_limit(prod_with_domain)["aggregateKeyType"] == "IP"
    assert rate_limit(prod_without_domain)["aggregateKeyType"] == "FORWARDED_IP"


def test_waf_protects_the_load_balancer_where_the_tier_says(model):
    associations = model.of_type("aws:wafv2/webAclAssociation:WebAclAssociation")
    if model.tier == "dev":
        assert associations == []
    else:
        [association] = associations
        assert association["inputs"]["resourceArn"].endswith("loadbalancer/edge-alb")


def test_business_alarm_watches_the_metric_the_app_sends(prod):
    [container] = json.loads(
        prod.one("aws:ecs/taskDefinition:TaskDefinition")["inputs"]["containerDefinitions"]
    )
    env = {e["name"]: e["value"] for e in container["environment"]}
    [alarm] = [
        a["inputs"]
        for a in prod.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if a["inputs"]["metricName"] == BUSINESS_METRIC.name
    ]
    assert env["METRICS_SINK"] == "emf"
    assert env["BUSINESS_METRIC"] == BUSINESS_METRIC.name, "the app counts what the alarm watches"
    assert alarm["namespace"] == env["METRICS_NAMESPACE"]
    assert alarm["dimensions"] == {"Service": env["SERVICE_NAME"], "Environment": "prod"}
    assert env["ENVIRONMENT"] == "prod"
    # No data means nothing happened, not that monitoring broke.
    assert alarm["treatMissingData"] == "breaching"
    assert alarm["alarmDescription"] == f"No {BUSINESS_METRIC.counts} for 24 hours"


def test_the_dashboard_graphs_the_business_metric(model):
    body = json.loads(model.one("aws:cloudwatch/dashboard:Dashboard")["inputs"]["dashboardBody"])
    graphs = {w["properties"]["title"]: w["properties"]["metrics"] for w in body["widgets"]}
    [[_, metric, *_]] = graphs[BUSINESS_METRIC.counts.capitalize()]
    assert metric == BUSINESS_METRIC.name


def test_every_alarm_notifies_the_topic(model):
    topic = model.one("aws:sns/topic:Topic")
    topic_arn = f"arn:aws:sns:{model.data['region']}:123456789012:topic/{topic['name']}"
    alarms = model.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    metrics = {a["inputs"]["metricName"] for a in alarms}
    assert {
        "HTTPCode_Target_5XX_Count",
        "UnHealthyHostCount",
        "TargetResponseTime",
        "CPUUtilization",
        "MemoryUtilization",
        "FreeStorageSpace",
        "DatabaseConnections",
    } <= metrics
    for alarm in alarms:
        assert alarm["inputs"]["alarmActions"] == [topic_arn], alarm["name"]
        assert alarm["inputs"]["okActions"] == [topic_arn], alarm["name"]
    assert (BUSINESS_METRIC.name in metrics) is (model.tier == "prod")


def test_alarm_topic_is_encrypted_with_a_key_cloudwatch_may_use(model):
    topic = model.one("aws:sns/topic:Topic")["inputs"]
    [key] = [k for k in model.of_type("aws:kms/key:Key") if k["name"] == "observability-alerts-key"]
    assert topic["kmsMasterKeyId"].endswith(f"key/{key['name']}")
    statements = {s["Sid"]: s for s in json.loads(key["inputs"]["policy"])["Statement"]}
    publish = statements["CloudWatchAlarmsPublish"]
    assert publish["Principal"] == {"Service": ["cloudwatch.amazonaws.com"]}
    assert set(publish["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}


def test_every_aws_resource_carries_the_required_tags(model):
    provider = model.one("pulumi:providers:aws")
    expected = required_tags(model.data["project"], model.stack, tier=model.tier)
    assert json.loads(provider["inputs"]["defaultTags"]) == {"tags": expected}
    for resource in model.resources:
        if resource["custom"] and resource["type"].startswith("aws:"):
            assert resource["provider"] == provider["urn"], resource["urn"]


def test_logs_are_kept_for_the_profile_retention(model):
    for group in model.of_type("aws:cloudwatch/logGroup:LogGroup"):
        assert group["inputs"]["retentionInDays"] >= 14, group["name"]


def container_image(model) -> str:
    [container] = json.loads(
        model.one("aws:ecs/taskDefinition:TaskDefinition")["inputs"]["containerDefinitions"]
    )
    return container["image"]


def test_no_stack_creates_an_image_registry(model):
    # The registry is the bootstrap's, shared by every environment: built once, promoted.
    assert not [r["type"] for r in model.resources if r["type"].startswith("aws:ecr/")]


def test_tasks_run_the_image_the_pipeline_passes():
    stack = synthesize("staging", image=PIPELINE_IMAGE)
    assert container_image(Model(stack)) == PIPELINE_IMAGE
    assert stack["outputs"]["image"] == PIPELINE_IMAGE


def test_a_stack_never_deployed_previews_a_placeholder_from_the_shared_registry(model):
    region, project = model.data["region"], model.data["project"]
    placeholder = f"{ACCOUNT}.dkr.ecr.{region}.amazonaws.com/{project}:initial"
    assert container_image(model) == placeholder
    assert model.data["outputs"]["image"] == placeholder


def test_the_registry_is_looked_up_through_the_stacks_provider(monkeypatch):
    calls = []
    answer = synth.FakeAws.call

    def spy(self, args):
        calls.append((args.token, args.args, args.provider))
        return answer(self, args)

    monkeypatch.setattr(synth.FakeAws, "call", spy)
    dev = Model(synthesize("dev"))
    [(_, args, provider)] = [c for c in calls if c[0] == "aws:ecr/getRepository:getRepository"]
    assert args["name"] == dev.data["project"]
    assert provider.startswith(dev.one("pulumi:providers:aws")["urn"] + "::")


def test_deploying_needs_an_image_previewing_does_not():
    require_image_to_deploy(None, preview=True)
    require_image_to_deploy(PIPELINE_IMAGE, preview=False)
    with pytest.raises(pulumi.RunError, match="image: not set"):
        require_image_to_deploy(None, preview=False)


def test_outputs_the_pipeline_reads(model):
    outputs = model.data["outputs"]
    assert {"url", "cluster_name", "service_name", "image"} <= set(outputs)
    assert "repository_url" not in outputs  # the registry is the bootstrap's output now
    assert outputs["image"] == container_image(model)  # what the service runs


def test_ecs_can_pull_from_the_shared_registry(model):
    # AWS's managed execution policy allows pulls from the account's repositories; the
    # registry lives in the same account as the environments.
    [attachment] = [
        r["inputs"]
        for r in model.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if r["name"] == "service-execution"
    ]
    assert attachment["policyArn"].endswith(":policy/service-role/AmazonECSTaskExecutionRolePolicy")


def test_every_service_role_names_the_account_and_where_documented_the_source(model):
    region = model.data["region"]
    trust = {
        r["name"]: json.loads(r["inputs"]["assumeRolePolicy"])["Statement"]
        for r in model.of_type(ROLE)
    }
    source_arns = {}
    for name, statements in trust.items():
        [statement] = statements
        assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": [ACCOUNT]}, name
        source_arns[name] = statement["Condition"].get("ArnLike", {}).get("aws:SourceArn")
    expected = {
        "service-task": [f"arn:aws:ecs:{region}:{ACCOUNT}:*"],
        "service-execution": None,  # AWS documents the keys for the task role only
        "network-flow-logs": [f"arn:aws:ec2:{region}:{ACCOUNT}:vpc-flow-log/*"],
    }
    if model.guarantees.db_monitoring:
        identifier = model.one(RDS)["inputs"]["identifier"]
        expected["database-monitoring"] = [f"arn:aws:rds:{region}:{ACCOUNT}:db:{identifier}"]
    if model.of_type(FIS_TEMPLATE):
        expected["drills-fis"] = [f"arn:aws:fis:{region}:{ACCOUNT}:experiment/*"]
    assert source_arns == expected


def test_log_groups_use_the_environments_own_key_where_the_tier_says(model):
    groups = {g["name"]: g["inputs"].get("kmsKeyId") for g in model.of_type(LOG_GROUP)}
    assert {"service-logs", "network-flow-logs", "database-postgresql-logs"} <= set(groups)
    keys = [k for k in model.of_type("aws:kms/key:Key") if k["name"] == "logs-key"]
    if not model.guarantees.logs_kms_encrypted:
        assert keys == [] and set(groups.values()) == {None}
        return
    [key] = keys
    assert set(groups.values()) == {f"arn:aws:kms:{model.data['region']}:{ACCOUNT}:key/logs-key"}
    assert key["inputs"]["enableKeyRotation"] is True
    statements = {s["Sid"]: s for s in json.loads(key["inputs"]["policy"])["Statement"]}
    assert statements["AccountAdministers"]["Principal"] == {"AWS": [ACCOUNT]}
    logs = statements["CloudWatchLogsOfThisAccount"]
    region = model.data["region"]
    assert logs["Principal"] == {"Service": [f"logs.{region}.amazonaws.com"]}
    assert logs["Condition"] == {
        "ArnLike": {
            "kms:EncryptionContext:aws:logs:arn": [f"arn:aws:logs:{region}:{ACCOUNT}:log-group:*"]
        }
    }


def test_waf_logs_are_encrypted_like_the_others(prod):
    [waf_logs] = [g for g in prod.of_type(LOG_GROUP) if g["name"] == "edge-waf-logs"]
    assert waf_logs["inputs"]["kmsKeyId"].endswith(":key/logs-key")


def test_cloudfront_logs_to_a_private_bucket_of_its_own(prod_without_domain):
    prod = prod_without_domain
    cdn = prod.one(DISTRIBUTION)
    assert cdn["inputs"]["loggingConfig"] == {
        "bucket": "edge-cdn-logs.s3.amazonaws.com",
        "prefix": "cloudfront/",
        "includeCookies": False,
    }

    def of_bucket(type_: str, bucket: str) -> dict:
        [resource] = [r for r in prod.of_type(type_) if r["inputs"]["bucket"] == f"{bucket}-id"]
        return resource

    ownership = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
    cdn_ownership = of_bucket(ownership, "edge-cdn-logs")
    assert cdn_ownership["inputs"]["rule"] == {"objectOwnership": "BucketOwnerPreferred"}
    assert of_bucket(ownership, "edge-access-logs")["inputs"]["rule"] == {
        "objectOwnership": "BucketOwnerEnforced"
    }
    # ACLs are on before CloudFront is told to log (it writes the bucket's ACL then).
    assert cdn_ownership["urn"] in cdn["dependencies"]
    block = of_bucket("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "edge-cdn-logs")
    for setting in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                    "restrictPublicBuckets"):  # fmt: skip
        assert block["inputs"][setting] is True
    sse = of_bucket(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "edge-cdn-logs",
    )
    [rule] = sse["inputs"]["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    lifecycle = of_bucket(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "edge-cdn-logs"
    )
    [expire] = lifecycle["inputs"]["rules"]
    assert expire["expiration"]["days"] >= prod.guarantees.min_log_retention_days
    policy = json.loads(
        of_bucket("aws:s3/bucketPolicy:BucketPolicy", "edge-cdn-logs")["inputs"]["policy"]
    )
    [deny] = policy["Statement"]  # TLS only; CloudFront writes through the ACL, not the policy
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_with_a_domain_there_is_no_cloudfront_log_bucket(prod_with_domain):
    buckets = [b["name"] for b in prod_with_domain.of_type("aws:s3/bucket:Bucket")]
    assert buckets == ["edge-access-logs"]


def test_alarm_names_start_with_the_stacks_prefix_the_inspection_reads(model):
    import botocore.session

    prefix = f"{model.data['project']}-{model.stack}-"  # the inspection's AlarmNamePrefix
    names = [a["inputs"]["name"] for a in model.of_type(ALARM)]
    assert names and len(set(names)) == len(names)
    cloudwatch = botocore.session.get_session().get_service_model("cloudwatch")
    shape = cloudwatch.operation_model("PutMetricAlarm").input_shape.members["AlarmName"]
    for name in names:
        assert name.startswith(prefix) and len(name) <= shape.metadata["max"], name
    assert f"{prefix}target-5xx" in names
