"""The way in: an Application Load Balancer in front of the app's tasks; users only ever
speak HTTPS to the edge, and no plain HTTP crosses a public network.

With a custom domain: the load balancer faces the internet in the public subnets, with an
ACM certificate; HTTPS with TLS 1.2+ forwards to the app, and port 80 only answers with a
redirect to HTTPS (it serves no content).

Without one: CloudFront serves HTTPS on its own *.cloudfront.net certificate and reaches an
*internal* load balancer in the private subnets through a CloudFront VPC origin. The load
balancer has no public address; its security group admits only CloudFront's origin-facing
prefix list, which it can only be reached from through the VPC origin. The hop from
CloudFront into the VPC and on to the tasks is plain HTTP inside AWS's network: an ALB's
AWS host name cannot get a publicly trusted certificate, and CloudFront accepts no other.
To encrypt that hop too, give the project a domain.

Both ways: a WAF web ACL with AWS managed rules (when the profile asks for it), access logs
to a private, encrypted, TLS-only bucket (CloudFront's to a second one), and health checks
on /readyz.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.iam import bucket_policy

APP_PORT = 8000
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"  # TLS 1.3 and 1.2 only
# The addresses CloudFront connects to origins from, VPC origins included (AWS-managed).
CLOUDFRONT_ORIGIN_FACING = "com.amazonaws.global.cloudfront.origin-facing"
# AWS-managed CloudFront policies (fixed IDs, the same in every account).
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
MANAGED_RULE_GROUPS = (
    "AWSManagedRulesCommonRuleSet",  # OWASP top-10 style attacks
    "AWSManagedRulesKnownBadInputsRuleSet",  # exploit payloads such as Log4Shell
    # Addresses AWS has seen attacking. It checks the connecting address: behind CloudFront
    # that is CloudFront's, so this group only fully works with a custom domain.
    "AWSManagedRulesAmazonIpReputationList",
)
# Managed rules that only count (logged, in the metrics) instead of blocking, and why.
# SizeRestrictions_BODY blocks any body over 8 KB, and a web ACL on a load balancer cannot
{%- if cookiecutter.starter == "reference" %}
# inspect more than the first 8 KB of a body anyway. A valid ticket in a non-Latin script
# is larger: 2,000 characters of 4-byte UTF-8, percent-encoded by a browser form, is about
# 24 KB (the app's limits.py works it out). The app enforces its own body limit
{%- else %}
# inspect more than the first 8 KB of a body anyway. A valid request can be larger: text in
# a non-Latin script takes up to 12 bytes a character once encoded (the app's limits.py
# works it out). The app enforces its own body limit
{%- endif %}
# (MAX_REQUEST_BODY_BYTES, 32 KB: 413 above it), and the other rules still inspect the
# first 8 KB of every body.
RULES_THAT_COUNT = {
    "AWSManagedRulesCommonRuleSet": ("SizeRestrictions_BODY",),
}


@dataclass(frozen=True)
class EdgeArgs:
    vpc_id: pulumi.Input[str]
    public_subnet_ids: list[pulumi.Input[str]]
    private_subnet_ids: list[pulumi.Input[str]]
    # CloudFront creates a VPC origin only in a VPC with an internet gateway attached
    # (the gateway carries none of its traffic).
    internet_gateway: pulumi.Resource
    domain_name: str | None
    waf: bool
    deletion_protection: bool
    log_retention_days: int
    logs_key_arn: pulumi.Input[str] | None  # the environment's log key (log_key.py), or none


class Edge(pulumi.ComponentResource):
    def __init__(self, name: str, args: EdgeArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("epa:edge:Edge", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        behind_cloudfront = args.domain_name is None

        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-alb-sg", vpc_id=args.vpc_id, description="Load balancer", opts=child
        )
        if behind_cloudfront:
            # AWS's instruction for VPC origins: admit CloudFront's managed prefix list.
            # AWS also creates a security group, CloudFront-VPCOrigins-Service-SG, with the
            # first VPC origin in a VPC; it cannot be used here: it does not exist until
            # the VPC origin does, so a first deploy could not refer to it.
            cloudfront_ips = aws.ec2.get_managed_prefix_list_output(name=CLOUDFRONT_ORIGIN_FACING)
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-from-cloudfront",
                security_group_id=self.security_group.id,
                prefix_list_id=cloudfront_ips.id,
                ip_protocol="tcp",
                from_port=80,
                to_port=80,
                description="HTTP from the CloudFront VPC origin only",
                opts=child,
            )
        else:
            for port in (80, 443):  # 80 only redirects to 443
                aws.vpc.SecurityGroupIngressRule(
                    f"{name}-from-internet-{port}",
                    security_group_id=self.security_group.id,
                    cidr_ipv4="0.0.0.0/0",
                    ip_protocol="tcp",
                    from_port=port,
                    to_port=port,
                    description="Users",
                    opts=child,
                )

        logs_bucket, logs_ready = self._log_bucket(
            f"{name}-access-logs",
            args.log_retention_days,
            "BucketOwnerEnforced",  # no ACLs at all
            _load_balancer_delivery,
            child,
        )
        self.load_balancer = aws.lb.LoadBalancer(
            f"{name}-alb",
            load_balancer_type="application",
            # Behind CloudFront: no public address at all, only CloudFront reaches it.
            internal=behind_cloudfront,
            subnets=args.private_subnet_ids if behind_cloudfront else args.public_subnet_ids,
            security_groups=[self.security_group.id],
            drop_invalid_header_fields=True,  # refuse request-smuggling tricks
            enable_deletion_protection=args.deletion_protection,
            access_logs={"bucket": logs_bucket.bucket, "enabled": True},
            # AWS checks it may write to the bucket when logging is switched on.
            opts=pulumi.ResourceOptions(parent=self, depends_on=logs_ready),
        )
        self.target_group = aws.lb.TargetGroup(
            f"{name}-tg",
            port=APP_PORT,
            protocol="HTTP",
            target_type="ip",  # Fargate tasks register by IP address
            vpc_id=args.vpc_id,
            deregistration_delay=30,  # finish in-flight requests, then let the task go
            health_check={
                "path": "/readyz",  # ready = the app and its database answer
                "matcher": "200",
                "interval": 15,
                "healthy_threshold": 2,
                "unhealthy_threshold": 3,
            },
            opts=child,
        )
        forward = [{"type": "forward", "target_group_arn": self.target_group.arn}]
        # self.listeners: what routes users to the target group. The service must wait for
        # them: ECS refuses a target group that no listener uses yet.

        if behind_cloudfront:
            # Plain HTTP, but on an internal load balancer that only CloudFront's VPC
            # origin reaches: nothing on the internet can connect to it.
            listener = aws.lb.Listener(
                f"{name}-http",
                load_balancer_arn=self.load_balancer.arn,
                port=80,
                protocol="HTTP",
                default_actions=forward,
                opts=child,
            )
            self.listeners = [listener]
            distribution = self._cloudfront(name, args, child)
            self.url = pulumi.Output.concat("https://", distribution.domain_name)
            self.certificate_validation_records = None
        else:
            certificate = aws.acm.Certificate(
                f"{name}-cert", domain_name=args.domain_name, validation_method="DNS", opts=child
            )
            # The DNS records that prove the domain is ours. `pulumi up` waits here until
            # they exist at the DNS provider (see the README, "Custom domain").
            self.certificate_validation_records = certificate.domain_validation_options
            validation = aws.acm.CertificateValidation(
                f"{name}-cert",
                certificate_arn=certificate.arn,
                validation_record_fqdns=certificate.domain_validation_options.apply(
                    lambda options: [o.resource_record_name for o in options]
                ),
                opts=child,
            )
            redirect = aws.lb.Listener(
                f"{name}-http",
                load_balancer_arn=self.load_balancer.arn,
                port=80,
                protocol="HTTP",
                default_actions=[
                    {
                        "type": "redirect",
                        "redirect": {"protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"},
                    }
                ],
                opts=child,
            )
            https = aws.lb.Listener(
                f"{name}-https",
                load_balancer_arn=self.load_balancer.arn,
                port=443,
                protocol="HTTPS",
                ssl_policy=TLS_POLICY,
                certificate_arn=validation.certificate_arn,
                default_actions=forward,
                opts=child,
            )
            self.listeners = [redirect, https]
            self.url = pulumi.Output.concat("https://", args.domain_name)

        if args.waf:
            self._waf(name, behind_cloudfront, args, child)

        self.register_outputs(
            {
                "url": self.url,
                "load_balancer_dns": self.load_balancer.dns_name,
                "target_group_arn": self.target_group.arn,
            }
        )

    def _log_bucket(
        self,
        name: str,
        retention_days: int,
        object_ownership: str,
        delivery: Callable[[str], list[dict]],
        child: pulumi.ResourceOptions,
    ) -> tuple[aws.s3.Bucket, list[pulumi.Resource]]:
        """Who requested what, when: kept private, encrypted, TLS only and expiring. Returns
        the bucket and what must exist before a service is told to log to it."""
        bucket = aws.s3.Bucket(name, force_destroy=True, opts=child)
        aws.s3.BucketPublicAccessBlock(
            name,
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        ownership = aws.s3.BucketOwnershipControls(
            name, bucket=bucket.id, rule={"object_ownership": object_ownership}, opts=child
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            name,
            bucket=bucket.id,
            # Load balancer log delivery supports S3-managed keys (SSE-S3) only; CloudFront's
            # standard logging writes to them too.
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
            opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            name,
            bucket=bucket.id,
            rules=[
                {
                    "id": "expire",
                    "status": "Enabled",
                    "filter": {},
                    "expiration": {"days": retention_days},
                }
            ],
            opts=child,
        )
        policy = aws.s3.BucketPolicy(
            name,
            bucket=bucket.id,
            policy=bucket.arn.apply(lambda arn: bucket_policy(arn, *delivery(arn))),
            opts=child,
        )
        return bucket, [ownership, policy]

    def _cloudfront(self, name: str, args: EdgeArgs, child: pulumi.ResourceOptions):
        origin = aws.cloudfront.VpcOrigin(
            f"{name}-origin",
            vpc_origin_endpoint_config={
                "name": self.load_balancer.name,  # unique in the account, like the ALB's
                "arn": self.load_balancer.arn,
                "http_port": 80,
                "https_port": 443,
                # No certificate CloudFront would accept can name an internal ALB.
                "origin_protocol_policy": "http-only",
                "origin_ssl_protocols": {"items": ["TLSv1.2"], "quantity": 1},  # required
            },
            # Deploying a VPC origin takes minutes (up to about 15); leave room.
            timeouts={"create": "30m", "update": "30m", "delete": "30m"},
            # The load balancer must be active first (its creation waits for that) and the
            # VPC must have its internet gateway.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[args.internet_gateway]),
        )
        # CloudFront's standard logging writes through the bucket's ACL (it grants its
        # log delivery account access when logging is switched on), so this bucket needs
        # ACLs; the load balancer's keeps them off. A bucket of its own, rather than a
        # prefix in that one: ACLs on a shared bucket would apply to both kinds of logs.
        # (CloudFront cannot log to buckets in af-south-1, ap-east-1, eu-south-1, me-south-1.)
        logs_bucket, logs_ready = self._log_bucket(
            f"{name}-cdn-logs",
            args.log_retention_days,
            "BucketOwnerPreferred",  # ACLs on, as CloudFront's standard logging needs
            lambda _: [],  # no bucket policy grant: CloudFront uses the ACL
            child,
        )
        return aws.cloudfront.Distribution(
            f"{name}-cdn",
            enabled=True,
            comment=f"{name}: HTTPS in front of the internal load balancer",
            price_class="PriceClass_100",  # Europe and North America edges: the cheapest
            http_version="http2and3",
            origins=[
                {
                    "origin_id": "alb",
                    "domain_name": self.load_balancer.dns_name,
                    "vpc_origin_config": {
                        "vpc_origin_id": origin.id,
                        # Drop idle connections well before the ALB does (60 s): a request
                        # on a connection the ALB is closing would fail with a 502.
                        "origin_keepalive_timeout": 5,
                        "origin_read_timeout": 30,
                    },
                }
            ],
            default_cache_behavior={
                "target_origin_id": "alb",
                "viewer_protocol_policy": "redirect-to-https",
                "allowed_methods": ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"],
                "cached_methods": ["GET", "HEAD"],
                "cache_policy_id": CACHING_DISABLED,  # a dynamic app: never serve stale pages
                "origin_request_policy_id": ALL_VIEWER_EXCEPT_HOST_HEADER,
                "compress": True,
            },
            restrictions={"geo_restriction": {"restriction_type": "none"}},
            # With its default certificate CloudFront accepts TLS 1.0 and later from viewers
            # (security policy TLSv1): no minimum can be set without a certificate of our
            # own, which needs a domain. Browsers negotiate TLS 1.2 or 1.3.
            viewer_certificate={"cloudfront_default_certificate": True},
            logging_config={
                "bucket": logs_bucket.bucket_domain_name,
                "prefix": "cloudfront/",
                "include_cookies": False,  # never log session cookies
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=logs_ready),
        )

    def _waf(
        self, name: str, behind_cloudfront: bool, args: EdgeArgs, child: pulumi.ResourceOptions
    ) -> None:
        def visibility(metric: str) -> dict:
            return {
                "cloudwatch_metrics_enabled": True,
                "metric_name": metric,
                "sampled_requests_enabled": True,
            }

        rules = [
            {
                "name": group,
                "priority": priority,
                "override_action": {"none": {}},
                "statement": {"managed_rule_group_statement": _managed_rule_group(group)},
                "visibility_config": visibility(group),
            }
            for priority, group in enumerate(MANAGED_RULE_GROUPS, start=1)
        ]
        # At most 1000 requests from one client address in any 5 minutes.
        rate_limit: dict = {"limit": 1000, "aggregate_key_type": "IP"}
        if behind_cloudfront:
            # Every request then comes from a CloudFront address, so count the client
            # address CloudFront adds to X-Forwarded-For. WAF reads the first address in
            # that header, which a client can forge: this slows careless floods, not a
            # determined attacker (a web ACL on CloudFront itself sees the true address).
            rate_limit |= {
                "aggregate_key_type": "FORWARDED_IP",
                "forwarded_ip_config": {
                    "header_name": "X-Forwarded-For",
                    "fallback_behavior": "MATCH",
                },
            }
        rules.append(
            {
                "name": "rate-limit",
                "priority": 10,
                "action": {"block": {}},
                "statement": {"rate_based_statement": rate_limit},
                "visibility_config": visibility("rate-limit"),
            }
        )
        web_acl = aws.wafv2.WebAcl(
            f"{name}-waf",
            scope="REGIONAL",
            default_action={"allow": {}},
            rules=rules,
            visibility_config=visibility(f"{name}-waf"),
            opts=child,
        )
        aws.wafv2.WebAclAssociation(
            f"{name}-waf",
            resource_arn=self.load_balancer.arn,
            web_acl_arn=web_acl.arn,
            opts=child,
        )
        # WAF logs must go to a log group whose name starts with aws-waf-logs-.
        waf_logs = aws.cloudwatch.LogGroup(
            f"{name}-waf-logs",
            name_prefix="aws-waf-logs-",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.logs_key_arn,
            opts=child,
        )
        aws.wafv2.WebAclLoggingConfiguration(
            f"{name}-waf",
            resource_arn=web_acl.arn,
            log_destination_configs=[waf_logs.arn],
            opts=child,
        )


def _managed_rule_group(group: str) -> dict:
    statement: dict = {"vendor_name": "AWS", "name": group}
    if group in RULES_THAT_COUNT:
        statement["rule_action_overrides"] = [
            {"name": rule, "action_to_use": {"count": {}}} for rule in RULES_THAT_COUNT[group]
        ]
    return statement


def _load_balancer_delivery(bucket_arn: str) -> list[dict]:
    """The load balancer's log delivery may write under AWSLogs/."""
    return [
        {
            "Sid": "LoadBalancerLogDelivery",
            "Effect": "Allow",
            "Principal": {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"{bucket_arn}/AWSLogs/*",
        }
    ]
