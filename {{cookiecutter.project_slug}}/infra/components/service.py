"""The app on ECS Fargate: cluster, task definition, service, autoscaling.

The image comes from the project's one registry, which the bootstrap creates and every
environment shares (see stack.py): built once, promoted by digest.

Tasks run in the private subnets of every zone with no public IP; only the load balancer
can reach them. Deploys replace tasks one batch at a time while keeping full capacity, and
the circuit breaker rolls back a version whose tasks do not become healthy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.iam import iam_path, trusted_by

CONTAINER = "app"
CONTAINER_PORT = 8000


@dataclass(frozen=True)
class ServiceArgs:
    environment: str
    tier: str  # the app's behaviour (feature flags, API docs) follows it
    vpc_id: pulumi.Input[str]
    subnet_ids: list[pulumi.Input[str]]
    load_balancer_security_group_id: pulumi.Input[str]
    target_group_arn: pulumi.Input[str]
    listeners: list[pulumi.Resource]  # route to the target group; must exist before the service
    target_group_arn_suffix: pulumi.Input[str]
    load_balancer_arn_suffix: pulumi.Input[str]
    image: pulumi.Input[str]  # what the tasks run: <repository url>@sha256:<digest>
    cpu: int
    memory: int
    min_tasks: int
    max_tasks: int
    log_retention_days: int
    logs_key_arn: pulumi.Input[str] | None  # the environment's log key (log_key.py), or none
    db_host: pulumi.Input[str]
    db_port: pulumi.Input[int]
    db_name: str
    db_secret_arn: pulumi.Input[str]
    db_key_arn: pulumi.Input[str]
    # Sign-in (components/identity.py): where users come back to, the OIDC provider and
    # client, and the secret that signs session cookies (with the KMS key encrypting it).
    public_url: pulumi.Input[str]
    oidc_issuer: pulumi.Input[str]
    oidc_client_id: pulumi.Input[str]
    session_secret_arn: pulumi.Input[str]
    session_key_arn: pulumi.Input[str]
    metrics_namespace: str
    business_metric: str  # the metric the app counts (project.yaml): the alarm watches it
    service_label: str  # the Service dimension of the app's metrics (the alarms watch it)


class Service(pulumi.ComponentResource):
    def __init__(self, name: str, args: ServiceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("epa:service:Service", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.cluster = aws.ecs.Cluster(
            f"{name}-cluster",
            settings=[{"name": "containerInsights", "value": "enhanced"}],
            opts=child,
        )
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.logs_key_arn,
            opts=child,
        )

        # Execution role: used by ECS itself to pull the image, write logs and read the
        # session secret before the container starts. AWS's managed policy lets it pull
        # from the account's repositories, the shared one included. Its trust names the
        # account only: AWS documents the source keys for the task role (below), not for
        # this one. If tasks stop with "ECS was unable to assume the role", look here first.
        execution_role = aws.iam.Role(
            f"{name}-execution",
            path=iam_path(),
            assume_role_policy=trusted_by("ecs-tasks.amazonaws.com"),
            opts=child,
        )
        aws.iam.RolePolicyAttachment(
            f"{name}-execution",
            role=execution_role.name,
            policy_arn="arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-execution-secret",
            role=execution_role.id,
            policy=aws.iam.get_policy_document_output(
                statements=[
                    {
                        "actions": ["secretsmanager:GetSecretValue"],
                        "resources": [args.session_secret_arn],
                    },
                    {"actions": ["kms:Decrypt"], "resources": [args.session_key_arn]},
                ]
            ).json,
            opts=child,
        )
        # Task role: what the app's own code may do in AWS: read the database's credentials,
        # and nothing else (logs and metrics leave through stdout). The app reads the
        # secret itself, when it connects, rather than once at start from ECS: RDS rotates
        # the password, and the app must follow without a restart (app/.../db.py).
        task_role = aws.iam.Role(
            f"{name}-task",
            path=iam_path(),
            # ECS's task role documentation: any ECS resource of this account and region.
            assume_role_policy=trusted_by(
                "ecs-tasks.amazonaws.com", source_arn="arn:aws:ecs:{region}:{account}:*"
            ),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-task-db-secret",
            role=task_role.id,
            policy=aws.iam.get_policy_document_output(
                statements=[
                    {
                        "actions": ["secretsmanager:GetSecretValue"],
                        "resources": [args.db_secret_arn],
                    },
                    {"actions": ["kms:Decrypt"], "resources": [args.db_key_arn]},
                ]
            ).json,
            opts=child,
        )

        region = aws.get_region_output().region
        container = pulumi.Output.all(
            image=args.image,
            log_group=self.log_group.name,
            region=region,
            db_host=args.db_host,
            db_port=args.db_port,
            db_secret=args.db_secret_arn,
            public_url=args.public_url,
            oidc_issuer=args.oidc_issuer,
            oidc_client_id=args.oidc_client_id,
            session_secret=args.session_secret_arn,
        ).apply(lambda v: json.dumps([self._container(args, v)]))
        self.task_definition = aws.ecs.TaskDefinition(
            f"{name}-task",
            # Named after what it runs, not after the component: renaming the component
            # must not replace the task definition (a family is part of its identity).
            family=f"{CONTAINER}-{args.environment}",
            requires_compatibilities=["FARGATE"],
            network_mode="awsvpc",
            cpu=str(args.cpu),
            memory=str(args.memory),
            runtime_platform={"operating_system_family": "LINUX", "cpu_architecture": "X86_64"},
            execution_role_arn=execution_role.arn,
            task_role_arn=task_role.arn,
            container_definitions=container,
            # The one writable place (the root filesystem is read-only): scratch space for
            # Python's tempfile, e.g. large form uploads. Fargate copies the permissions of
            # the image's /tmp into it only because the Dockerfile declares VOLUME /tmp.
            volumes=[{"name": "tmp"}],
            opts=child,
        )

        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg", vpc_id=args.vpc_id, description="App tasks", opts=child
        )
        # The load balancer and the tasks meet on the app's port only, in both directions
        # (a new security group allows nothing, not even outbound, until rules say so).
        from_alb = aws.vpc.SecurityGroupIngressRule(
            f"{name}-from-alb",
            security_group_id=self.security_group.id,
            referenced_security_group_id=args.load_balancer_security_group_id,
            ip_protocol="tcp",
            from_port=CONTAINER_PORT,
            to_port=CONTAINER_PORT,
            description="Load balancer",
            opts=child,
        )
        alb_to_tasks = aws.vpc.SecurityGroupEgressRule(
            f"{name}-alb-to-tasks",
            security_group_id=args.load_balancer_security_group_id,
            referenced_security_group_id=self.security_group.id,
            ip_protocol="tcp",
            from_port=CONTAINER_PORT,
            to_port=CONTAINER_PORT,
            description="Requests and health checks to the app tasks",
            opts=child,
        )
        to_anywhere = aws.vpc.SecurityGroupEgressRule(
            f"{name}-to-anywhere",
            security_group_id=self.security_group.id,
            cidr_ipv4="0.0.0.0/0",
            ip_protocol="-1",
            description="Image pulls, AWS APIs and the database",
            opts=child,
        )

        self.service = aws.ecs.Service(
            f"{name}-service",
            cluster=self.cluster.arn,
            task_definition=self.task_definition.arn,
            launch_type="FARGATE",
            desired_count=args.min_tasks,
            network_configuration={
                "subnets": args.subnet_ids,  # one per zone: ECS spreads tasks across them
                "security_groups": [self.security_group.id],
                "assign_public_ip": False,
            },
            load_balancers=[
                {
                    "target_group_arn": args.target_group_arn,
                    "container_name": CONTAINER,
                    "container_port": CONTAINER_PORT,
                }
            ],
            health_check_grace_period_seconds=30,
            # Start new tasks before stopping old ones: never below full capacity.
            deployment_minimum_healthy_percent=100,
            deployment_maximum_percent=200,
            deployment_circuit_breaker={"enable": True, "rollback": True},
            availability_zone_rebalancing="ENABLED",
            enable_execute_command=False,  # no shell into production containers
            propagate_tags="SERVICE",
            opts=pulumi.ResourceOptions(
                parent=self,
                # Tasks start healthy only once traffic can reach them and they can reach out.
                depends_on=[*args.listeners, from_alb, alb_to_tasks, to_anywhere],
                # Autoscaling owns the running count after the first deploy.
                ignore_changes=["desiredCount"],
            ),
        )

        scaling_target = aws.appautoscaling.Target(
            f"{name}-scaling",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=pulumi.Output.concat("service/", self.cluster.name, "/", self.service.name),
            min_capacity=args.min_tasks,
            max_capacity=args.max_tasks,
            opts=child,
        )
        scaling_metrics = {
            "cpu": {"predefined_metric_type": "ECSServiceAverageCPUUtilization"},
            "requests": {
                "predefined_metric_type": "ALBRequestCountPerTarget",
                "resource_label": pulumi.Output.concat(
                    args.load_balancer_arn_suffix, "/", args.target_group_arn_suffix
                ),
            },
        }
        targets = {"cpu": 60, "requests": 500}  # % CPU; requests per task per minute
        for metric, spec in scaling_metrics.items():
            aws.appautoscaling.Policy(
                f"{name}-scale-on-{metric}",
                policy_type="TargetTrackingScaling",
                service_namespace=scaling_target.service_namespace,
                scalable_dimension=scaling_target.scalable_dimension,
                resource_id=scaling_target.resource_id,
                target_tracking_scaling_policy_configuration={
                    "target_value": targets[metric],
                    "predefined_metric_specification": spec,
                    "scale_in_cooldown": 120,
                    "scale_out_cooldown": 60,
                },
                opts=child,
            )

        self.register_outputs(
            {
                "cluster_name": self.cluster.name,
                "service_name": self.service.name,
                "image": args.image,
            }
        )

    @staticmethod
    def _container(args: ServiceArgs, v: dict) -> dict:
        return {
            "name": CONTAINER,
            "image": v["image"],
            "essential": True,
            "portMappings": [{"containerPort": CONTAINER_PORT, "protocol": "tcp"}],
            "user": "10001:10001",
            "readonlyRootFilesystem": True,  # a compromised process cannot change the image
            "mountPoints": [{"sourceVolume": "tmp", "containerPath": "/tmp"}],  # noqa: S108  # nosec B108
            # APP_VERSION and GIT_SHA are baked into the image when it is built (see
            # app/Dockerfile): setting them here could make a task misreport its version.
            "environment": [
                {"name": "ENVIRONMENT", "value": args.environment},
                {"name": "TIER", "value": args.tier},
                {"name": "METRICS_SINK", "value": "emf"},
                {"name": "METRICS_NAMESPACE", "value": args.metrics_namespace},
                {"name": "BUSINESS_METRIC", "value": args.business_metric},
                {"name": "SERVICE_NAME", "value": args.service_label},
                {"name": "DB_HOST", "value": v["db_host"]},
                {"name": "DB_PORT", "value": str(v["db_port"])},
                {"name": "DB_NAME", "value": args.db_name},
                # Where the user and password are, not what they are (read at connect time).
                {"name": "DB_CREDENTIALS_ARN", "value": v["db_secret"]},
                {"name": "PUBLIC_URL", "value": v["public_url"]},
                {"name": "OIDC_ISSUER", "value": v["oidc_issuer"]},
                {"name": "OIDC_CLIENT_ID", "value": v["oidc_client_id"]},
            ],
            # The session secret comes from Secrets Manager at start-up: never a plain value.
            "secrets": [{"name": "SESSION_SECRET", "valueFrom": v["session_secret"]}],
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": v["log_group"],
                    "awslogs-region": v["region"],
                    "awslogs-stream-prefix": CONTAINER,
                },
            },
        }
