"""`make protect` against fake GitHub and GitLab APIs: no network.

The fakes hold state and answer GET/PUT/POST/PATCH/DELETE with the shapes the providers
document, at the HTTP level (`responses` intercepts requests, which PyGithub and
python-gitlab both use), so the real client libraries and our code run unchanged. Every
write is recorded: a second run must make none.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import re
import urllib.parse
from collections.abc import Callable

import pytest
import responses
import yaml

from epa_toolkit.repo_settings import github as github_api
from epa_toolkit.repo_settings.cli import main
from epa_toolkit.repo_settings.desired import (
    MAINTAINERS,
    NO_ONE,
    Answers,
    BootstrapError,
    ci_variables,
    github_settings,
    gitlab_settings,
    release_branch,
)
from project_facts import Facts, load, project_root

ROOT = project_root()  # the reference project (conftest.py)
GITHUB_API = "https://api.github.com"
GITLAB_API = "https://gitlab.com/api/v4"
OWNER_ID = 1001
OUTPUTS = {
    "image_repository": "123456789012.dkr.ecr.eu-west-2.amazonaws.com/desk",
    "publish_role": "arn:aws:iam::123456789012:role/desk-publish",
    "preview_role": "arn:aws:iam::123456789012:role/desk-preview",
    "deploy_role_dev": "arn:aws:iam::123456789012:role/desk-deploy-dev",
    "deploy_role_staging": "arn:aws:iam::123456789012:role/desk-deploy-staging",
    "deploy_role_prod": "arn:aws:iam::123456789012:role/desk-deploy-prod",
    "oidc_provider_arn": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
    "pulumi_login": "s3://desk-pulumi-state",
    "secrets_provider": "awskms://alias/desk-pulumi-secrets",  # pragma: allowlist secret (a key alias)
}
Reply = tuple[int, object]
# A rule that makes the fake refuse some requests as a plan without the feature would:
# (method, path) -> (status, message) or None.
Denial = Callable[[str, str, dict], tuple[int, str] | None]


class FakeApi:
    """Routes (method, path regex) to handlers over in-memory state; records writes."""

    base = ""

    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern, Callable[..., Reply]]] = []
        self.writes: list[str] = []
        self.unrouted: list[str] = []
        self.denials: list[Denial] = []
        self.ids = itertools.count(100)

    def route(self, method: str, pattern: str, handler: Callable[..., Reply]) -> None:
        self.routes.append((method, re.compile(f"^{pattern}$"), handler))

    def install(self, mock: responses.RequestsMock) -> None:
        base = urllib.parse.urlsplit(self.base)
        # PyGithub names the default port (api.github.com:443).
        url = re.compile(f"{re.escape(f'{base.scheme}://{base.hostname}')}(:443)?{re.escape(base.path)}/.*")
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            mock.add_callback(method, url, callback=self.handle)

    def handle(self, request) -> tuple[int, dict, str]:
        url = urllib.parse.urlsplit(request.url)
        path = url.path.removeprefix(urllib.parse.urlsplit(self.base).path)
        query = dict(urllib.parse.parse_qsl(url.query))
        body = json.loads(request.body) if request.body else {}
        for deny in self.denials:
            refused = deny(request.method, path, body)
            if refused:
                return self.reply(refused[0], {"message": refused[1]})
        for method, pattern, handler in self.routes:
            match = pattern.match(path)
            if method == request.method and match:
                params = {k: urllib.parse.unquote(v) for k, v in match.groupdict().items()}
                status, data = handler(body=body, query=query, **params)
                if request.method != "GET" and status < 400:
                    self.writes.append(f"{request.method} {path}")
                return self.reply(status, data)
        self.unrouted.append(f"{request.method} {path}")
        return self.reply(501, {"message": f"the fake has no route for {request.method} {path}"})

    @staticmethod
    def reply(status: int, data: object) -> tuple[int, dict, str]:
        return (
            status,
            {"Content-Type": "application/json"},
            "" if data is None else json.dumps(data),
        )


class FakeGitHub(FakeApi):
    """The GitHub REST endpoints the tool uses, shaped as GitHub documents them."""

    base = GITHUB_API

    def __init__(self, repository: str = "alex/desk", owner_type: str = "User") -> None:
        super().__init__()
        self.full_name = repository
        owner = repository.split("/")[0]
        self.users = {owner: {"login": owner, "id": OWNER_ID, "type": owner_type}}
        self.default_branch = "main"
        self.delete_branch_on_merge = False
        self.branches = {"main": "a" * 40}
        self.protection: dict[str, dict] = {}
        self.environments: dict[str, dict] = {}
        self.policies: dict[str, dict[int, str]] = {}
        self.variables: dict[str, str] = {}
        self.environment_variables: dict[tuple[str, str], str] = {}
        repo = f"/repos/{re.escape(repository)}"
        env = f"{repo}/environments/(?P<env>[^/]+)"
        for method, pattern, handler in [
            ("GET", repo, self.get_repo),
            ("PATCH", repo, self.patch_repo),
            ("GET", f"{repo}/branches/(?P<name>[^/]+)", self.get_branch),
            ("POST", f"{repo}/git/refs", self.create_ref),
            ("GET", f"{repo}/branches/(?P<name>[^/]+)/protection", self.get_protection),
            ("PUT", f"{repo}/branches/(?P<name>[^/]+)/protection", self.put_protection),
            ("GET", env, self.get_environment),
            ("PUT", env, self.put_environment),
            ("GET", f"{env}/deployment-branch-policies", self.list_policies),
            ("POST", f"{env}/deployment-branch-policies", self.create_policy),
            ("DELETE", f"{env}/deployment-branch-policies/(?P<id>\\d+)", self.delete_policy),
            ("GET", "/users/(?P<login>[^/]+)", self.get_user),
            ("GET", f"{repo}/actions/variables/(?P<name>[^/]+)", self.get_variable),
            ("POST", f"{repo}/actions/variables", self.create_variable),
            ("PATCH", f"{repo}/actions/variables/(?P<name>[^/]+)", self.update_variable),
            ("GET", f"{env}/variables/(?P<name>[^/]+)", self.get_variable),
            ("POST", f"{env}/variables", self.create_variable),
            ("PATCH", f"{env}/variables/(?P<name>[^/]+)", self.update_variable),
            ("GET", "/repos/[^/]+/[^/]+", lambda **_: (404, {"message": "Not Found"})),  # any other
        ]:
            self.route(method, pattern, handler)

    @property
    def url(self) -> str:
        return f"{GITHUB_API}/repos/{self.full_name}"

    def get_repo(self, **_) -> Reply:
        owner = next(iter(self.users.values()))
        return 200, {
            "id": 7, "name": self.full_name.split("/")[1], "full_name": self.full_name,
            "owner": owner, "private": True, "url": self.url, "default_branch": self.default_branch,
            "delete_branch_on_merge": self.delete_branch_on_merge,
        }  # fmt: skip

    def patch_repo(self, body, **_) -> Reply:
        if "default_branch" in body:
            if body["default_branch"] not in self.branches:
                return 422, {"message": "Validation Failed"}
            self.default_branch = body["default_branch"]
        if "delete_branch_on_merge" in body:
            self.delete_branch_on_merge = body["delete_branch_on_merge"]
        return self.get_repo()

    def get_branch(self, name, **_) -> Reply:
        if name not in self.branches:
            return 404, {"message": "Branch not found"}
        return 200, {
            "name": name, "commit": {"sha": self.branches[name], "url": f"{self.url}/commits/{name}"},
            "protected": name in self.protection, "protection_url": f"{self.url}/branches/{name}/protection",
        }  # fmt: skip

    def create_ref(self, body, **_) -> Reply:
        name = body["ref"].removeprefix("refs/heads/")
        if name in self.branches:
            return 422, {"message": "Reference already exists"}
        self.branches[name] = body["sha"]
        return 201, {"ref": body["ref"], "url": f"{self.url}/git/refs/heads/{name}",
                     "object": {"sha": body["sha"], "type": "commit"}}  # fmt: skip

    def get_protection(self, name, **_) -> Reply:
        if name not in self.branches:
            return 404, {"message": "Branch not found"}
        if name not in self.protection:
            return 404, {"message": "Branch not protected"}
        return 200, self.protection[name]

    def put_protection(self, name, body, **_) -> Reply:
        """Documented required keys; the answer has GET's shape (flags as {enabled})."""
        if name not in self.branches:
            return 404, {"message": "Branch not found"}
        required = (
            "required_status_checks",
            "enforce_admins",
            "required_pull_request_reviews",
            "restrictions",
        )
        if any(key not in body for key in required):
            return 422, {"message": "Invalid request: missing required keys"}
        url = f"{self.url}/branches/{name}/protection"
        stored: dict = {
            "url": url,
            "enforce_admins": {
                "url": f"{url}/enforce_admins",
                "enabled": bool(body["enforce_admins"]),
            },
        }
        checks = body["required_status_checks"]
        if checks is not None:
            contexts = checks.get("contexts") or [c["context"] for c in checks.get("checks", [])]
            stored["required_status_checks"] = {
                "url": f"{url}/required_status_checks", "strict": checks["strict"], "contexts": contexts,
                "checks": [{"context": c, "app_id": None} for c in contexts],
            }  # fmt: skip
        reviews = body["required_pull_request_reviews"]
        if reviews is not None:
            stored["required_pull_request_reviews"] = {
                "url": f"{url}/required_pull_request_reviews",
                "dismiss_stale_reviews": reviews.get("dismiss_stale_reviews", False),
                "require_code_owner_reviews": reviews.get("require_code_owner_reviews", False),
                "required_approving_review_count": reviews.get("required_approving_review_count", 0),
                "require_last_push_approval": reviews.get("require_last_push_approval", False),
            }
        for flag in ("required_linear_history", "allow_force_pushes", "allow_deletions",
                     "required_conversation_resolution", "lock_branch", "allow_fork_syncing", "block_creations"):  # fmt: skip
            stored[flag] = {"enabled": bool(body.get(flag))}
        stored["required_signatures"] = {"url": f"{url}/required_signatures", "enabled": False}
        self.protection[name] = stored
        return 200, stored

    def environment_json(self, env) -> dict:
        state = self.environments[env]
        rules = []
        if state["wait_timer"]:
            rules.append({"id": 1, "node_id": "W", "type": "wait_timer", "wait_timer": state["wait_timer"]})
        if state["reviewers"]:
            users = {u["id"]: u for u in self.users.values()}
            rules.append({
                "id": 2, "node_id": "R", "type": "required_reviewers",
                "prevent_self_review": state["prevent_self_review"],
                "reviewers": [{"type": r["type"], "reviewer": users[r["id"]]} for r in state["reviewers"]],
            })  # fmt: skip
        if state["deployment_branch_policy"]:
            rules.append({"id": 3, "node_id": "B", "type": "branch_policy"})
        return {
            "id": 5, "node_id": "E", "name": env, "url": f"{self.url}/environments/{env}",
            "html_url": f"https://github.com/{self.full_name}/deployments/activity_log?environments_filter={env}",
            "created_at": "2027-01-04T10:00:00Z", "updated_at": "2027-01-04T10:00:00Z",
            "protection_rules": rules, "deployment_branch_policy": state["deployment_branch_policy"],
        }  # fmt: skip

    def get_environment(self, env, **_) -> Reply:
        if env not in self.environments:
            return 404, {"message": "Not Found"}
        return 200, self.environment_json(env)

    def put_environment(self, env, body, **_) -> Reply:
        policy = body.get("deployment_branch_policy")
        if policy is not None and policy["protected_branches"] == policy["custom_branch_policies"]:
            return 422, {
                "message": "exactly one of protected_branches and custom_branch_policies must be true"
            }
        for reviewer in body.get("reviewers") or []:
            if reviewer["id"] not in {u["id"] for u in self.users.values()}:
                return 422, {"message": f"reviewer {reviewer['id']} not found"}
        state = self.environments.setdefault(
            env,
            {
                "wait_timer": 0,
                "reviewers": [],
                "prevent_self_review": False,
                "deployment_branch_policy": None,
            },
        )
        for key in ("wait_timer", "prevent_self_review"):
            if key in body:
                state[key] = body[key]
        if "reviewers" in body:
            state["reviewers"] = body["reviewers"] or []
        if "deployment_branch_policy" in body:
            state["deployment_branch_policy"] = policy
            if not (policy and policy["custom_branch_policies"]):
                self.policies.pop(env, None)
        return 200, self.environment_json(env)

    def custom(self, env) -> bool:
        policy = self.environments.get(env, {}).get("deployment_branch_policy")
        return bool(policy and policy["custom_branch_policies"])

    def list_policies(self, env, **_) -> Reply:
        if not self.custom(env):
            return 404, {"message": "Not Found"}
        policies = [
            {"id": i, "node_id": f"P{i}", "name": n, "type": "branch"}
            for i, n in self.policies.get(env, {}).items()
        ]
        return 200, {"total_count": len(policies), "branch_policies": policies}

    def create_policy(self, env, body, **_) -> Reply:
        if not self.custom(env):
            return 404, {"message": "Not Found"}
        existing = self.policies.setdefault(env, {})
        if body["name"] in existing.values():
            return 303, {"message": "A policy with this name already exists"}
        policy_id = next(self.ids)
        existing[policy_id] = body["name"]
        return 200, {
            "id": policy_id,
            "node_id": f"P{policy_id}",
            "name": body["name"],
            "type": body.get("type", "branch"),
        }

    def delete_policy(self, env, id, **_) -> Reply:
        if self.policies.get(env, {}).pop(int(id), None) is None:
            return 404, {"message": "Not Found"}
        return 204, None

    def get_user(self, login, **_) -> Reply:
        if login not in self.users:
            return 404, {"message": "Not Found"}
        return 200, self.users[login]

    def store(self, env):
        if env is None:
            return self.variables
        return {name: value for (e, name), value in self.environment_variables.items() if e == env}

    def get_variable(self, name, env=None, **_) -> Reply:
        if env is not None and env not in self.environments:
            return 404, {"message": "Not Found"}
        values = self.store(env)
        if name not in values:
            return 404, {"message": "Not Found"}
        return 200, {
            "name": name,
            "value": values[name],
            "created_at": "2027-01-04T10:00:00Z",
            "updated_at": "2027-01-04T10:00:00Z",
        }

    def create_variable(self, body, env=None, **_) -> Reply:
        if env is not None and env not in self.environments:
            return 404, {"message": "Not Found"}
        if body["name"] in self.store(env):
            return 409, {"message": "Already exists"}
        self.set_variable(env, body["name"], body["value"])
        return 201, {}

    def update_variable(self, name, body, env=None, **_) -> Reply:
        if name not in self.store(env):
            return 404, {"message": "Not Found"}
        self.set_variable(env, name, body["value"])
        return 204, None

    def set_variable(self, env, name, value) -> None:
        if env is None:
            self.variables[name] = value
        else:
            self.environment_variables[(env, name)] = value


