"""Run the database migrations as a one-off ECS Fargate task, before the new version takes traffic.

    python -m epa_toolkit.delivery.migrate --cluster CLUSTER --service SERVICE \
        --image REPOSITORY@sha256:DIGEST --region eu-west-2 --started-by "pipeline-123/abc1234"

CLUSTER and SERVICE are the stack outputs cluster_name and service_name.

1. Reads the service: its task definition and network configuration. The migration must
   reach the database exactly as the app does: same subnets and security group (no public
   IP), same secrets, environment, roles, log group, read-only root filesystem.
2. Registers a revision of a separate family, `<service family>-migrate`: the app's container
   with the NEW image and the command `alembic upgrade head` (alembic.ini and the migrations
   are in the image's working directory, /srv/app). A new revision is needed because
   run_task cannot change the image; a separate family leaves the service's own revisions,
   which Pulumi manages, alone.
3. Runs one task and waits until it has STOPPED. Success means the container exited with 0.

It runs BEFORE `pulumi up` switches the service to the new image, so the old version keeps
serving while the schema changes: migrations must work with the old code too (add a column
now, drop the old one in a later release). The task gets the configuration the service has
now; settings that this release adds to the task definition reach it only with `pulumi up`.

On the first deploy of an environment there is no service yet: this says so and exits 3,
and the caller runs `pulumi up` and then this command again.

Nothing secret is printed: secrets reach the container from Secrets Manager by reference,
and the task's logs are not copied into the pipeline log (CI logs can be public; a failed
data migration can log table contents). The message says where to read them instead.

The deploy role needs: ecs:DescribeServices, ecs:DescribeTaskDefinition,
ecs:RegisterTaskDefinition, ecs:TagResource, ecs:RunTask, ecs:DescribeTasks, ecs:StopTask,
and iam:PassRole on the task's execution and task roles.

Exit codes:
  0  migrations applied (the migration container exited with 0)
  1  migrations failed: non-zero exit, the task could not start, it did not stop within
     --timeout (it is then stopped), or an AWS call failed
  2  usage error (arguments)
  3  the service does not exist yet (first deploy): run `pulumi up`, then this again
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

OK, FAILED, USAGE, NO_SERVICE = 0, 1, 2, 3
COMMAND = ["alembic", "upgrade", "head"]
FAMILY_SUFFIX = "-migrate"
LOG_STREAM_PREFIX = "migrate"  # streams migrate/<container>/<task id>: apart from the app's
DEFAULT_TIMEOUT = 15 * 60
DEFAULT_INTERVAL = 10
# What register_task_definition accepts from a described task definition; describe also
# returns read-only fields (ARN, revision, status, registeredAt...) that register rejects.
COPIED_FIELDS = (
    "taskRoleArn",
    "executionRoleArn",
    "networkMode",
    "volumes",
    "placementConstraints",
    "requiresCompatibilities",
    "cpu",
    "memory",
    "runtimePlatform",
    "ephemeralStorage",
    "pidMode",
    "ipcMode",
)
# Container settings that only a long-running web server needs: a migration takes no
# traffic, and the app's health check (GET /healthz) would never pass.
SERVER_ONLY = ("portMappings", "healthCheck", "dependsOn", "links", "command")
IMAGE_BY_DIGEST = re.compile(r"[^@\s]+@sha256:[0-9a-f]{64}")
NOT_ALLOWED_IN_STARTED_BY = re.compile(r"[^A-Za-z0-9_/-]")  # ECS's rule, up to 128 characters


class NoService(Exception):
    """The cluster or the service does not exist (yet)."""


class MigrationError(Exception):
    """The migration could not be run; the message says why."""


@dataclass(frozen=True)
class Outcome:
    succeeded: bool
    exit_code: int | None  # None: the container never ran (image pull, secrets, capacity)
    stop_code: str
    reason: str


def say(message: str) -> None:
    print(f"migrate: {message}", flush=True)


def find_service(ecs, cluster: str, service: str) -> dict:
    try:
        answer = ecs.describe_services(cluster=cluster, services=[service])
    except ClientError as error:
        if error.response["Error"]["Code"] == "ClusterNotFoundException":
            raise NoService(f"cluster {cluster} does not exist yet") from error
        raise
    # A deleted service is still described for a while, as INACTIVE (DRAINING while it goes).
    active = [s for s in answer.get("services", []) if s.get("status") == "ACTIVE"]
    if not active:
        raise NoService(f"service {service} does not exist yet in cluster {cluster}")
    return active[0]


def app_container(task_definition: dict, service: dict) -> dict:
    """The container the load balancer sends traffic to, else the only one."""
    containers = task_definition["containerDefinitions"]
    targeted = {lb.get("containerName") for lb in service.get("loadBalancers", [])}
    for container in containers:
        if container["name"] in targeted:
            return container
    if len(containers) == 1:
        return containers[0]
    names = ", ".join(c["name"] for c in containers)
    raise MigrationError(f"cannot tell which container is the app's (containers: {names})")


def migration_task_definition(task_definition: dict, container: dict, image: str, tags: list[dict]) -> dict:
    """The register_task_definition request: the app's task and container, with the new
    image and the migration command. Pure: tests read it without AWS."""
    migrator = {key: value for key, value in container.items() if key not in SERVER_ONLY}
    migrator.update(image=image, command=COMMAND, essential=True)
    logging = migrator.get("logConfiguration")
    if logging and logging.get("logDriver") == "awslogs":
        options = {**logging.get("options", {}), "awslogs-stream-prefix": LOG_STREAM_PREFIX}
        migrator["logConfiguration"] = {**logging, "options": options}
    request = {key: task_definition[key] for key in COPIED_FIELDS if task_definition.get(key)}
    request.update(family=task_definition["family"] + FAMILY_SUFFIX, containerDefinitions=[migrator])
    if tags:  # project/environment tags: cost reports and the inspection find the task
        request["tags"] = tags
    return request


def run_request(service: dict, cluster: str, task_definition_arn: str, started_by: str) -> dict:
    """The run_task request: the service's network, never a public IP."""
    network = (service.get("networkConfiguration") or {}).get("awsvpcConfiguration")
    if not network:
        raise MigrationError("the service has no awsvpc network configuration to copy")
    request = {
        "cluster": cluster,
        "taskDefinition": task_definition_arn,
        "count": 1,
        "startedBy": started_by,
        "networkConfiguration": {
            "awsvpcConfiguration": {
                "subnets": network["subnets"],
                "securityGroups": network.get("securityGroups", []),
                "assignPublicIp": "DISABLED",  # private subnets: out through the NAT gateway
            }
        },
        "propagateTags": "TASK_DEFINITION",
    }
    if service.get("capacityProviderStrategy"):
        request["capacityProviderStrategy"] = service["capacityProviderStrategy"]
    else:
        request["launchType"] = service.get("launchType") or "FARGATE"
    if service.get("platformVersion"):
        request["platformVersion"] = service["platformVersion"]
    return request


