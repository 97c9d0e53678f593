"""The migration task: on moto where it can run ECS tasks, with botocore's Stubber for what
moto cannot do (a container that exits non-zero, a task that never starts)."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws
from moto.moto_api import state_manager

from epa_toolkit.delivery import migrate as tool

REGION = "eu-west-2"
IMAGE = "123456789012.dkr.ecr.eu-west-2.amazonaws.com/desk@sha256:" + "ab" * 32
DB_CREDENTIALS_ARN = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:db-master-Ab12Cd"
LOG_GROUP = "service-logs-1a2b3c"


def app_container(
    image: str = "123456789012.dkr.ecr.eu-west-2.amazonaws.com/desk@sha256:old",
) -> dict:
    """Shaped like infra/components/service.py's container."""
    return {
        "name": "app",
        "image": image,
        "essential": True,
        "memoryReservation": 256,  # moto needs a container memory figure to run a task
        "portMappings": [{"containerPort": 8000, "protocol": "tcp"}],
        "healthCheck": {"command": ["CMD", "true"], "interval": 30},
        "user": "10001:10001",
        "readonlyRootFilesystem": True,
        "mountPoints": [{"sourceVolume": "tmp", "containerPath": "/tmp"}],  # noqa: S108
        "environment": [
            {"name": "ENVIRONMENT", "value": "dev"},
            {"name": "DB_HOST", "value": "db.internal.example"},
        ],
        "secrets": [
            {"name": "DB_USERNAME", "valueFrom": f"{DB_CREDENTIALS_ARN}:username::"},
            {"name": "DB_PASSWORD", "valueFrom": f"{DB_CREDENTIALS_ARN}:password::"},
        ],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": LOG_GROUP,
                "awslogs-region": REGION,
                "awslogs-stream-prefix": "app",
            },
        },
    }


TASK_DEFINITION = {
    "family": "desk-dev",
    "networkMode": "awsvpc",
    "requiresCompatibilities": ["FARGATE"],
    "cpu": "256",
    "memory": "512",
    "runtimePlatform": {"operatingSystemFamily": "LINUX", "cpuArchitecture": "X86_64"},
    "executionRoleArn": "arn:aws:iam::123456789012:role/desk/service-execution",
    "taskRoleArn": "arn:aws:iam::123456789012:role/desk/service-task",
    "volumes": [{"name": "tmp"}],
}
TAGS = [{"key": "project", "value": "desk"}, {"key": "environment", "value": "dev"}]


@pytest.fixture
def aws(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",  # pragma: allowlist secret (moto accepts any)
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield


def seed(with_service: bool = True) -> dict:
    """A cluster and (optionally) the app's service in private subnets."""
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})  # moto's ENIs need it
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24")["Subnet"]["SubnetId"] for i in (1, 2)
    ]
    group = ec2.create_security_group(GroupName="tasks", Description="tasks", VpcId=vpc)["GroupId"]
    ecs = boto3.client("ecs", region_name=REGION)
    ecs.create_cluster(clusterName="desk-dev-cluster")
    task_definition = ecs.register_task_definition(
        **TASK_DEFINITION, containerDefinitions=[app_container()], tags=TAGS
    )["taskDefinition"]
    if with_service:
        ecs.create_service(
            cluster="desk-dev-cluster",
            serviceName="desk-dev-service",
            taskDefinition=task_definition["taskDefinitionArn"],
            desiredCount=1,
            launchType="FARGATE",
            networkConfiguration={
                "awsvpcConfiguration": {
                    "subnets": subnets,
                    "securityGroups": [group],
                    "assignPublicIp": "DISABLED",
                }
            },
        )
    return {"subnets": subnets, "group": group}


def fake_time():
    """A clock that only moves when the tool sleeps: timeouts without waiting."""
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    return sleep, lambda: now[0]


def run(ecs, **overrides) -> int:
    sleep, clock = fake_time()
    options = {
        "cluster": "desk-dev-cluster",
        "service": "desk-dev-service",
        "image": IMAGE,
        "started_by": "pipeline-42/abc1234",
        "timeout": 900,
        "interval": 10,
        "sleep": sleep,
        "clock": clock,
        **overrides,
    }
    return tool.migrate(ecs, **options)