class FakeGitLab(FakeApi):
    """The GitLab REST (v4) endpoints the tool uses, shaped as GitLab documents them."""

    base = GITLAB_API

    def __init__(self, path: str = "acme/platform/desk", base: str = GITLAB_API) -> None:
        super().__init__()
        self.base = base
        self.project = {
            "id": 42, "path_with_namespace": path, "default_branch": "main",
            "only_allow_merge_if_pipeline_succeeds": False, "remove_source_branch_after_merge": False,
        }  # fmt: skip
        self.branches = {"main": "b" * 40}
        self.protected: dict[str, dict] = {}
        self.environments: dict[str, int] = {}
        self.protected_environments: dict[str, dict] = {}
        self.schedules: dict[int, dict] = {}
        self.variables: list[dict] = []
        project = "/projects/42"
        for method, pattern, handler in [
            ("GET", "/projects/(?P<ident>[^/]+)", self.get_project),
            ("PUT", project, self.put_project),
            ("GET", f"{project}/repository/branches/(?P<name>[^/]+)", self.get_branch),
            ("POST", f"{project}/repository/branches", self.create_branch),
            ("GET", f"{project}/protected_branches", self.list_protected),
            ("POST", f"{project}/protected_branches", self.protect),
            ("PATCH", f"{project}/protected_branches/(?P<name>[^/]+)", self.update_protected),
            ("GET", f"{project}/environments", self.list_environments),
            ("POST", f"{project}/environments", self.create_environment),
            ("GET", f"{project}/protected_environments/(?P<name>[^/]+)", self.get_protected_environment),
            ("POST", f"{project}/protected_environments", self.protect_environment),
            ("PUT", f"{project}/protected_environments/(?P<name>[^/]+)", self.update_protected_environment),
            ("GET", f"{project}/pipeline_schedules", self.list_schedules),
            ("GET", f"{project}/pipeline_schedules/(?P<sid>\\d+)", self.get_schedule),
            ("POST", f"{project}/pipeline_schedules", self.create_schedule),
            ("PUT", f"{project}/pipeline_schedules/(?P<sid>\\d+)", self.update_schedule),
            ("POST", f"{project}/pipeline_schedules/(?P<sid>\\d+)/variables", self.create_schedule_variable),
            ("PUT", f"{project}/pipeline_schedules/(?P<sid>\\d+)/variables/(?P<key>[^/]+)", self.update_schedule_variable),
            ("GET", f"{project}/variables", self.list_variables),
            ("POST", f"{project}/variables", self.create_variable),
            ("PUT", f"{project}/variables/(?P<key>[^/]+)", self.update_variable),
        ]:  # fmt: skip
            self.route(method, pattern, handler)

    def get_project(self, ident, **_) -> Reply:
        if ident not in (str(self.project["id"]), self.project["path_with_namespace"]):
            return 404, {"message": "404 Project Not Found"}
        return 200, self.project

    def put_project(self, body, **_) -> Reply:
        if body.get("default_branch", "main") not in self.branches:
            return 400, {"message": {"default_branch": ["does not exist"]}}
        self.project.update(body)
        return 200, self.project

    def get_branch(self, name, **_) -> Reply:
        if name not in self.branches:
            return 404, {"message": "404 Branch Not Found"}
        return 200, {
            "name": name,
            "commit": {"id": self.branches[name]},
            "protected": name in self.protected,
        }

    def create_branch(self, body, **_) -> Reply:
        if body["branch"] in self.branches:
            return 400, {"message": "Branch already exists"}
        self.branches[body["branch"]] = self.branches[body["ref"]]
        return 201, {"name": body["branch"], "commit": {"id": self.branches[body["ref"]]}}

    def level(self, access_level: int) -> dict:
        names = {0: "No one", 30: "Developers + Maintainers", 40: "Maintainers"}
        return {"id": next(self.ids), "access_level": access_level, "access_level_description": names[access_level],
                "user_id": None, "group_id": None}  # fmt: skip

    def list_protected(self, **_) -> Reply:
        return 200, list(self.protected.values())

    def protect(self, body, **_) -> Reply:
        if body["name"] in self.protected:
            return 409, {"message": f"Protected branch '{body['name']}' already exists"}
        self.protected[body["name"]] = {
            "id": next(self.ids), "name": body["name"],
            "push_access_levels": [self.level(body.get("push_access_level", 40))],
            "merge_access_levels": [self.level(body.get("merge_access_level", 40))],
            "allow_force_push": body.get("allow_force_push", False), "code_owner_approval_required": False,
        }  # fmt: skip
        return 201, self.protected[body["name"]]

    def apply_levels(self, levels: list[dict], changes: list[dict]) -> list[dict]:
        for change in changes:
            if change.get("_destroy"):
                levels = [a for a in levels if a["id"] != change["id"]]
            else:
                levels = [*levels, self.level(change["access_level"])]
        return levels

    def update_protected(self, name, body, **_) -> Reply:
        if name not in self.protected:
            return 404, {"message": "404 Not found"}
        rule = self.protected[name]
        rule["push_access_levels"] = self.apply_levels(
            rule["push_access_levels"], body.get("allowed_to_push", [])
        )
        rule["merge_access_levels"] = self.apply_levels(
            rule["merge_access_levels"], body.get("allowed_to_merge", [])
        )
        if "allow_force_push" in body:
            rule["allow_force_push"] = body["allow_force_push"]
        return 200, rule

    def list_environments(self, **_) -> Reply:
        return 200, [{"id": i, "name": n, "state": "available"} for n, i in self.environments.items()]

    def create_environment(self, body, **_) -> Reply:
        if body["name"] in self.environments:
            return 400, {"message": {"name": ["has already been taken"]}}
        self.environments[body["name"]] = next(self.ids)
        return 201, {
            "id": self.environments[body["name"]],
            "name": body["name"],
            "state": "available",
        }

    def get_protected_environment(self, name, **_) -> Reply:
        if name not in self.protected_environments:
            return 404, {"message": "404 Not found"}
        return 200, self.protected_environments[name]

    def protect_environment(self, body, **_) -> Reply:
        if not isinstance(body.get("deploy_access_levels"), list):
            return 400, {"error": "deploy_access_levels is missing"}
        self.protected_environments[body["name"]] = {
            "name": body["name"],
            "deploy_access_levels": [self.level(a["access_level"]) for a in body["deploy_access_levels"]],
            "required_approval_count": body.get("required_approval_count", 0),
        }
        return 201, self.protected_environments[body["name"]]

    def update_protected_environment(self, name, body, **_) -> Reply:
        environment = self.protected_environments[name]
        environment["deploy_access_levels"] = self.apply_levels(
            environment["deploy_access_levels"], body.get("deploy_access_levels", [])
        )
        environment["required_approval_count"] = body.get(
            "required_approval_count", environment["required_approval_count"]
        )
        return 200, environment

    def list_schedules(self, **_) -> Reply:
        return 200, [{k: v for k, v in s.items() if k != "variables"} for s in self.schedules.values()]

    def get_schedule(self, sid, **_) -> Reply:
        return 200, self.schedules[int(sid)]

    def create_schedule(self, body, **_) -> Reply:
        schedule_id = next(self.ids)
        # Recent GitLab versions store the ref in full.
        self.schedules[schedule_id] = {
            "id": schedule_id, "description": body["description"], "ref": f"refs/heads/{body['ref']}",
            "cron": body["cron"], "cron_timezone": body.get("cron_timezone", "UTC"),
            "active": body.get("active", True), "variables": [],
        }  # fmt: skip
        return 201, self.schedules[schedule_id]

    def update_schedule(self, sid, body, **_) -> Reply:
        schedule = self.schedules[int(sid)]
        for key in ("description", "cron", "cron_timezone", "active"):
            if key in body:
                schedule[key] = body[key]
        if "ref" in body:
            schedule["ref"] = f"refs/heads/{body['ref']}"
        return 200, schedule

    def create_schedule_variable(self, sid, body, **_) -> Reply:
        variables = self.schedules[int(sid)]["variables"]
        if any(v["key"] == body["key"] for v in variables):
            return 400, {"message": {"key": ["has already been taken"]}}
        variables.append({"key": body["key"], "value": body["value"], "variable_type": "env_var"})
        return 201, variables[-1]

    def update_schedule_variable(self, sid, key, body, **_) -> Reply:
        for variable in self.schedules[int(sid)]["variables"]:
            if variable["key"] == key:
                variable["value"] = body["value"]
                return 200, variable
        return 404, {"message": "404 Variable Not Found"}

    def list_variables(self, **_) -> Reply:
        return 200, self.variables

    def create_variable(self, body, **_) -> Reply:
        scope = body.get("environment_scope", "*")
        if any(v["key"] == body["key"] and v["environment_scope"] == scope for v in self.variables):
            return 400, {"message": {"key": [f"({body['key']}) has already been taken"]}}
        self.variables.append({"key": body["key"], "value": body["value"], "environment_scope": scope,
                               "protected": False, "masked": False, "raw": False, "variable_type": "env_var"})  # fmt: skip
        return 201, self.variables[-1]

    def update_variable(self, key, body, query, **_) -> Reply:
        matches = [v for v in self.variables if v["key"] == key]
        if "filter[environment_scope]" in query:
            matches = [v for v in matches if v["environment_scope"] == query["filter[environment_scope]"]]
        if len(matches) > 1:  # as GitLab answers when the scope is not named
            return 409, {
                "message": "There are multiple variables with provided parameters. Please use 'filter[environment_scope]'"
            }
        if not matches:
            return 404, {"message": "404 Variable Not Found"}
        matches[0]["value"] = body["value"]
        return 200, matches[0]


