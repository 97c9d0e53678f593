"""Seed a fake AWS (moto) with an environment shaped like the reference prod: no custom
domain, so CloudFront reaches an internal load balancer through a VPC origin."""

from __future__ import annotations

import json

import boto3
from moto.cloudfront import models as cloudfront_models

REGION = "eu-west-2"
ACCOUNT = "123456789012"  # moto's
ZONES = [f"{REGION}{z}" for z in "abc"]


def _keep_vpc_origins() -> None:
    """moto 5.2 drops an origin's VpcOriginConfig (it comes back with no origin config at
    all, a shape AWS never answers): keep it, for the in-process mock and moto's server."""
    create = cloudfront_models.Origin.__init__

    def init(self, origin: dict) -> None:
        create(self, origin)
        self.vpc_origin_config = origin.get("VpcOriginConfig")

    if not getattr(create, "keeps_vpc_origins", False):
        init.keeps_vpc_origins = True
        cloudfront_models.Origin.__init__ = init


_keep_vpc_origins()


def tags(project: str, environment: str, tier: str, **extra: str) -> list[dict]:
    values = {"project": project, "environment": environment, "tier": tier, **extra}
    return [{"Key": k, "Value": v} for k, v in values.items()]


def seed(project: str = "desk", environment: str = "prod", tier: str = "prod", *, broken: bool = False,
         services: int = 1, waf_rules: bool = True) -> dict:  # fmt: skip
    """Create the environment; `broken` makes deliberate reliability mistakes, `waf_rules=False`
    leaves the web ACL empty."""
    ec2 = boto3.client("ec2", region_name=REGION)
    t = tags(project, environment, tier)

    def spec(kind: str, **extra: str) -> list[dict]:
        return [{"ResourceType": kind, "Tags": tags(project, environment, tier, **extra)}]

    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16", TagSpecifications=spec("vpc"))["Vpc"]["VpcId"]
    # As the infrastructure code does: an empty default security group, flow logs on.
    default_sg = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                       {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]  # fmt: skip
    if default_sg.get("IpPermissions"):
        ec2.revoke_security_group_ingress(
            GroupId=default_sg["GroupId"], IpPermissions=default_sg["IpPermissions"]
        )
    if default_sg.get("IpPermissionsEgress"):
        ec2.revoke_security_group_egress(
            GroupId=default_sg["GroupId"], IpPermissions=default_sg["IpPermissionsEgress"]
        )
    logs_key = seed_key("logs")
    ec2.create_flow_logs(ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL", LogDestinationType="cloud-watch-logs",
                         LogGroupName=seed_log_group(f"{project}-flow-logs", logs_key),
                         DeliverLogsPermissionArn=seed_service_role(project, "flow-logs", "vpc-flow-logs.amazonaws.com"))  # fmt: skip
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    public_rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public_rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    subnets: dict[str, list[str]] = {"public": [], "private": [], "isolated": []}
    zones = ZONES[:1] if broken else ZONES
    for i, zone in enumerate(zones):
        for offset, network_tier in enumerate(("public", "private", "isolated")):
            subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.30.{offset * 64 + i * 16}.0/20", AvailabilityZone=zone,
                                       TagSpecifications=spec("subnet", **{"network-tier": network_tier}))["Subnet"]["SubnetId"]  # fmt: skip
            subnets[network_tier].append(subnet)
        ec2.associate_route_table(RouteTableId=public_rt, SubnetId=subnets["public"][i])
        allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
        nat = ec2.create_nat_gateway(SubnetId=subnets["public"][i], AllocationId=allocation,
                                     TagSpecifications=spec("natgateway"))["NatGateway"]["NatGatewayId"]  # fmt: skip
        private_rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.create_route(RouteTableId=private_rt, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
        ec2.associate_route_table(RouteTableId=private_rt, SubnetId=subnets["private"][i])
    if len(zones) == 1:  # the load balancer and the subnet group need two zones even when broken
        for network_tier, offset in (("public", 0), ("isolated", 2)):
            subnets[network_tier].append(ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.30.{offset * 64 + 48}.0/20",
                                                        AvailabilityZone=ZONES[1])["Subnet"]["SubnetId"])  # fmt: skip

    alb_sg = ec2.create_security_group(GroupName=f"{project}-alb", Description="load balancer", VpcId=vpc)[
        "GroupId"
    ]
    # As the infrastructure code does: HTTP from CloudFront's origin-facing prefix list only
    # (broken: the old shape, plain HTTP open to the internet).
    [cloudfront_ips] = ec2.describe_managed_prefix_lists(Filters=[
        {"Name": "prefix-list-name", "Values": ["com.amazonaws.global.cloudfront.origin-facing"]}])["PrefixLists"]  # fmt: skip
    source = ({"IpRanges": [{"CidrIp": "0.0.0.0/0"}]} if broken
              else {"PrefixListIds": [{"PrefixListId": cloudfront_ips["PrefixListId"]}]})  # fmt: skip
    ec2.authorize_security_group_ingress(GroupId=alb_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, **source}])  # fmt: skip
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=f"{project}-access-logs",
                                                         CreateBucketConfiguration={"LocationConstraint": REGION})  # fmt: skip
    elb = boto3.client("elbv2", region_name=REGION)
    lb = elb.create_load_balancer(Name=f"{project}-alb", Subnets=subnets["public" if broken else "private"],
                                  SecurityGroups=[alb_sg], Scheme="internet-facing" if broken else "internal",
                                  Type="application", Tags=t)["LoadBalancers"][0]  # fmt: skip
    elb.modify_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"], Attributes=[
        {"Key": "deletion_protection.enabled", "Value": "false" if broken else "true"},
        {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"},
        {"Key": "access_logs.s3.enabled", "Value": "true"},
        {"Key": "access_logs.s3.bucket", "Value": f"{project}-access-logs"}])  # fmt: skip
    group = elb.create_target_group(
        Name=f"{project}-tg", Protocol="HTTP", Port=8000, VpcId=vpc, TargetType="ip"
    )["TargetGroups"][0]
    forward = [{"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}]
    # Plain HTTP to the app: inside the VPC from CloudFront's VPC origin (broken: from the
    # internet, as CloudFront reached the load balancer before VPC origins).
    elb.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80, DefaultActions=forward
    )
    seed_distribution(project, environment, tier, lb["DNSName"], broken=broken)
    elb.register_targets(
        TargetGroupArn=group["TargetGroupArn"],
        Targets=[{"Id": "10.30.64.10"}, {"Id": "10.30.80.10"}],
    )

    app_sg = ec2.create_security_group(GroupName=f"{project}-app", Description="app tasks", VpcId=vpc)[
        "GroupId"
    ]
    ecs = boto3.client("ecs", region_name=REGION)
    ecs.create_cluster(clusterName=f"{project}-cluster", tags=[{"key": x["Key"], "value": x["Value"]} for x in t],
                       settings=[{"name": "containerInsights", "value": "enhanced"}])  # fmt: skip
    seed_bucket_guards(s3, f"{project}-access-logs")
    roles = seed_task_roles(project)
    repository = seed_image_repository(project)
    seed_log_group(f"{project}-app-logs", logs_key)
    task = ecs.register_task_definition(family=f"{project}-app", networkMode="awsvpc", requiresCompatibilities=["FARGATE"],
                                        taskRoleArn=roles["task"], executionRoleArn=roles["execution"],
                                        cpu="512", memory="1024",
                                        containerDefinitions=[{
                                            "name": "app", "image": f"{repository['repositoryUri']}@sha256:{'0' * 64}", "memory": 1024,
                                            "readonlyRootFilesystem": True,
                                            "environment": [{"name": "ENVIRONMENT", "value": environment}],
                                            "secrets": [{"name": "DB_PASSWORD", "valueFrom": "arn:aws:secretsmanager:eu-west-2:123456789012:secret:db"}],
                                            "logConfiguration": {"logDriver": "awslogs", "options": {
                                                "awslogs-group": f"{project}-app-logs", "awslogs-region": REGION,
                                                "awslogs-stream-prefix": "app"}}}])  # fmt: skip
    scaling = boto3.client("application-autoscaling", region_name=REGION)
    for n in range(services):
        name = "app-service" if n == 0 else f"app-service-{n}"
        ecs.create_service(cluster=f"{project}-cluster", serviceName=name, desiredCount=2, launchType="FARGATE",
                           taskDefinition=task["taskDefinition"]["taskDefinitionArn"],
                           networkConfiguration={"awsvpcConfiguration": {"subnets": subnets["private"], "securityGroups": [app_sg], "assignPublicIp": "DISABLED"}},
                           tags=[{"key": x["Key"], "value": x["Value"]} for x in t])  # fmt: skip
        # moto drops the circuit breaker on create: set it the way a deploy would.
        ecs.update_service(cluster=f"{project}-cluster", service=name, deploymentConfiguration={
            "deploymentCircuitBreaker": {"enable": not broken, "rollback": not broken},
            "maximumPercent": 200, "minimumHealthyPercent": 100})  # fmt: skip
        resource = f"service/{project}-cluster/{name}"
        scaling.register_scalable_target(ServiceNamespace="ecs", ResourceId=resource,
                                         ScalableDimension="ecs:service:DesiredCount", MinCapacity=2, MaxCapacity=6)  # fmt: skip
        scaling.put_scaling_policy(PolicyName="cpu", ServiceNamespace="ecs", ResourceId=resource,
                                   ScalableDimension="ecs:service:DesiredCount", PolicyType="TargetTrackingScaling",
                                   TargetTrackingScalingPolicyConfiguration={"TargetValue": 60.0,
                                       "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}})  # fmt: skip

    rds = boto3.client("rds", region_name=REGION)
    rds.create_db_subnet_group(
        DBSubnetGroupName=f"{project}-db",
        DBSubnetGroupDescription="db",
        SubnetIds=subnets["isolated"],
    )
    # As the database component does: TLS required, the engine's logs exported to log groups
    # of our own (retention, key).
    rds.create_db_parameter_group(DBParameterGroupName=f"{project}-params", DBParameterGroupFamily="postgres16",
                                  Description="db")  # fmt: skip
    rds.modify_db_parameter_group(DBParameterGroupName=f"{project}-params", Parameters=[
        {"ParameterName": "rds.force_ssl", "ParameterValue": "1", "ApplyMethod": "pending-reboot"}])  # fmt: skip
    for log in ("postgresql", "upgrade"):
        seed_log_group(f"/aws/rds/instance/{project}-{environment}/{log}", logs_key)
    rds.create_db_instance(DBInstanceIdentifier=f"{project}-{environment}", DBInstanceClass="db.t4g.medium",
                           Engine="postgres", MasterUsername="app_admin",                            AllocatedStorage=50, MultiAZ=not broken, BackupRetentionPeriod=3 if broken else 14,
                           DeletionProtection=not broken, StorageEncrypted=True, PubliclyAccessible=False,
                           DBSubnetGroupName=f"{project}-db", MonitoringInterval=60, KmsKeyId=seed_key("database"),
                           ManageMasterUserPassword=True, DBParameterGroupName=f"{project}-params",
                           EnableCloudwatchLogsExports=["postgresql", "upgrade"],
                           MonitoringRoleArn=seed_service_role(project, "db-monitoring", "monitoring.rds.amazonaws.com"),
                           Tags=t)  # fmt: skip
    seed_alarms(project, environment, lb["LoadBalancerArn"], services)
    seed_waf(project, lb["LoadBalancerArn"], logs_key, rules=waf_rules)
    secret = rds.describe_db_instances(DBInstanceIdentifier=f"{project}-{environment}")["DBInstances"][0][
        "MasterUserSecret"
    ]
    # RDS turns rotation on for the secrets it manages (every 7 days); moto does not.
    boto3.client("secretsmanager", region_name=REGION).rotate_secret(
        SecretId=secret["SecretArn"], RotationRules={"AutomaticallyAfterDays": 7}
    )
    return {"vpc": vpc, "subnets": subnets, "load_balancer": lb["LoadBalancerArn"]}


def seed_alarms(project: str, environment: str, load_balancer_arn: str, services: int) -> None:
    """The core alarms, each notifying an SNS topic, as the observability component makes them."""
    topic = boto3.client("sns", region_name=REGION).create_topic(Name=f"{project}-alerts")["TopicArn"]
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    lb = load_balancer_arn.split(":loadbalancer/")[-1]
    names = ["app-service"] + [f"app-service-{n}" for n in range(1, services)]
    wanted = [
        ("AWS/ApplicationELB", m, "LoadBalancer", lb)
        for m in ("HTTPCode_Target_5XX_Count", "UnHealthyHostCount", "TargetResponseTime")
    ]
    wanted += [
        ("AWS/ECS", m, "ServiceName", name) for m in ("CPUUtilization", "MemoryUtilization") for name in names
    ]
    wanted += [("AWS/RDS", m, "DBInstanceIdentifier", f"{project}-{environment}")
               for m in ("CPUUtilization", "FreeStorageSpace", "DatabaseConnections")]  # fmt: skip
    for namespace, metric, dimension, value in wanted:
        cloudwatch.put_metric_alarm(AlarmName=f"{project}-{environment}-{metric}-{value}", Namespace=namespace, MetricName=metric,
                                    Dimensions=[{"Name": dimension, "Value": value}], Statistic="Average", Period=60,
                                    EvaluationPeriods=3, Threshold=1, ComparisonOperator="GreaterThanThreshold",
                                    AlarmActions=[topic], OKActions=[topic])  # fmt: skip


def seed_bucket_guards(s3, bucket: str) -> None:
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))  # fmt: skip


def seed_image_repository(project: str) -> dict:
    """As the bootstrap creates it: one per project, shared by every environment, so its
    tags name no environment of its own."""
    return boto3.client("ecr", region_name=REGION).create_repository(
        repositoryName=project, imageTagMutability="IMMUTABLE", imageScanningConfiguration={"scanOnPush": True},
        encryptionConfiguration={"encryptionType": "KMS"},
        tags=[{"Key": "project", "Value": project}, {"Key": "environment", "Value": "shared"},
              {"Key": "managed-by", "Value": "pulumi"}])["repository"]  # fmt: skip


def seed_service_role(project: str, name: str, service: str) -> str:
    """A role only `service` may assume, and only for this account (the infra's trusted_by)."""
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": service},
        "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}}]})  # fmt: skip
    return boto3.client("iam", region_name=REGION).create_role(
        RoleName=f"{project}-{name}", Path=f"/{project}/", AssumeRolePolicyDocument=trust
    )["Role"]["Arn"]


def seed_task_roles(project: str) -> dict[str, str]:
    iam = boto3.client("iam", region_name=REGION)
    task = seed_service_role(project, "task", "ecs-tasks.amazonaws.com")
    execution = seed_service_role(project, "execution", "ecs-tasks.amazonaws.com")
    # A managed policy of the account's own (moto does not load AWS's unless asked: slow).
    pull = iam.create_policy(PolicyName=f"{project}-pull-and-log", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*", "Action": [
            "ecr:GetAuthorizationToken", "ecr:BatchGetImage", "logs:CreateLogStream", "logs:PutLogEvents"]}]}))  # fmt: skip
    iam.attach_role_policy(RoleName=f"{project}-execution", PolicyArn=pull["Policy"]["Arn"])
    iam.put_role_policy(RoleName=f"{project}-execution", PolicyName="secret", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                                                 "Resource": "arn:aws:secretsmanager:eu-west-2:123456789012:secret:db"}]}))  # fmt: skip
    return {"task": task, "execution": execution}


