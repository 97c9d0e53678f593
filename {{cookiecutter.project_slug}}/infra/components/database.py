"""The database: PostgreSQL on RDS, in the isolated subnets, encrypted, TLS only.

RDS creates and keeps the master password in Secrets Manager (never in code, config or
Pulumi state); ECS hands it to the app at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.iam import iam_path, trusted_by

# Major version only: RDS applies minor upgrades in the maintenance window, and a pinned
# minor version would make the next `pulumi up` try to downgrade.
ENGINE_VERSION = "16"
PARAMETER_FAMILY = "postgres16"
DATABASE_NAME = "app"
PORT = 5432


@dataclass(frozen=True)
class DatabaseArgs:
    identifier: str  # the instance name in the AWS console, e.g. service-desk-prod
    vpc_id: pulumi.Input[str]
    subnet_ids: list[pulumi.Input[str]]
    instance_class: str
    allocated_storage: int
    max_allocated_storage: int
    multi_az: bool
    backup_retention_days: int
    deletion_protection: bool
    final_snapshot: bool  # RDS snapshots the data before a destroy deletes the instance
    monitoring_interval: int
    log_retention_days: int
    logs_key_arn: pulumi.Input[str] | None  # the environment's log key (log_key.py), or none


class Database(pulumi.ComponentResource):
    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("epa:database:Database", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        # Our own key (not the AWS-managed one): its policy and rotation are ours to
        # show, and access to the data can be cut by disabling it.
        self.key = aws.kms.Key(
            f"{name}-key",
            description=f"{name}: RDS storage, Performance Insights and master secret",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            opts=child,
        )
        aws.kms.Alias(
            f"{name}-key", target_key_id=self.key.key_id, name_prefix="alias/db-", opts=child
        )

        subnet_group = aws.rds.SubnetGroup(
            f"{name}-subnets", subnet_ids=args.subnet_ids, opts=child
        )
        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description="PostgreSQL from the app tasks only",
            opts=child,
        )
        parameters = aws.rds.ParameterGroup(
            f"{name}-params",
            family=PARAMETER_FAMILY,
            parameters=[
                {"name": "rds.force_ssl", "value": "1"},  # refuse unencrypted connections
                {"name": "log_min_duration_statement", "value": "1000"},  # log queries > 1 s
            ],
            opts=child,
        )
        # PostgreSQL's logs go to CloudWatch with a retention we choose (RDS would keep forever).
        log_groups = [
            aws.cloudwatch.LogGroup(
                f"{name}-{log}-logs",
                name=f"/aws/rds/instance/{args.identifier}/{log}",
                retention_in_days=args.log_retention_days,
                kms_key_id=args.logs_key_arn,
                opts=child,
            )
            for log in ("postgresql", "upgrade")
        ]
        monitoring_role = None
        if args.monitoring_interval:
            monitoring_role = aws.iam.Role(
                f"{name}-monitoring",
                path=iam_path(),
                # The RDS user guide (Enhanced Monitoring, confused deputy): the DB instance.
                assume_role_policy=trusted_by(
                    "monitoring.rds.amazonaws.com",
                    source_arn="arn:aws:rds:{region}:{account}:db:" + args.identifier,
                ),
                opts=child,
            )
            aws.iam.RolePolicyAttachment(
                f"{name}-monitoring",
                role=monitoring_role.name,
                policy_arn="arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
                opts=child,
            )

        self.instance = aws.rds.Instance(
            f"{name}-postgres",
            identifier=args.identifier,
            engine="postgres",
            engine_version=ENGINE_VERSION,
            instance_class=args.instance_class,
            db_name=DATABASE_NAME,
            username="app_admin",
            manage_master_user_password=True,  # RDS generates, stores and can rotate it
            master_user_secret_kms_key_id=self.key.key_id,
            port=PORT,
            db_subnet_group_name=subnet_group.name,
            vpc_security_group_ids=[self.security_group.id],
            parameter_group_name=parameters.name,
            publicly_accessible=False,
            multi_az=args.multi_az,
            storage_type="gp3",
            allocated_storage=args.allocated_storage,
            max_allocated_storage=args.max_allocated_storage,  # grows instead of filling up
            storage_encrypted=True,
            kms_key_id=self.key.arn,
            backup_retention_period=args.backup_retention_days,
            backup_window="02:00-03:00",
            maintenance_window="sun:03:30-sun:04:30",
            copy_tags_to_snapshot=True,
            deletion_protection=args.deletion_protection,
            skip_final_snapshot=not args.final_snapshot,
            final_snapshot_identifier=f"{args.identifier}-final" if args.final_snapshot else None,
            auto_minor_version_upgrade=True,  # security patches in the maintenance window
            # Query-level diagnostics where monitoring is on (staging, prod); 7 days is free.
            performance_insights_enabled=bool(args.monitoring_interval),
            performance_insights_kms_key_id=self.key.arn if args.monitoring_interval else None,
            performance_insights_retention_period=7 if args.monitoring_interval else None,
            monitoring_interval=args.monitoring_interval,
            monitoring_role_arn=monitoring_role.arn if monitoring_role else None,
            enabled_cloudwatch_logs_exports=["postgresql", "upgrade"],
            apply_immediately=False,
            opts=pulumi.ResourceOptions(parent=self, depends_on=log_groups),
        )
        self.secret_arn = self.instance.master_user_secrets.apply(lambda s: s[0].secret_arn)

        self._name = name
        self.register_outputs(
            {
                "address": self.instance.address,
                "port": self.instance.port,
                "db_name": self.instance.db_name,
                "secret_arn": self.secret_arn,
                "security_group_id": self.security_group.id,
            }
        )

    def allow_from(
        self,
        client_name: str,
        security_group_id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Open PostgreSQL to one security group (the app's), and to nothing else."""
        aws.vpc.SecurityGroupIngressRule(
            f"{self._name}-from-{client_name}",
            security_group_id=self.security_group.id,
            referenced_security_group_id=security_group_id,
            ip_protocol="tcp",
            from_port=PORT,
            to_port=PORT,
            description=f"PostgreSQL from {client_name}",
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(parent=self)),
        )
