"""One environment of the service: the components wired together from a profile.

Data flows one way: (the logs' key, where the tier asks for it) -> network -> edge (load
balancer) -> database -> identity (sign-in) -> service -> observability (-> failure drills, where the tier has them). Each component's logical name is its own name, and its resources'
names start with it (service-cluster, observability-alerts, ...).
__main__.py calls build() for the real CLI; synth.py calls the same build() under mocks.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
from project_facts import BusinessMetric

from components.database import DATABASE_NAME, Database, DatabaseArgs
from components.drills import STOP_ALARMS, Drills, DrillsArgs
from components.edge import Edge, EdgeArgs
from components.identity import Identity, IdentityArgs
from components.log_key import LogKey
from components.network import Network, NetworkArgs
from components.observability import Observability, ObservabilityArgs
from components.service import Service, ServiceArgs
from environment_profile import EnvironmentProfile

MANAGED_BY = "pulumi"
PLACEHOLDER_TAG = "initial"  # no image carries it: a never-deployed stack's preview shows it


def required_tags(project: str, environment: str, tier: str) -> dict[str, str]:
    """Tags on every taggable resource: cost reports per environment; the policy pack and
    the inspection of a deployed environment find resources and their tier by them."""
    return {"project": project, "environment": environment, "tier": tier, "managed-by": MANAGED_BY}


def image_to_run(project: str, image: str | None, provider: aws.Provider) -> pulumi.Input[str]:
    """The image the service runs: the `image` config, "<repository url>@sha256:<digest>",
    which the pipeline sets on every deploy to the digest it built or promotes.

    The registry belongs to the bootstrap and is shared by every environment, so a stack
    never creates one: it looks the registry up (by the project's name) only to preview a
    stack that has never been deployed, with a placeholder tag that no image carries."""
    if image:
        return image
    repository = aws.ecr.get_repository_output(
        name=project, opts=pulumi.InvokeOutputOptions(provider=provider)
    )
    return repository.repository_url.apply(lambda url: f"{url}:{PLACEHOLDER_TAG}")


def require_image_to_deploy(image: str | None, preview: bool) -> None:
    """A preview may go without an image; `pulumi up` may not: it would point the service
    at the placeholder, and its tasks could never start."""
    if not image and not preview:
        raise pulumi.RunError(
            "image: not set. The pipeline sets it to the image it built; by hand, run "
            "`make deploy ENV=<env> IMAGE=<image_repository>@sha256:<digest>` "
            "(image_repository is an output of infra/bootstrap)."
        )


def renamed_from(
    old_name: str, opts: pulumi.ResourceOptions | None = None
) -> pulumi.ResourceOptions:
    """`opts` plus an alias to the resource's former name: Pulumi renames the resource in the
    state, and its children whose names start with the component's, instead of replacing them."""
    alias = pulumi.ResourceOptions(aliases=[pulumi.Alias(name=old_name)])
    return pulumi.ResourceOptions.merge(opts, alias)


def build(
    profile: EnvironmentProfile,
    project: str,
    environment: str,
    region: str,
    business_metric: BusinessMetric,
    image: str | None = None,
) -> dict[str, pulumi.Input]:
    """Declare the environment's resources; return the stack outputs. The business metric
    (project.yaml) is what the app counts and the monitoring watches."""
    # One explicit provider carries the tags (rather than aws:defaultTags in each stack
    # file): they come from the profile in one place, and the tests can check that every
    # resource is created through it.
    provider = aws.Provider(
        "aws",
        region=region,
        default_tags={"tags": required_tags(project, environment, profile.tier)},
    )
    opts = pulumi.ResourceOptions(providers={"aws": provider})
    zones = aws.get_availability_zones(
        state="available",
        # Regular zones only: Local Zones an account opted in to lack most services.
        filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}],
        opts=pulumi.InvokeOptions(provider=provider),
    ).names[: profile.az_count]
    if len(zones) < profile.az_count:
        raise ValueError(f"azCount: {region} has only {len(zones)} zones available")
    prefix = f"{project}-{environment}"
    image = image_to_run(project, image, provider)
    # Where the tier asks for it, every log group is encrypted with the environment's key.
    logs_key_arn = LogKey("logs", opts).key.arn if profile.logs_kms_encrypted else None

    network = Network(
        "network",
        NetworkArgs(
            cidr=profile.vpc_cidr,
            zones=zones,
            nat_gateways=profile.nat_gateways,
            vpc_endpoints=profile.vpc_endpoints,
            flow_log_retention_days=profile.log_retention_days,
            logs_key_arn=logs_key_arn,
        ),
        opts,
    )
    edge = Edge(
        "edge",
        EdgeArgs(
            vpc_id=network.vpc.id,
            public_subnet_ids=[s.id for s in network.public_subnets],
            private_subnet_ids=[s.id for s in network.private_subnets],
            internet_gateway=network.internet_gateway,
            domain_name=profile.domain_name,
            waf=profile.waf,
            deletion_protection=profile.alb_deletion_protection,
            log_retention_days=profile.log_retention_days,
            logs_key_arn=logs_key_arn,
        ),
        opts,
    )
    database = Database(
        "database",
        DatabaseArgs(
            identifier=prefix,
            vpc_id=network.vpc.id,
            subnet_ids=[s.id for s in network.isolated_subnets],
            instance_class=profile.db_instance_class,
            allocated_storage=profile.db_allocated_storage,
            max_allocated_storage=profile.db_max_allocated_storage,
            multi_az=profile.db_multi_az,
            backup_retention_days=profile.db_backup_retention_days,
            deletion_protection=profile.db_deletion_protection,
            final_snapshot=profile.db_final_snapshot,
            monitoring_interval=profile.db_monitoring_interval,
            log_retention_days=profile.log_retention_days,
            logs_key_arn=logs_key_arn,
        ),
        opts,
    )
    identity = Identity(
        "identity",
        IdentityArgs(
            project=project,
            environment=environment,
            region=region,
            # https://<domain> with a custom domain, else https://<CloudFront's domain>.
            public_url=edge.url,
            mfa=profile.mfa,
            password_min_length=profile.password_min_length,
            deletion_protection=profile.db_deletion_protection,
            secret_key_arn=database.key.arn,
        ),
        opts,
    )
    # Named "app" and "monitoring" until they took their components' names: the aliases keep
    # the resources of stacks deployed before (the database's rule for the tasks too), which
    # Pulumi would otherwise delete and recreate.
    service = Service(
        "service",
        ServiceArgs(
            environment=environment,
            tier=profile.tier,
            vpc_id=network.vpc.id,
            subnet_ids=[s.id for s in network.private_subnets],
            load_balancer_security_group_id=edge.security_group.id,
            target_group_arn=edge.target_group.arn,
            listeners=edge.listeners,
            target_group_arn_suffix=edge.target_group.arn_suffix,
            load_balancer_arn_suffix=edge.load_balancer.arn_suffix,
            image=image,
            cpu=profile.task_cpu,
            memory=profile.task_memory,
            min_tasks=profile.min_tasks,
            max_tasks=profile.max_tasks,
            log_retention_days=profile.log_retention_days,
            logs_key_arn=logs_key_arn,
            db_host=database.instance.address,
            db_port=database.instance.port,
            db_name=DATABASE_NAME,
            db_secret_arn=database.secret_arn,
            db_key_arn=database.key.arn,
            public_url=edge.url,
            oidc_issuer=identity.issuer,
            oidc_client_id=identity.client_id,
            session_secret_arn=identity.session_secret_arn,
            session_key_arn=database.key.arn,
            metrics_namespace=project,
            business_metric=business_metric.name,
            service_label=project,
        ),
        renamed_from("app", opts),
    )
    database.allow_from("service", service.security_group.id, renamed_from("database-from-app"))
    observability = Observability(
        "observability",
        ObservabilityArgs(
            environment=environment,
            alarm_prefix=prefix,
            alert_email=profile.alert_email if profile.alarm_emails else None,
            load_balancer_arn_suffix=edge.load_balancer.arn_suffix,
            target_group_arn_suffix=edge.target_group.arn_suffix,
            cluster_name=service.cluster.name,
            service_name=service.service.name,
            db_instance_id=database.instance.identifier,
            db_allocated_storage_gb=profile.db_allocated_storage,
            metrics_namespace=project,
            business_metric=business_metric,
            service_label=project,
        ),
        renamed_from("monitoring", opts),
    )
    if profile.failure_drills:
        # az-outage takes out the first zone: in staging also the zone of its one NAT
        # gateway, so the drill shows what that saving costs.
        zone = 0
        Drills(
            "drills",
            DrillsArgs(
                zone=zones[zone],
                zone_subnet_arns=[
                    subnets[zone].arn
                    for subnets in (
                        network.public_subnets,
                        network.private_subnets,
                        network.isolated_subnets,
                    )
                ],
                vpc_arn=network.vpc.arn,
                cluster_arn=service.cluster.arn,
                cluster_name=service.cluster.name,
                service_name=service.service.name,
                db_arn=database.instance.arn,
                stop_alarm_arns=[observability.alarm_arns[key] for key in STOP_ALARMS],
            ),
            opts,
        )
    outputs: dict[str, pulumi.Input] = {
        "url": edge.url,
        "load_balancer_dns": edge.load_balancer.dns_name,
        "cluster_name": service.cluster.name,
        "service_name": service.service.name,
        "task_family": service.task_definition.family,
        "image": image,
        "database_address": database.instance.address,
        "alert_topic_arn": observability.topic.arn,
        # Sign-in: the app's OIDC settings, and the pool to invite users to.
        "oidc_issuer": identity.issuer,
        "oidc_client_id": identity.client_id,
        "user_pool_id": identity.user_pool_id,
        "managed_login_url": identity.managed_login_url,
        "tier": profile.tier,
    }
    if edge.certificate_validation_records is not None:
        outputs["certificate_validation_records"] = edge.certificate_validation_records
    return outputs