def seed_key(purpose: str) -> str:
    kms = boto3.client("kms", region_name=REGION)
    key = kms.create_key(Description=purpose)["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=key)
    return key


def seed_log_group(name: str, key: str) -> str:
    """A log group as the infrastructure makes them: a retention, the environment's key."""
    logs = boto3.client("logs", region_name=REGION)
    logs.create_log_group(logGroupName=name, kmsKeyId=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key}")
    logs.put_retention_policy(logGroupName=name, retentionInDays=90)
    return name


def seed_distribution(project: str, environment: str, tier: str, origin_domain: str, *, broken: bool) -> None:
    """CloudFront in front: a VPC origin to the internal load balancer (broken: the
    load balancer's public address over plain HTTP)."""
    origin = ({"CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"}}
              if broken else {"VpcOriginConfig": {"VpcOriginId": f"vo_{project}"}})  # fmt: skip
    config = {
        "CallerReference": f"{project}-{environment}", "Comment": project, "Enabled": True,
        "Logging": {"Enabled": True, "IncludeCookies": False, "Bucket": f"{project}-access-logs.s3.amazonaws.com",
                    "Prefix": "cloudfront/"},
        "Origins": {"Quantity": 1, "Items": [{"Id": "alb", "DomainName": origin_domain, **origin}]},
        "DefaultCacheBehavior": {"TargetOriginId": "alb", "ViewerProtocolPolicy": "redirect-to-https",
                                 "CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"},
    }  # fmt: skip
    boto3.client("cloudfront", region_name=REGION).create_distribution_with_tags(
        DistributionConfigWithTags={"DistributionConfig": config,
                                    "Tags": {"Items": tags(project, environment, tier)}})  # fmt: skip