def test_runs_the_app_container_with_the_new_image_and_alembic(aws, capsys):
    network = seed()
    ecs = boto3.client("ecs", region_name=REGION)

    assert run(ecs) == tool.OK  # moto's task reaches STOPPED with exit code 0

    answer = ecs.describe_task_definition(taskDefinition="desk-dev-migrate", include=["TAGS"])
    migration = answer["taskDefinition"]
    [container] = migration["containerDefinitions"]
    original = app_container()
    assert container["image"] == IMAGE
    assert container["command"] == ["alembic", "upgrade", "head"]
    for copied in ("environment", "secrets", "user", "readonlyRootFilesystem", "mountPoints"):
        assert container[copied] == original[copied], copied
    assert "portMappings" not in container or container["portMappings"] == []
    assert "healthCheck" not in container
    assert container["logConfiguration"]["options"] == {
        **original["logConfiguration"]["options"],
        "awslogs-stream-prefix": "migrate",
    }
    for copied in ("cpu", "memory", "executionRoleArn", "taskRoleArn", "volumes", "networkMode"):
        assert migration[copied] == TASK_DEFINITION[copied], copied
    assert answer["tags"] == TAGS
    # The service's own family is left alone: Pulumi manages it.
    assert ecs.describe_task_definition(taskDefinition="desk-dev")["taskDefinition"]["revision"] == 1

    [task_arn] = ecs.list_tasks(cluster="desk-dev-cluster", startedBy="pipeline-42/abc1234")["taskArns"]
    [task] = ecs.describe_tasks(cluster="desk-dev-cluster", tasks=[task_arn])["tasks"]
    assert task["taskDefinitionArn"] == migration["taskDefinitionArn"]
    assert task["launchType"] == "FARGATE"
    subnet = {d["name"]: d["value"] for d in task["attachments"][0]["details"]}["subnetId"]
    assert subnet in network["subnets"]
    out = capsys.readouterr().out
    assert "migrations applied" in out
    assert "password" not in out and "db.internal.example" not in out


@pytest.mark.parametrize("with_cluster", [True, False])
def test_no_service_yet_exits_3_and_registers_nothing(aws, capsys, with_cluster):
    if with_cluster:
        seed(with_service=False)
    ecs = boto3.client("ecs", region_name=REGION)
    families_before = ecs.list_task_definition_families()["families"]

    code = tool.main(
        [
            "--cluster",
            "desk-dev-cluster",
            "--service",
            "desk-dev-service",
            "--image",
            IMAGE,
            "--region",
            REGION,
        ]
    )

    assert code == tool.NO_SERVICE == 3
    assert "first deploy" in capsys.readouterr().out
    assert ecs.list_task_definition_families()["families"] == families_before


def test_timeout_stops_the_task_and_fails(aws, capsys):
    seed()
    ecs = boto3.client("ecs", region_name=REGION)
    # Keep moto's task RUNNING however often it is described.
    state_manager.set_transition("ecs::task", {"progression": "manual", "times": 10_000})
    try:
        assert run(ecs, timeout=60, interval=10) == tool.FAILED
    finally:
        state_manager.unset_transition("ecs::task")

    [task_arn] = ecs.list_tasks(cluster="desk-dev-cluster", startedBy="pipeline-42/abc1234")["taskArns"]
    [task] = ecs.describe_tasks(cluster="desk-dev-cluster", tasks=[task_arn])["tasks"]
    assert task["desiredStatus"] == "STOPPED"
    assert "timed out" in task["stoppedReason"]
    out = capsys.readouterr().out
    assert "did not finish within 60 s" in out
    assert f"log group {LOG_GROUP}, stream migrate/app/{task_arn.rsplit('/', 1)[-1]}" in out


# --- What moto cannot simulate: the container's exit code and start failures ---------------

TASK_ARN = "arn:aws:ecs:eu-west-2:123456789012:task/desk-dev-cluster/0f1e2d3c4b5a69788796a5b4c3d2e1f0"
SERVICE = {
    "serviceName": "desk-dev-service",
    "status": "ACTIVE",
    "taskDefinition": "arn:aws:ecs:eu-west-2:123456789012:task-definition/desk-dev:7",
    "launchType": "FARGATE",
    "platformVersion": "LATEST",
    "loadBalancers": [
        {
            "targetGroupArn": "arn:aws:elasticloadbalancing:eu-west-2:123456789012:targetgroup/tg/1",
            "containerName": "app",
            "containerPort": 8000,
        }
    ],
    "networkConfiguration": {
        "awsvpcConfiguration": {
            "subnets": ["subnet-a", "subnet-b"],
            "securityGroups": ["sg-tasks"],
            "assignPublicIp": "DISABLED",
        }
    },
}
DESCRIBED = {
    **TASK_DEFINITION,
    "taskDefinitionArn": SERVICE["taskDefinition"],
    "revision": 7,
    "status": "ACTIVE",
    "compatibilities": ["EC2", "FARGATE"],
    "containerDefinitions": [app_container()],
}
REGISTERED = {
    **DESCRIBED,
    "family": "desk-dev-migrate",
    "revision": 3,
    "taskDefinitionArn": "arn:aws:ecs:eu-west-2:123456789012:task-definition/desk-dev-migrate:3",
}


