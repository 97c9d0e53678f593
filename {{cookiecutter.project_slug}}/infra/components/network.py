"""The network: a VPC spread over several availability zones, in three tiers of subnets
(each subnet's `network-tier` tag; the `tier` tag is the environment's, as everywhere):

public    NAT gateways and, with a custom domain, the load balancer; the only subnets with
          a route from the internet
private   the app's tasks and, without a domain, the internal load balancer CloudFront
          reaches; outbound internet through NAT, no inbound from the internet
isolated  the database; no route to or from the internet at all
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.iam import iam_path, trusted_by
from environment_profile import NatStrategy


@dataclass(frozen=True)
class NetworkArgs:
    cidr: str
    zones: list[str]
    nat_gateways: NatStrategy
    vpc_endpoints: bool
    flow_log_retention_days: int
    logs_key_arn: pulumi.Input[str] | None  # the environment's log key (log_key.py), or none


def subnet_cidrs(vpc_cidr: str, az_count: int) -> dict[str, list[str]]:
    """Carve the VPC into 16 equal blocks: public, private and isolated subnets get
    blocks 0-3, 4-7 and 8-11 (one per zone); 12-15 are kept free for later."""
    blocks = list(ipaddress.ip_network(vpc_cidr).subnets(prefixlen_diff=4))
    return {
        tier: [str(blocks[offset + i]) for i in range(az_count)]
        for tier, offset in (("public", 0), ("private", 4), ("isolated", 8))
    }


def nat_zone_for(zone_index: int, strategy: NatStrategy) -> int | None:
    """Which zone's NAT gateway a private subnet uses: its own (per_az), the first
    zone's (single), or none."""
    return {"per_az": zone_index, "single": 0, "none": None}[strategy]