def answers(provider: str = "github", strategy: str = "trunk", backend: str = "s3") -> Answers:
    repository = "alex/desk" if provider == "github" else "acme/platform/desk"
    return Answers(provider, repository, strategy, backend)


@pytest.fixture
def http(monkeypatch):
    # No pauses between calls against the fake.
    monkeypatch.setattr(github_api, "PACE", {"seconds_between_requests": 0, "seconds_between_writes": 0})
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def fake_for(http, provider: str, **kwargs) -> FakeApi:
    fake = FakeGitHub(**kwargs) if provider == "github" else FakeGitLab(**kwargs)
    fake.install(http)
    return fake


def protect(capsys, settings: Answers, *args: str, environ: dict | None = None) -> tuple[int, list[str], str]:
    if environ is None:
        environ = (
            {"GITHUB_TOKEN": "test-token"}
            if settings.provider == "github"
            else {"GITLAB_TOKEN": "test-token"}
        )
    code = main(list(args), answers=settings, environ=environ)
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    # The header and the summary frame one line per setting.
    return code, lines[1:-1], captured.err


def statuses(lines: list[str]) -> dict[str, str]:
    """setting -> first word(s) of its outcome."""
    result = {}
    for line in lines:
        setting, outcome = re.match(
            r"(.+?): (unchanged|changed|created|would change|would create|not applied)", line
        ).groups()
        result[setting] = outcome
    return result