def seed_waf(project: str, load_balancer_arn: str, logs_key: str, *, rules: bool = True) -> None:
    """The web ACL with an AWS managed rule group and a rate limit (rules=False: an empty one)."""
    waf = boto3.client("wafv2", region_name=REGION)

    def visibility(metric: str) -> dict:
        return {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": metric}

    managed = {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesCommonRuleSet"}}
    rate = {"RateBasedStatement": {"Limit": 1000, "AggregateKeyType": "IP"}}
    acl = waf.create_web_acl(Name=f"{project}-waf", Scope="REGIONAL", DefaultAction={"Allow": {}},
                             VisibilityConfig=visibility(project), Rules=[
        {"Name": "AWSManagedRulesCommonRuleSet", "Priority": 1, "Statement": managed,
         "OverrideAction": {"None": {}}, "VisibilityConfig": visibility("common")},
        {"Name": "rate-limit", "Priority": 10, "Statement": rate, "Action": {"Block": {}},
         "VisibilityConfig": visibility("rate")}] if rules else [])["Summary"]  # fmt: skip
    waf.associate_web_acl(WebACLArn=acl["ARN"], ResourceArn=load_balancer_arn)
    logs = boto3.client("logs", region_name=REGION)
    seed_log_group(f"aws-waf-logs-{project}", logs_key)
    group = logs.describe_log_groups(logGroupNamePrefix=f"aws-waf-logs-{project}")["logGroups"][0]["arn"]
    waf.put_logging_configuration(LoggingConfiguration={"ResourceArn": acl["ARN"],
                                                        "LogDestinationConfigs": [group.removesuffix(":*")]})  # fmt: skip