class Network(pulumi.ComponentResource):
    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("epa:network:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        cidrs = subnet_cidrs(args.cidr, len(args.zones))

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,  # needed by interface VPC endpoints
            opts=child,
        )
        # Take over the default security group and leave it with no rules, so nothing
        # can be launched into a permissive group by accident.
        aws.ec2.DefaultSecurityGroup(f"{name}-default-sg", vpc_id=self.vpc.id, opts=child)

        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=self.vpc.id, opts=child)
        self.internet_gateway = igw  # CloudFront VPC origins need one attached (see edge.py)
        public_rt = aws.ec2.RouteTable(
            f"{name}-public-rt",
            vpc_id=self.vpc.id,
            routes=[{"cidr_block": "0.0.0.0/0", "gateway_id": igw.id}],
            opts=child,
        )

        self.public_subnets, self.private_subnets, self.isolated_subnets = [], [], []
        self.private_route_tables: list[aws.ec2.RouteTable] = []
        nat_ids: dict[int, pulumi.Output[str]] = {}
        for i, zone in enumerate(args.zones):
            public = self._subnet(name, "public", i, zone, cidrs["public"][i], child)
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{i}", subnet_id=public.id, route_table_id=public_rt.id, opts=child
            )
            self.public_subnets.append(public)
            if nat_zone_for(i, args.nat_gateways) == i:
                eip = aws.ec2.Eip(f"{name}-nat-{i}", domain="vpc", opts=child)
                nat = aws.ec2.NatGateway(
                    f"{name}-nat-{i}",
                    subnet_id=public.id,
                    allocation_id=eip.id,
                    tags={"Name": f"{name}-nat-{zone}"},
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
                )
                nat_ids[i] = nat.id

        for i, zone in enumerate(args.zones):
            private = self._subnet(name, "private", i, zone, cidrs["private"][i], child)
            nat_zone = nat_zone_for(i, args.nat_gateways)
            routes = (
                []
                if nat_zone is None
                else [{"cidr_block": "0.0.0.0/0", "nat_gateway_id": nat_ids[nat_zone]}]
            )
            private_rt = aws.ec2.RouteTable(
                f"{name}-private-rt-{i}", vpc_id=self.vpc.id, routes=routes, opts=child
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{i}",
                subnet_id=private.id,
                route_table_id=private_rt.id,
                opts=child,
            )
            self.private_subnets.append(private)
            self.private_route_tables.append(private_rt)

            self.isolated_subnets.append(
                self._subnet(name, "isolated", i, zone, cidrs["isolated"][i], child)
            )
        # Isolated subnets keep the VPC's main route table: local routes only.

        self._flow_logs(name, args.flow_log_retention_days, args.logs_key_arn, child)
        if args.vpc_endpoints:
            self._endpoints(name, args.cidr, child)

        self.register_outputs(
            {
                "vpc_id": self.vpc.id,
                "public_subnet_ids": [s.id for s in self.public_subnets],
                "private_subnet_ids": [s.id for s in self.private_subnets],
                "isolated_subnet_ids": [s.id for s in self.isolated_subnets],
            }
        )

    def _subnet(
        self, name: str, tier: str, i: int, zone: str, cidr: str, child: pulumi.ResourceOptions
    ) -> aws.ec2.Subnet:
        return aws.ec2.Subnet(
            f"{name}-{tier}-{i}",
            vpc_id=self.vpc.id,
            cidr_block=cidr,
            availability_zone=zone,
            # Even public subnets hand out no public IPs: only the NAT gateways (with their
            # own Elastic IPs) and, with a custom domain, the load balancer face the internet.
            map_public_ip_on_launch=False,
            tags={"Name": f"{name}-{tier}-{zone}", "network-tier": tier},
            opts=child,
        )

    def _flow_logs(
        self,
        name: str,
        retention_days: int,
        key_arn: pulumi.Input[str] | None,
        child: pulumi.ResourceOptions,
    ) -> None:
        """Record accepted and rejected traffic: evidence when investigating an incident."""
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs", retention_in_days=retention_days, kms_key_id=key_arn, opts=child
        )
        role = aws.iam.Role(
            f"{name}-flow-logs",
            path=iam_path(),
            # The VPC user guide's condition: this account's flow logs in this region.
            assume_role_policy=trusted_by(
                "vpc-flow-logs.amazonaws.com",
                source_arn="arn:aws:ec2:{region}:{account}:vpc-flow-log/*",
            ),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs",
            role=role.id,
            policy=aws.iam.get_policy_document_output(
                statements=[
                    {
                        "actions": [
                            "logs:CreateLogStream",
                            "logs:PutLogEvents",
                            "logs:DescribeLogStreams",
                        ],
                        "resources": [log_group.arn, log_group.arn.apply(lambda arn: f"{arn}:*")],
                    }
                ]
            ).json,
            opts=child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            opts=child,
        )

    def _endpoints(self, name: str, cidr: str, child: pulumi.ResourceOptions) -> None:
        """Private routes to AWS services the tasks use on every start (image pulls, logs):
        that traffic no longer crosses NAT, which is cheaper and keeps working if NAT fails."""
        region = aws.get_region_output().region
        aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=self.vpc.id,
            service_name=region.apply(lambda r: f"com.amazonaws.{r}.s3"),
            vpc_endpoint_type="Gateway",  # free; ECR image layers are served from S3
            route_table_ids=[rt.id for rt in self.private_route_tables],
            opts=child,
        )
        endpoint_sg = aws.ec2.SecurityGroup(
            f"{name}-endpoints",
            vpc_id=self.vpc.id,
            description="HTTPS from inside the VPC to AWS service endpoints",
            ingress=[{"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": [cidr]}],
            opts=child,
        )
        for service in ("ecr.api", "ecr.dkr", "logs", "secretsmanager"):
            aws.ec2.VpcEndpoint(
                f"{name}-{service.replace('.', '-')}",
                vpc_id=self.vpc.id,
                service_name=region.apply(lambda r, s=service: f"com.amazonaws.{r}.{s}"),
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=[s.id for s in self.private_subnets],
                security_group_ids=[endpoint_sg.id],
                opts=child,
            )