# ---------------------------------------------------------------- desired state (pure)


def test_trunk_protects_main_and_deploys_everything_from_it():
    github = github_settings(answers("github", "trunk"))
    assert github.default_branch == "main" and github.branches == ("main",)
    assert [(p.branch, p.linear_history, p.checks) for p in github.protection] == [
        ("main", True, ("Checks", "Security", "Image"))
    ]
    assert {e.name: e.branches for e in github.environments} == {
        "dev": ("main",), "staging": ("main",), "prod": ("main",), "drift": ("main",),
    }  # fmt: skip
    assert github.reviewers == ("alex",) and github.reviewers_default
    gitlab = gitlab_settings(answers("gitlab", "trunk"))
    assert [(p.name, p.push, p.merge) for p in gitlab.protected_branches] == [("main", NO_ONE, MAINTAINERS)]
    assert {s.description: (s.ref, s.cron, s.task) for s in gitlab.schedules} == {
        "weekly refresh": ("main", "0 5 * * 1", "refresh"),
        "nightly drift detection": ("main", "0 4 * * *", "drift"),
    }


def test_gitflow_protects_every_deploying_branch():
    github = github_settings(answers("github", "gitflow"), approvals=0, reviewers=("sam",))
    assert github.default_branch == "develop" and github.branches == ("main", "develop")
    # Gitflow merges with merge commits; alone, code owner reviews would block every change.
    assert [(p.branch, p.linear_history, p.approvals, p.code_owner_reviews) for p in github.protection] == [
        ("main", False, 0, False), ("develop", False, 0, False),
    ]  # fmt: skip
    assert {e.name: e.branches for e in github.environments} == {
        "dev": ("develop",), "staging": ("release/*", "hotfix/*"), "prod": ("main",), "drift": ("develop",),
    }  # fmt: skip
    assert github.reviewers == ("sam",) and not github.reviewers_default
    gitlab = gitlab_settings(answers("gitlab", "gitflow"))
    assert gitlab.default_branch == "develop"
    assert {p.name: (p.push, p.merge) for p in gitlab.protected_branches} == {
        "main": (NO_ONE, MAINTAINERS), "develop": (NO_ONE, MAINTAINERS),
        "release/*": (MAINTAINERS, MAINTAINERS), "hotfix/*": (MAINTAINERS, MAINTAINERS),
    }  # fmt: skip
    assert {s.description: s.ref for s in gitlab.schedules} == {
        "weekly refresh": "develop", "nightly drift detection": "main",
    }  # fmt: skip