def outcome(task: dict, container_name: str) -> Outcome:
    container = next((c for c in task.get("containers", []) if c.get("name") == container_name), {})
    exit_code = container.get("exitCode")
    reasons = [r for r in (task.get("stoppedReason"), container.get("reason")) if r]
    return Outcome(
        succeeded=exit_code == 0,
        exit_code=exit_code,
        stop_code=task.get("stopCode", ""),
        reason="; ".join(reasons),
    )


def log_location(container: dict, task_arn: str) -> str:
    """Where the migration's output is, as a command to read it."""
    logging = container.get("logConfiguration") or {}
    options = logging.get("options", {})
    if logging.get("logDriver") != "awslogs" or "awslogs-group" not in options:
        return "the container has no awslogs configuration: its output was not kept"
    task_id = task_arn.rsplit("/", 1)[-1]
    stream = f"{options.get('awslogs-stream-prefix', '')}/{container['name']}/{task_id}"
    region = f" --region {options['awslogs-region']}" if "awslogs-region" in options else ""
    return (
        f"log group {options['awslogs-group']}, stream {stream}; read it with\n"
        f"  aws logs tail {options['awslogs-group']} --log-stream-names {stream}{region}"
    )


def wait_until_stopped(
    ecs,
    cluster: str,
    task_arn: str,
    timeout: float,
    interval: float,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> dict | None:
    """The stopped task, or None when it is still going at the deadline.

    A loop rather than boto3's tasks_stopped waiter: it prints each status change (a quiet
    job for ten minutes looks hung) and takes the timeout in seconds.
    """
    started = clock()
    deadline = started + timeout
    last_status = None
    while True:
        tasks = ecs.describe_tasks(cluster=cluster, tasks=[task_arn]).get("tasks", [])
        if not tasks:
            raise MigrationError(f"ECS no longer knows task {task_arn}")
        task = tasks[0]
        status = task.get("lastStatus")
        if status != last_status:
            say(f"task {status} ({clock() - started:.0f} s)")
            last_status = status
        if status == "STOPPED":
            return task
        if clock() >= deadline:
            return None
        sleep(max(0.0, min(interval, deadline - clock())))


def migrate(
    ecs,
    *,
    cluster: str,
    service: str,
    image: str,
    started_by: str,
    timeout: float = DEFAULT_TIMEOUT,
    interval: float = DEFAULT_INTERVAL,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Run the migrations; the exit code (see the module docstring)."""
    try:
        described = find_service(ecs, cluster, service)
    except NoService as missing:
        say(
            f"{missing}: this is the first deploy of the environment. "
            "Run `pulumi up` first, then the migrations again."
        )
        return NO_SERVICE
    answer = ecs.describe_task_definition(taskDefinition=described["taskDefinition"], include=["TAGS"])
    current = answer["taskDefinition"]
    container = app_container(current, described)
    say(
        f"service {service} runs {current['family']}:{current['revision']}; "
        f"copying its container {container['name']!r} with the new image"
    )
    request = migration_task_definition(current, container, image, answer.get("tags", []))
    registered = ecs.register_task_definition(**request)["taskDefinition"]
    say(f"registered {registered['family']}:{registered['revision']} running {image}")

    started = ecs.run_task(**run_request(described, cluster, registered["taskDefinitionArn"], started_by))
    if started.get("failures") or not started.get("tasks"):
        reasons = "; ".join(
            f"{f.get('reason', '')} {f.get('detail', '')}".strip() for f in started.get("failures", [])
        )
        say(f"FAILED: ECS did not start the migration task: {reasons or 'no reason given'}")
        return FAILED
    task_arn = started["tasks"][0]["taskArn"]
    say(f"started task {task_arn} (startedBy {started_by}); waiting up to {timeout:.0f} s")

    migrator = request["containerDefinitions"][0]
    stopped = wait_until_stopped(ecs, cluster, task_arn, timeout, interval, sleep, clock)
    if stopped is None:
        # Stop it rather than leave it running unwatched: a retried pipeline would start a
        # second `alembic upgrade` against the same database.
        try:
            ecs.stop_task(cluster=cluster, task=task_arn, reason=f"migration timed out after {timeout:.0f} s")
            stopped_note = "the task was stopped"
        except ClientError as error:
            stopped_note = (
                f"stopping it failed ({error}); stop it by hand:\n"
                f"  aws ecs stop-task --cluster {cluster} --task {task_arn}"
            )
        say(f"FAILED: the migration did not finish within {timeout:.0f} s; {stopped_note}")
        say(f"its output: {log_location(migrator, task_arn)}")
        return FAILED

    result = outcome(stopped, migrator["name"])
    if result.succeeded:
        say("migrations applied (exit code 0)")
        return OK
    exit_code = "none: the container never ran" if result.exit_code is None else result.exit_code
    say(f"FAILED: exit code {exit_code}; stop code {result.stop_code or 'none'}")
    say(f"stopped reason: {result.reason or 'none given'}")
    say(f"its output: {log_location(migrator, task_arn)}")
    return FAILED


def default_started_by(image: str) -> str:
    return f"migrate/{image.rsplit(':', 1)[-1][:12]}"


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m epa_toolkit.delivery.migrate",
        description="Run `alembic upgrade head` as a one-off ECS task with the new image.",
        epilog="Exit codes: 0 applied, 1 failed, 2 usage, 3 no service yet (first deploy).",
    )
    parser.add_argument("--cluster", required=True, help="stack output cluster_name")
    parser.add_argument("--service", required=True, help="stack output service_name")
    parser.add_argument("--image", required=True, help="the new image: REPOSITORY@sha256:DIGEST")
    parser.add_argument("--region", required=True)
    parser.add_argument(
        "--started-by",
        help="who started the task, shown in ECS: e.g. pipeline-<id>/<commit> "
        "(letters, digits, - _ /; default: migrate/<digest prefix>)",
    )
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds (default: 900)")
    parser.add_argument("--interval", type=float, default=DEFAULT_INTERVAL, help="seconds between checks")
    args = parser.parse_args(argv)
    # A digest names exactly the image that was built and scanned; a tag could move.
    if not IMAGE_BY_DIGEST.fullmatch(args.image):
        parser.error(f"--image must be REPOSITORY@sha256:<64 hex digits>, got {args.image!r}")
    if args.timeout <= 0 or args.interval <= 0:
        parser.error("--timeout and --interval must be positive")
    started_by = args.started_by or default_started_by(args.image)
    args.started_by = NOT_ALLOWED_IN_STARTED_BY.sub("-", started_by)[:128]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    ecs = boto3.client("ecs", region_name=args.region, config=Config(retries={"mode": "standard"}))
    try:
        return migrate(
            ecs,
            cluster=args.cluster,
            service=args.service,
            image=args.image,
            started_by=args.started_by,
            timeout=args.timeout,
            interval=args.interval,
        )
    except MigrationError as error:
        say(f"FAILED: {error}")
    except (ClientError, BotoCoreError) as error:
        # Credentials, permissions, throttling that outlasted the retries: say which call.
        say(f"FAILED: AWS refused or did not answer: {error}")
    return FAILED


if __name__ == "__main__":
    sys.exit(main())