def stubbed(*describe_tasks: dict, run_answer: dict | None = None):
    ecs = boto3.client("ecs", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(ecs)
    stub.add_response("describe_services", {"services": [SERVICE], "failures": []})
    stub.add_response("describe_task_definition", {"taskDefinition": DESCRIBED, "tags": TAGS})
    stub.add_response("register_task_definition", {"taskDefinition": REGISTERED})
    stub.add_response(
        "run_task",
        run_answer or {"tasks": [{"taskArn": TASK_ARN, "lastStatus": "PROVISIONING"}], "failures": []},
        expected_params={
            "cluster": "desk-dev-cluster",
            "taskDefinition": REGISTERED["taskDefinitionArn"],
            "count": 1,
            "startedBy": "pipeline-42/abc1234",
            "networkConfiguration": {
                "awsvpcConfiguration": {
                    "subnets": ["subnet-a", "subnet-b"],
                    "securityGroups": ["sg-tasks"],
                    "assignPublicIp": "DISABLED",
                }
            },
            "propagateTags": "TASK_DEFINITION",
            "launchType": "FARGATE",
            "platformVersion": "LATEST",
        },
    )
    for task in describe_tasks:
        stub.add_response("describe_tasks", {"tasks": [task], "failures": []})
    stub.activate()
    return ecs, stub


def task(status: str, **fields) -> dict:
    return {"taskArn": TASK_ARN, "lastStatus": status, **fields}


def test_non_zero_exit_fails_with_reason_and_log_location(capsys):
    ecs, stub = stubbed(
        task("PENDING"),
        task("RUNNING"),
        task(
            "STOPPED",
            stopCode="EssentialContainerExited",
            stoppedReason="Essential container in task exited",
            containers=[{"name": "app", "exitCode": 1, "lastStatus": "STOPPED"}],
        ),
    )

    assert run(ecs) == tool.FAILED
    stub.assert_no_pending_responses()
    out = capsys.readouterr().out
    assert "FAILED: exit code 1; stop code EssentialContainerExited" in out
    assert "Essential container in task exited" in out
    assert f"aws logs tail {LOG_GROUP} --log-stream-names migrate/app/0f1e2d3c4b5a69788796a5b4c3d2e1f0" in out
    assert DB_CREDENTIALS_ARN not in out and "db.internal.example" not in out


def test_task_that_never_started_fails_without_exit_code(capsys):
    reason = "ResourceInitializationError: unable to pull secrets or registry auth"
    ecs, _ = stubbed(
        task(
            "STOPPED",
            stopCode="TaskFailedToStart",
            stoppedReason=reason,
            containers=[{"name": "app", "lastStatus": "STOPPED"}],
        ),
    )

    assert run(ecs) == tool.FAILED
    out = capsys.readouterr().out
    assert "exit code none: the container never ran" in out
    assert reason in out


def test_run_task_failure_is_reported(capsys):
    ecs, _ = stubbed(
        run_answer={
            "tasks": [],
            "failures": [{"arn": SERVICE["taskDefinition"], "reason": "RESOURCE:ENI"}],
        }
    )

    assert run(ecs) == tool.FAILED
    assert "ECS did not start the migration task: RESOURCE:ENI" in capsys.readouterr().out


def test_exit_code_zero_succeeds():
    ecs, _ = stubbed(
        task(
            "STOPPED",
            stopCode="EssentialContainerExited",
            containers=[{"name": "app", "exitCode": 0}],
        )
    )
    assert run(ecs) == tool.OK


# --- Pure parts and arguments -------------------------------------------------------------


def test_the_load_balancer_target_is_the_app_container():
    sidecar = {"name": "xray", "image": "xray"}
    definition = {"containerDefinitions": [sidecar, app_container()]}
    assert tool.app_container(definition, SERVICE)["name"] == "app"
    with pytest.raises(tool.MigrationError, match="containers: xray, app"):
        tool.app_container(definition, {"loadBalancers": []})


@pytest.mark.parametrize("image", ["desk:latest", "desk@sha256:abc", IMAGE + " "])
def test_image_must_be_pinned_by_digest(image, capsys):
    with pytest.raises(SystemExit) as stopped:
        tool.parse(["--cluster", "c", "--service", "s", "--image", image, "--region", REGION])
    assert stopped.value.code == 2
    assert "REPOSITORY@sha256:" in capsys.readouterr().err


def test_started_by_keeps_to_the_characters_ecs_allows():
    args = tool.parse(
        [
            "--cluster",
            "c",
            "--service",
            "s",
            "--image",
            IMAGE,
            "--region",
            REGION,
            "--started-by",
            "gitlab pipeline #42 (main)" + "x" * 200,
        ]
    )
    assert args.started_by.startswith("gitlab-pipeline--42--main-")
    assert len(args.started_by) == 128
    default = tool.parse(["--cluster", "c", "--service", "s", "--image", IMAGE, "--region", REGION])
    assert default.started_by == "migrate/abababababab"