def test_ci_variables_follow_the_backend():
    s3 = {(v.name, v.environment): v.value for v in ci_variables(OUTPUTS, "s3", None)}
    assert s3[("PULUMI_BACKEND_URL", None)] == "s3://desk-pulumi-state"
    assert s3[("AWS_DEPLOY_ROLE_ARN", "prod")] == OUTPUTS["deploy_role_prod"]
    assert {name for name, _ in s3} == {
        "AWS_PUBLISH_ROLE_ARN", "AWS_PREVIEW_ROLE_ARN", "IMAGE_REPOSITORY", "PULUMI_BACKEND_URL", "AWS_DEPLOY_ROLE_ARN",
    }  # fmt: skip
    cloud = {(v.name, v.environment): v.value for v in ci_variables(OUTPUTS, "pulumi-cloud", "acme")}
    assert cloud[("PULUMI_ORG", None)] == "acme" and ("PULUMI_BACKEND_URL", None) not in cloud
    with pytest.raises(BootstrapError, match="PULUMI_ORG"):
        ci_variables(OUTPUTS, "pulumi-cloud", None)
    with pytest.raises(BootstrapError, match="deploy_role_prod"):
        ci_variables({k: v for k, v in OUTPUTS.items() if k != "deploy_role_prod"}, "s3", None)


# ---------------------------------------------------------------- GitHub


def test_github_first_run_applies_everything_and_the_second_changes_nothing(http, capsys):
    fake = fake_for(http, "github")
    code, lines, _ = protect(capsys, answers("github", "trunk"))
    assert code == 0, lines
    outcome = statuses(lines)
    assert outcome.pop("default branch") == "unchanged"  # main already
    assert set(outcome.values()) <= {"created", "changed"}, lines
    assert fake.delete_branch_on_merge
    main_rule = fake.protection["main"]
    assert main_rule["required_status_checks"] == {
        "url": main_rule["required_status_checks"]["url"], "strict": True,
        "contexts": ["Checks", "Image", "Security"], "checks": main_rule["required_status_checks"]["checks"],
    }  # fmt: skip
    reviews = main_rule["required_pull_request_reviews"]
    assert reviews["required_approving_review_count"] == 1
    assert reviews["dismiss_stale_reviews"] and reviews["require_code_owner_reviews"]
    assert main_rule["required_linear_history"]["enabled"] and main_rule["enforce_admins"]["enabled"]
    assert not main_rule["allow_force_pushes"]["enabled"] and not main_rule["allow_deletions"]["enabled"]
    assert {env: sorted(p.values()) for env, p in fake.policies.items()} == {
        "dev": ["main"], "staging": ["main"], "prod": ["main"], "drift": ["main"],
    }  # fmt: skip
    assert fake.environments["prod"]["reviewers"] == [{"type": "User", "id": OWNER_ID}]
    assert all(not fake.environments[e]["reviewers"] for e in ("dev", "staging", "drift"))

    fake.writes.clear()
    code, lines, _ = protect(capsys, answers("github", "trunk"))
    assert code == 0
    assert set(statuses(lines).values()) == {"unchanged"}, lines
    assert fake.writes == []
    assert fake.unrouted == []


def test_github_gitflow_creates_develop_and_protects_both_branches(http, capsys):
    fake = fake_for(http, "github")
    code, lines, _ = protect(capsys, answers("github", "gitflow"), "--reviews", "0")
    assert code == 0, lines
    assert statuses(lines)["branch develop"] == "created"
    assert fake.branches["develop"] == fake.branches["main"]
    assert fake.default_branch == "develop"
    for name in ("main", "develop"):
        rule = fake.protection[name]
        assert not rule["required_linear_history"]["enabled"]
        assert rule["required_pull_request_reviews"]["required_approving_review_count"] == 0
        assert not rule["required_pull_request_reviews"]["require_code_owner_reviews"]
    assert {env: sorted(p.values()) for env, p in fake.policies.items()} == {
        "dev": ["develop"], "staging": ["hotfix/*", "release/*"], "prod": ["main"], "drift": ["develop"],
    }  # fmt: skip
    fake.writes.clear()
    code, lines, _ = protect(capsys, answers("github", "gitflow"), "--reviews", "0")
    assert code == 0 and fake.writes == [] and set(statuses(lines).values()) == {"unchanged"}


def test_github_changes_only_what_differs_and_keeps_extra_checks(http, capsys):
    fake = fake_for(http, "github")
    protect(capsys, answers("github", "trunk"))
    # Someone loosened the rule by hand, added a check of their own, and let feature
    # branches deploy to prod.
    rule = fake.protection["main"]
    rule["required_pull_request_reviews"]["required_approving_review_count"] = 0
    rule["allow_force_pushes"]["enabled"] = True
    rule["required_status_checks"]["contexts"].append("Preview summary")
    fake.policies["prod"][999] = "feature/*"
    fake.writes.clear()

    code, lines, _ = protect(capsys, answers("github", "trunk"))
    assert code == 0
    changed = {line.split(": ", 1)[0]: line for line in lines if ": changed:" in line}
    assert set(changed) == {"branch protection main", "environment prod"}, lines
    assert "approvals 0 -> 1" in changed["branch protection main"]
    assert "force pushes on -> off" in changed["branch protection main"]
    assert "- feature/*" in changed["environment prod"]
    assert sorted(fake.protection["main"]["required_status_checks"]["contexts"]) == [
        "Checks", "Image", "Preview summary", "Security",
    ]  # fmt: skip
    assert sorted(fake.policies["prod"].values()) == ["main"]
    assert len(fake.writes) == 2  # one protection PUT, one policy DELETE


def test_github_dry_run_changes_nothing_and_predicts_the_real_run(http, capsys, tmp_path):
    fake = fake_for(http, "github")
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(OUTPUTS))
    code, dry_lines, _ = protect(
        capsys, answers("github", "gitflow"), "--dry-run", "--bootstrap-outputs", str(outputs)
    )
    assert code == 0
    assert fake.writes == []
    assert fake.environments == {} and fake.protection == {} and "develop" not in fake.branches
    code, real_lines, _ = protect(capsys, answers("github", "gitflow"), "--bootstrap-outputs", str(outputs))
    assert code == 0
    predicted = {k: v.removeprefix("would ") for k, v in statuses(dry_lines).items()}
    assert predicted == {k: v.removesuffix("d") for k, v in statuses(real_lines).items()}


def test_github_sets_ci_variables_from_the_bootstrap_outputs(http, capsys, tmp_path):
    fake = fake_for(http, "github")
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(OUTPUTS))
    code, _, _ = protect(capsys, answers("github", "trunk"), "--bootstrap-outputs", str(outputs))
    assert code == 0
    assert fake.variables == {
        "AWS_PUBLISH_ROLE_ARN": OUTPUTS["publish_role"], "AWS_PREVIEW_ROLE_ARN": OUTPUTS["preview_role"],
        "IMAGE_REPOSITORY": OUTPUTS["image_repository"], "PULUMI_BACKEND_URL": OUTPUTS["pulumi_login"],
    }  # fmt: skip
    assert fake.environment_variables == {
        (env, "AWS_DEPLOY_ROLE_ARN"): OUTPUTS[f"deploy_role_{env}"] for env in ("dev", "staging", "prod")
    }
    # The bootstrap was redeployed: one role has a new ARN.
    outputs.write_text(json.dumps({**OUTPUTS, "deploy_role_prod": "arn:aws:iam::123456789012:role/new"}))
    fake.writes.clear()
    code, lines, _ = protect(capsys, answers("github", "trunk"), "--bootstrap-outputs", str(outputs))
    assert code == 0
    assert [line for line in lines if "unchanged" not in line] == [
        f"variable AWS_DEPLOY_ROLE_ARN (prod): changed: {OUTPUTS['deploy_role_prod']} -> arn:aws:iam::123456789012:role/new"
    ]
    assert fake.environment_variables[("prod", "AWS_DEPLOY_ROLE_ARN")].endswith("role/new")
    assert len(fake.writes) == 1


def test_github_plan_without_branch_protection_applies_the_rest(http, capsys):
    """A private repository on GitHub Free: branch protection and environment reviewers
    are refused; everything else is applied and the exit code says something is missing."""
    fake = fake_for(http, "github")
    upgrade = "Upgrade to GitHub Pro or make this repository public to enable this feature."
    fake.denials.append(lambda method, path, body: (403, upgrade) if "/protection" in path else None)
    fake.denials.append(
        lambda method, path, body: (
            (422, "Failed to create the environment protection rule.")
            if method == "PUT" and path.endswith("/environments/prod") and body.get("reviewers")
            else None
        )
    )
    code, lines, _ = protect(capsys, answers("github", "trunk"))
    assert code == 1
    outcome = statuses(lines)
    assert outcome.pop("branch protection main") == "not applied"
    assert outcome.pop("environment prod required reviewers") == "not applied"
    assert outcome.pop("default branch") == "unchanged"
    assert set(outcome.values()) <= {"created", "changed"}, lines
    assert f"GitHub answered 403: {upgrade}" in "\n".join(lines)
    assert "prod deploys without waiting for approval" in "\n".join(lines)
    assert sorted(fake.policies["prod"].values()) == ["main"]  # the environment itself exists
    assert "Traceback" not in capsys.readouterr().err


def test_github_organisation_needs_named_reviewers(http, capsys):
    fake = fake_for(http, "github", repository="acme/desk", owner_type="Organization")
    code, lines, _ = protect(capsys, Answers("github", "acme/desk", "trunk", "s3"))
    assert code == 1
    assert "environment prod required reviewers: not applied: acme is an organisation" in "\n".join(lines)
    fake.users["sam"] = {"login": "sam", "id": 2002, "type": "User"}
    code, lines, _ = protect(capsys, Answers("github", "acme/desk", "trunk", "s3"), "--reviewer", "sam")
    assert code == 0
    assert fake.environments["prod"]["reviewers"] == [{"type": "User", "id": 2002}]


@pytest.mark.parametrize("provider", ["github", "gitlab"])
def test_missing_token_names_the_variable_and_its_scopes(http, capsys, provider):
    fake = fake_for(http, provider)
    code, _, err = protect(capsys, answers(provider), environ={})
    assert code == 2
    if provider == "github":
        assert "GITHUB_TOKEN is not set" in err and "Administration" in err and "Environments" in err
    else:
        assert "GITLAB_TOKEN is not set" in err and "`api` scope" in err and "Maintainer" in err
    assert fake.writes == [] and not http.calls


def test_refused_token_and_unknown_repository_cannot_run(http, capsys):
    fake = fake_for(http, "github")
    fake.denials.append(lambda method, path, body: (401, "Bad credentials"))
    code, _, err = protect(capsys, answers("github"))
    assert code == 2 and "GitHub refused GITHUB_TOKEN (401)" in err
    fake.denials.clear()
    code, _, err = protect(capsys, Answers("github", "alex/other", "trunk", "s3"))
    assert code == 2 and "no repository alex/other" in err


def test_unusable_bootstrap_outputs_cannot_run(http, capsys, tmp_path):
    fake = fake_for(http, "github")
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"preview_role": "arn:aws:iam::123456789012:role/desk-preview"}))
    code, _, err = protect(capsys, answers("github"), "--bootstrap-outputs", str(outputs))
    assert code == 2 and "lack publish_role" in err
    outputs.write_text("Current stack outputs (2):")
    code, _, err = protect(capsys, answers("github"), "--bootstrap-outputs", str(outputs))
    assert code == 2 and "is not JSON" in err
    assert fake.writes == []


# ---------------------------------------------------------------- GitLab


def test_gitlab_first_run_applies_everything_and_the_second_changes_nothing(http, capsys, tmp_path):
    fake = fake_for(http, "gitlab")
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(OUTPUTS))
    settings = answers("gitlab", "trunk")
    code, lines, _ = protect(capsys, settings, "--bootstrap-outputs", str(outputs))
    assert code == 0, lines
    outcome = statuses(lines)
    assert outcome.pop("default branch") == "unchanged"
    assert set(outcome.values()) <= {"created", "changed"}, lines
    assert (
        fake.project["only_allow_merge_if_pipeline_succeeds"]
        and fake.project["remove_source_branch_after_merge"]
    )
    main_rule = fake.protected["main"]
    assert [a["access_level"] for a in main_rule["push_access_levels"]] == [NO_ONE]
    assert [a["access_level"] for a in main_rule["merge_access_levels"]] == [MAINTAINERS]
    assert not main_rule["allow_force_push"]
    assert set(fake.environments) == {"dev", "staging", "prod"}
    assert fake.protected_environments["prod"]["required_approval_count"] == 1
    assert [a["access_level"] for a in fake.protected_environments["prod"]["deploy_access_levels"]] == [
        MAINTAINERS
    ]
    schedules = {s["description"]: s for s in fake.schedules.values()}
    assert {
        d: (s["ref"], s["cron"], s["cron_timezone"], s["variables"][0]["value"]) for d, s in schedules.items()
    } == {
        "weekly refresh": ("refs/heads/main", "0 5 * * 1", "UTC", "refresh"),
        "nightly drift detection": ("refs/heads/main", "0 4 * * *", "UTC", "drift"),
    }
    scoped = {(v["key"], v["environment_scope"]): v["value"] for v in fake.variables}
    assert scoped[("AWS_DEPLOY_ROLE_ARN", "prod")] == OUTPUTS["deploy_role_prod"]
    assert scoped[("PULUMI_BACKEND_URL", "*")] == OUTPUTS["pulumi_login"]

    fake.writes.clear()
    code, lines, _ = protect(capsys, settings, "--bootstrap-outputs", str(outputs))
    assert code == 0
    assert set(statuses(lines).values()) == {"unchanged"}, lines
    assert fake.writes == []
    assert fake.unrouted == []


def test_gitlab_gitflow_protects_release_and_hotfix_branches(http, capsys):
    fake = fake_for(http, "gitlab")
    code, lines, _ = protect(capsys, answers("gitlab", "gitflow"))
    assert code == 0, lines
    assert fake.project["default_branch"] == "develop" and "develop" in fake.branches
    levels = {
        name: (
            [a["access_level"] for a in r["push_access_levels"]],
            [a["access_level"] for a in r["merge_access_levels"]],
        )
        for name, r in fake.protected.items()
    }
    assert levels == {
        "main": ([NO_ONE], [MAINTAINERS]), "develop": ([NO_ONE], [MAINTAINERS]),
        "release/*": ([MAINTAINERS], [MAINTAINERS]), "hotfix/*": ([MAINTAINERS], [MAINTAINERS]),
    }  # fmt: skip
    assert {s["description"]: s["ref"] for s in fake.schedules.values()} == {
        "weekly refresh": "refs/heads/develop", "nightly drift detection": "refs/heads/main",
    }  # fmt: skip
    # By hand: force pushes allowed on release branches (a wildcard name in the URL).
    fake.protected["release/*"]["allow_force_push"] = True
    fake.writes.clear()
    code, lines, _ = protect(capsys, answers("gitlab", "gitflow"))
    assert [line for line in lines if "unchanged" not in line] == [
        "protected branch release/*: changed: force push on -> off"
    ]
    assert fake.writes == ["PATCH /projects/42/protected_branches/release%2F%2A"]
    assert not fake.protected["release/*"]["allow_force_push"]


def test_gitlab_changes_only_what_differs(http, capsys, tmp_path):
    fake = fake_for(http, "gitlab")
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(OUTPUTS))
    protect(capsys, answers("gitlab"), "--bootstrap-outputs", str(outputs))
    # By hand: developers may push to main, the refresh moved to Sunday, the drift
    # schedule's task edited, a role was replaced.
    fake.protected["main"]["push_access_levels"] = [fake.level(30)]
    schedules = {s["description"]: s for s in fake.schedules.values()}
    schedules["weekly refresh"]["cron"] = "0 5 * * 0"
    schedules["nightly drift detection"]["variables"][0]["value"] = "refresh"
    outputs.write_text(json.dumps({**OUTPUTS, "deploy_role_staging": "arn:aws:iam::123456789012:role/new"}))
    fake.writes.clear()

    code, lines, _ = protect(capsys, answers("gitlab"), "--bootstrap-outputs", str(outputs))
    assert code == 0
    changed = [line for line in lines if "unchanged" not in line]
    assert changed == [
        "protected branch main: changed: push developers -> no one",
        "schedule weekly refresh: changed: cron 0 5 * * 0 -> 0 5 * * 1",
        "schedule nightly drift detection: changed: SCHEDULE_TASK refresh -> drift",
        f"variable AWS_DEPLOY_ROLE_ARN (staging): changed: {OUTPUTS['deploy_role_staging']} -> arn:aws:iam::123456789012:role/new",
    ]
    assert [a["access_level"] for a in fake.protected["main"]["push_access_levels"]] == [NO_ONE]
    scoped = {(v["key"], v["environment_scope"]): v["value"] for v in fake.variables}
    assert scoped[("AWS_DEPLOY_ROLE_ARN", "staging")].endswith("role/new")
    assert scoped[("AWS_DEPLOY_ROLE_ARN", "prod")] == OUTPUTS["deploy_role_prod"]
    assert schedules["weekly refresh"]["cron"] == "0 5 * * 1"
    assert schedules["nightly drift detection"]["variables"][0]["value"] == "drift"
    assert len(fake.writes) == 4


def test_gitlab_self_managed_url_comes_from_gitlab_url(http, capsys):
    fake = FakeGitLab(base="https://git.example.test/api/v4")
    fake.install(http)
    environ = {"GITLAB_TOKEN": "test-token", "GITLAB_URL": "https://git.example.test"}
    code, lines, _ = protect(capsys, answers("gitlab"), environ=environ)
    assert code == 0, lines
    assert "main" in fake.protected


def test_gitlab_free_tier_reports_the_protected_environment_and_applies_the_rest(http, capsys):
    fake = fake_for(http, "gitlab")
    fake.denials.append(
        lambda method, path, body: (403, "403 Forbidden") if "/protected_environments" in path else None
    )
    code, lines, _ = protect(capsys, answers("gitlab"))
    assert code == 1
    outcome = statuses(lines)
    assert outcome.pop("protected environment prod") == "not applied"
    assert outcome.pop("default branch") == "unchanged"
    assert set(outcome.values()) <= {"created", "changed"}, lines
    line = next(line for line in lines if line.startswith("protected environment prod"))
    assert "GitLab answered 403" in line and "Premium" in line and "deploy:prod job is the gate" in line
    assert set(fake.environments) == {"dev", "staging", "prod"} and len(fake.schedules) == 2


def test_gitlab_dry_run_changes_nothing(http, capsys):
    fake = fake_for(http, "gitlab")
    code, lines, _ = protect(capsys, answers("gitlab", "gitflow"), "--dry-run")
    assert code == 0
    assert fake.writes == [] and fake.protected == {} and fake.schedules == {}
    assert set(statuses(lines).values()) <= {"would create", "would change"}
    assert "default branch: would change: main -> develop" in lines


# ---------------------------------------------------------------- project.yaml changed


@pytest.fixture
def uat(tmp_path, monkeypatch) -> Facts:
    """project.yaml as an apprentice might change it: a uat environment of tier prod (so
    it waits for an approval) between staging and prod; in gitflow, uat deploys from uat/*
    branches (promoting what staging runs) and develop is renamed next. PROJECT_FACTS makes
    `make protect` read this file."""
    data = yaml.safe_load((ROOT / "project.yaml").read_text(encoding="utf-8"))
    envs = data["environments"]
    data["environments"] = {"dev": envs["dev"], "staging": envs["staging"],
                            "uat": {"tier": "prod"}, "prod": envs["prod"]}  # fmt: skip
    data["branching"]["trunk"]["deploy"]["uat"] = ["main"]
    data["branching"]["gitflow"] = {
        "long_lived": ["main", "next"], "default": "next", "build": ["next", "release/*", "hotfix/*"],
        "deploy": {"dev": ["next"], "staging": ["release/*", "hotfix/*"], "uat": ["uat/*"], "prod": ["main"]},
    }  # fmt: skip
    path = tmp_path / "project.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    monkeypatch.setenv("PROJECT_FACTS", str(path))
    return load()


def test_an_added_environment_is_deployable_from_its_branches_and_approved(uat):
    github = github_settings(answers("github", "trunk"), facts=uat)
    assert {e.name: e.branches for e in github.environments} == {
        "dev": ("main",), "staging": ("main",), "uat": ("main",), "prod": ("main",), "drift": ("main",),
    }  # fmt: skip
    assert github.approval_environments == ("uat", "prod")
    github = github_settings(answers("github", "gitflow"), facts=uat)
    assert github.default_branch == "next" and github.branches == ("main", "next")
    assert [p.branch for p in github.protection] == ["main", "next"]
    assert {e.name: e.branches for e in github.environments} == {
        "dev": ("next",), "staging": ("release/*", "hotfix/*"), "uat": ("uat/*",), "prod": ("main",),
        "drift": ("next",),
    }  # fmt: skip

    gitlab = gitlab_settings(answers("gitlab", "gitflow"), facts=uat)
    assert gitlab.environments == ("dev", "staging", "uat", "prod")
    assert gitlab.protected_environments == ("uat", "prod")
    assert {p.name: (p.push, p.merge) for p in gitlab.protected_branches} == {
        "main": (NO_ONE, MAINTAINERS), "next": (NO_ONE, MAINTAINERS),
        "release/*": (MAINTAINERS, MAINTAINERS), "hotfix/*": (MAINTAINERS, MAINTAINERS),
        "uat/*": (MAINTAINERS, MAINTAINERS),
    }  # fmt: skip
    # The refresh enters where changes enter (the renamed default branch); drift is
    # checked on the code prod runs.
    assert {s.description: s.ref for s in gitlab.schedules} == {
        "weekly refresh": "next", "nightly drift detection": "main",
    }  # fmt: skip
    assert [p.name for p in gitlab_settings(answers("gitlab", "trunk"), facts=uat).protected_branches] == [
        "main"
    ]

    scoped = {v.environment for v in ci_variables({**OUTPUTS, "deploy_role_uat": "arn:uat"}, "s3", None, uat)}
    assert scoped == {None, "dev", "staging", "uat", "prod"}
    with pytest.raises(BootstrapError, match="deploy_role_uat"):
        ci_variables(OUTPUTS, "s3", None, uat)


def test_the_drift_schedule_needs_a_branch_not_a_pattern(uat):
    """If the release environment deployed from patterns only, there would be no one branch
    to check: drift detection falls back to the default branch."""
    gitflow = uat.strategy("gitflow")
    patterns = dataclasses.replace(gitflow, deploy={**gitflow.deploy, "prod": ("release/*",)})
    facts = dataclasses.replace(uat, branching={**uat.branching, "gitflow": patterns})
    assert release_branch("gitflow", uat) == "main"
    assert release_branch("gitflow", facts) == "next"


def test_github_applies_the_environments_and_approvals_of_project_yaml(uat, http, capsys):
    fake = fake_for(http, "github")
    code, lines, _ = protect(capsys, answers("github", "gitflow"), "--reviews", "0")
    assert code == 0, lines
    assert {env: sorted(p.values()) for env, p in fake.policies.items()} == {
        "dev": ["next"], "staging": ["hotfix/*", "release/*"], "uat": ["uat/*"], "prod": ["main"],
        "drift": ["next"],
    }  # fmt: skip
    reviewed = {env for env, state in fake.environments.items() if state["reviewers"]}
    assert reviewed == {"uat", "prod"}
    assert fake.environments["uat"]["reviewers"] == [{"type": "User", "id": OWNER_ID}]
    assert fake.default_branch == "next" and "next" in fake.protection
    fake.writes.clear()
    code, lines, _ = protect(capsys, answers("github", "gitflow"), "--reviews", "0")
    assert code == 0 and fake.writes == [] and set(statuses(lines).values()) == {"unchanged"}


def test_github_names_each_environment_whose_approval_could_not_be_set(uat, http, capsys):
    fake = fake_for(http, "github")
    fake.denials.append(
        lambda method, path, body: (
            (422, "Failed to create the environment protection rule.")
            if method == "PUT" and "/environments/" in path and body.get("reviewers")
            else None
        )
    )
    code, lines, _ = protect(capsys, answers("github", "trunk"))
    assert code == 1
    outcome = statuses(lines)
    assert outcome["environment uat required reviewers"] == "not applied"
    assert outcome["environment prod required reviewers"] == "not applied"
    text = "\n".join(lines)
    assert "until then uat deploys without waiting" in text
    assert "until then prod deploys without waiting" in text


def test_gitlab_applies_the_environments_branches_and_schedules_of_project_yaml(uat, http, capsys):
    fake = fake_for(http, "gitlab")
    code, lines, _ = protect(capsys, answers("gitlab", "gitflow"))
    assert code == 0, lines
    assert fake.project["default_branch"] == "next" and "next" in fake.branches
    assert set(fake.environments) == {"dev", "staging", "uat", "prod"}
    assert set(fake.protected) == {"main", "next", "release/*", "hotfix/*", "uat/*"}
    assert [a["access_level"] for a in fake.protected["uat/*"]["push_access_levels"]] == [MAINTAINERS]
    assert {
        name: (e["required_approval_count"], [a["access_level"] for a in e["deploy_access_levels"]])
        for name, e in fake.protected_environments.items()
    } == {"uat": (1, [MAINTAINERS]), "prod": (1, [MAINTAINERS])}
    assert {s["description"]: s["ref"] for s in fake.schedules.values()} == {
        "weekly refresh": "refs/heads/next", "nightly drift detection": "refs/heads/main",
    }  # fmt: skip
    fake.writes.clear()
    code, lines, _ = protect(capsys, answers("gitlab", "gitflow"))
    assert code == 0 and fake.writes == [] and set(statuses(lines).values()) == {"unchanged"}


def test_gitlab_free_tier_names_the_gate_of_each_approved_environment(uat, http, capsys):
    fake = fake_for(http, "gitlab")
    fake.denials.append(
        lambda method, path, body: (403, "403 Forbidden") if "/protected_environments" in path else None
    )
    code, lines, _ = protect(capsys, answers("gitlab", "trunk"))
    assert code == 1
    gates = {line.split(":", 1)[0]: line for line in lines if "not applied" in line}
    assert set(gates) == {"protected environment uat", "protected environment prod"}
    assert (
        "deploy:uat job is the gate: run it only after checking staging" in gates["protected environment uat"]
    )
    assert (
        "deploy:prod job is the gate: run it only after checking uat" in gates["protected environment prod"]
    )


def test_unreadable_project_yaml_cannot_run(tmp_path, monkeypatch, http, capsys):
    fake = fake_for(http, "gitlab")
    monkeypatch.setenv("PROJECT_FACTS", str(tmp_path / "missing.yaml"))
    code, _, err = protect(capsys, answers("gitlab"))
    assert code == 2 and "make protect: project.yaml:" in err and "missing.yaml" in err
    assert fake.writes == [] and not http.calls
