"""The parts of the pipeline files that follow project.yaml, written by `make docs` and
checked by `make check`: which branches run the delivery pipeline and build an image, one
deploy job per environment in promotion order, the release after the last one, and the
environment lists of the previews and drift checks.

Everything else in the pipeline files is yours to edit; these blocks sit between
`# pipeline:begin <name>` and `# pipeline:end <name>` comments. Each environment deploys
in one of two ways (project.yaml, `branching.<strategy>.deploy`):
- from a branch that builds: the image this run built, after the environment before it
  when both deploy from the same branches (trunk: dev -> staging -> prod);
- from a branch that does not build (gitflow's main): the image the environment before it
  runs, promoted, never rebuilt.
An environment of tier prod waits for an approval first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from project_facts import Facts, FactsError, load, project_root
from project_facts.generated import between, sync

GITHUB = Path(".github/workflows")
GITLAB = Path(".gitlab-ci.yml")
ROUTES_DOC = Path("docs/reference/pipelines.md")
# Environments of this tier wait for an approval before each deploy, and the last of them
# publishes the release (make protect sets the approval: repository settings).
APPROVAL_TIER = "prod"


@dataclass(frozen=True)
class Deploy:
    """How one environment is deployed: from which branches, after which environment, and
    with the image built by this run or promoted from the environment before it."""

    environment: str
    tier: str
    branches: tuple[str, ...]
    after: str | None  # the deploy job this one waits for (same branches, earlier)
    promote_from: str | None  # deploys what this environment runs instead of building

    @property
    def approved(self) -> bool:
        """Each deploy waits for an approval first."""
        return self.tier == APPROVAL_TIER


def deploys(facts: Facts) -> list[Deploy]:
    strategy = facts.strategy()
    result: list[Deploy] = []
    for index, (name, tier) in enumerate(facts.environments.items()):
        branches = facts.deploy_branches()[name]
        builds = [branch in strategy.build for branch in branches]
        before = result[index - 1] if index else None
        if all(builds):
            after = before.environment if before and before.branches == branches else None
            result.append(Deploy(name, tier, branches, after, None))
        elif not any(builds) and before:
            result.append(Deploy(name, tier, branches, None, before.environment))
        else:
            raise FactsError(
                f"branching.{facts.branching_strategy}.deploy.{name}: either every branch "
                "builds (is in build:) or none does and the environment before it is promoted"
            )
    return result


def delivery_branches(facts: Facts) -> tuple[str, ...]:
    """Branches whose pushes run the delivery pipeline, the default branch first."""
    strategy = facts.strategy()
    ordered = [strategy.default, *strategy.build]
    ordered += [b for branches in facts.deploy_branches().values() for b in branches]
    return tuple(dict.fromkeys(ordered))


def releasing(facts: Facts) -> Deploy:
    """The deploy after which a release is published: the last environment of tier prod."""
    candidates = [d for d in deploys(facts) if d.approved]
    if not candidates:
        raise FactsError(f"environments: none has tier {APPROVAL_TIER}, so nothing releases")
    return candidates[-1]


def route(facts: Facts) -> str:
    """One comment line per environment: where its deploys come from."""
    lines = []
    for d in deploys(facts):
        if d.promote_from:
            how = f"promotes the image {d.promote_from} runs"
        else:
            how = f"after {d.after}" if d.after else "builds the image"
        if d.approved:
            how += "; approval first"
        lines.append(f"# {d.environment} <- {', '.join(d.branches)} ({how})")
    return "\n".join(lines)


def previews(facts: Facts) -> str:
    """The preview summary's inputs, in promotion order (a missing one shows as failed)."""
    return "PREVIEWS: " + " ".join(f"build/preview/{name}.json" for name in facts.names)


# --- GitHub Actions -----------------------------------------------------------------------


def _github_if(branches: tuple[str, ...]) -> str:
    tests = [
        f"startsWith(github.ref, 'refs/heads/{b[:-1]}')"
        if b.endswith("/*")
        else f"github.ref == 'refs/heads/{b}'"
        for b in branches
    ]
    return " || ".join(tests)


def _github_filter(branch: str) -> str:
    # GitHub's filters: * stops at a slash, ** does not (release/1.2/fix).
    return f'"{branch}*"' if branch.endswith("/*") else branch


def github_blocks(facts: Facts) -> dict[Path, dict[str, str]]:
    plan = deploys(facts)
    strategy = facts.strategy()
    jobs: list[str] = []
    for d in plan:
        job = [f"deploy-{d.environment}:", f"  name: Deploy {d.environment}"]
        if d.approved:
            job.append(f"  # Waits for a required reviewer of the {d.environment} environment.")
        if d.promote_from:
            job += [
                f"  # Deploys the image {d.promote_from} runs, after checking it was built from",
                "  # exactly this branch's files.",
            ]
        job.append(f"  if: {_github_if(d.branches)}")
        if not d.promote_from:
            needs = ["build", f"deploy-{d.after}"] if d.after else ["build"]
            job.append(f"  needs: [{', '.join(needs)}]")
        job += [
            "  uses: ./.github/workflows/deploy.yml",
            "  permissions:",
            "    contents: read",
            "    id-token: write",
            "  with:",
            f"    environment: {d.environment}",
        ]
        if d.promote_from:
            job.append(f"    promote-from: {d.promote_from}")
        else:
            job += [
                "    image: ${{ needs.build.outputs.image }}",
                "    commit: ${{ needs.build.outputs.commit }}",
            ]
        jobs.append("\n".join(job))
    last = f"deploy-{releasing(facts).environment}"
    jobs.append(
        "\n".join(
            [
                "release:",
                "  name: Release",
                f"  needs: {last}",
                "  runs-on: ubuntu-24.04",
                "  timeout-minutes: 5",
                "  permissions:",
                "    contents: write  # the tag and the release",
                "  steps:",
                "    - name: Tag the commit prod runs and publish release notes",
                "      run: |",
                '        tag="v$(date -u +%Y.%m.%d).$RUN_NUMBER"',
                '        gh release create "$tag" --target "$GITHUB_SHA" --title "$tag" --generate-notes \\',
                '          --notes "Deployed to prod: $IMAGE (built from $COMMIT)."',
                "      env:",
                "        GH_TOKEN: ${{ github.token }}",
                "        GH_REPO: ${{ github.repository }}",
                "        RUN_NUMBER: ${{ github.run_number }}",
                f"        COMMIT: ${{{{ needs.{last}.outputs.commit }}}}",
                f"        IMAGE: ${{{{ needs.{last}.outputs.image }}}}",
            ]
        )
    )
    names = f"[{', '.join(facts.names)}]"
    return {
        GITHUB / "deliver.yml": {
            "route": route(facts),
            "branches": f"branches: [{', '.join(map(_github_filter, delivery_branches(facts)))}]",
            "build": f"if: {_github_if(strategy.build)}",
            "deploy": "\n\n".join(jobs),
        },
        GITHUB / "change.yml": {
            "environments": f"environment: {names}",
            "previews": previews(facts),
        },
        GITHUB / "drift.yml": {"environments": f"environment: {names}"},
    }


# --- GitLab CI ----------------------------------------------------------------------------


def _gitlab_branch(branches: tuple[str, ...]) -> str:
    if len(branches) == 1 and "*" not in branches[0]:
        return f'$CI_COMMIT_BRANCH == "{branches[0]}"'
    patterns = [
        re.escape(b[:-1]).replace("/", r"\/") + ".+" if b.endswith("/*") else re.escape(b).replace("/", r"\/")
        for b in branches
    ]
    return f"$CI_COMMIT_BRANCH =~ /^({'|'.join(patterns)})$/"


GITLAB_TIERS = {"dev": "development", "staging": "staging", "prod": "production"}


def gitlab_blocks(facts: Facts) -> dict[Path, dict[str, str]]:
    building = _gitlab_branch(facts.strategy().build)
    jobs: list[str] = []
    for d in deploys(facts):
        job = [f"deploy:{d.environment}:", "  stage: deploy", "  extends: .deploy"]
        if d.promote_from:
            job.append("  needs: []")
        elif d.after:
            job.append(
                "  # The image comes from build; the report of the environment before is not wanted here."
            )
            job.append(f'  needs: [build, {{job: "deploy:{d.after}", artifacts: false}}]')
        else:
            job.append("  needs: [build]")
        job += ["  rules:", f'    - if: {_gitlab_branch(d.branches)} && $SCHEDULE_TASK != "drift"']
        if d.approved:
            job[-1:-1] = [
                "    # The approval: someone allowed to deploy this environment starts this job.",
                "    # With GitLab Premium it is also a protected environment (make protect).",
            ]
            job += ["      when: manual", "      allow_failure: false"]
        if d.promote_from:
            job += [
                "  variables:",
                f"    PROMOTE_FROM: {d.promote_from}",
                f"    GIT_DEPTH: 0  # promotion compares this commit's files with {d.promote_from}'s",
            ]
        job += [
            "  environment:",
            f"    name: {d.environment}",
            "    url: $url",
            f"    deployment_tier: {GITLAB_TIERS[d.tier]}",
            f"  resource_group: {d.environment}  # one deploy at a time per environment",
        ]
        jobs.append("\n".join(job))
    last = releasing(facts)
    jobs.append(
        "\n".join(
            [
                "release:",
                "  stage: release",
                "  image: registry.gitlab.com/gitlab-org/release-cli:v0.18.0",
                f'  needs: ["deploy:{last.environment}"]',
                "  rules:",
                f'    - if: {_gitlab_branch(last.branches)} && $SCHEDULE_TASK != "drift"',
                "  script:",
                f'    - echo "Releasing $COMMIT ($IMAGE), now in {last.environment}"',
                "  release:",
                "    tag_name: release-$CI_PIPELINE_IID",
                "    ref: $CI_COMMIT_SHA",
                "    name: Release $CI_PIPELINE_IID",
                f'    description: "Deployed to {last.environment}: $IMAGE (built from $COMMIT). '
                'Pipeline: $CI_PIPELINE_URL"',
            ]
        )
    )
    return {
        GITLAB: {
            "route": route(facts),
            "branches": '- if: $CI_PIPELINE_SOURCE == "push" && ' + _gitlab_branch(delivery_branches(facts)),
            "build": "\n".join(
                [
                    f'- if: {building} && $SCHEDULE_TASK == "refresh"',
                    "  variables:",
                    '    REFRESH: "true"  # fresh base image layers, no cache',
                    f"- if: {building} && $CI_PIPELINE_SOURCE =~ /^(push|web)$/",
                ]
            ),
            "environments": f"- ENVIRONMENT: [{', '.join(facts.names)}]",
            "previews": previews(facts),
            "deploy": "\n\n".join(jobs),
        }
    }


# --- The reference page -------------------------------------------------------------------


def routes_table(facts: Facts) -> tuple[str, str, str]:
    """docs/reference/pipelines.md: each environment, where its deploys come from and how."""
    last = releasing(facts).environment
    rows = ["| Environment (tier) | Deployed from | What it deploys |", "|---|---|---|"]
    for d in deploys(facts):
        if d.promote_from:
            what = f"the image {d.promote_from} runs, by digest (no build)"
        elif d.after:
            what = f"the image the push built, once {d.after} has it"
        else:
            what = "the image the push built"
        if d.approved:
            what = f"after an approval, {what}"
        if d.environment == last:
            what += "; then a release"
        branches = ", ".join(f"`{b}`" for b in d.branches)
        rows.append(f"| {d.environment} ({d.tier}) | {branches} | {what} |")
    begin, end = "<!-- pipeline:begin routes -->", "<!-- pipeline:end routes -->"
    return begin, end, "\n".join([begin, *rows, end])


# --- Writing and checking -----------------------------------------------------------------


def render(text: str, blocks: dict[str, str], where: str) -> str:
    """`text` with each named block put between its marker comments (each on its own line,
    wherever the marker pair appears), indented like the begin marker."""
    for name, block in blocks.items():
        begin, end = f"# pipeline:begin {name}", f"# pipeline:end {name}"
        if begin not in text:
            raise FactsError(f"{where}: the marker '{begin}' is missing")
        done, rest = "", text
        while (start := rest.find(begin)) >= 0:
            indent = rest[rest.rfind("\n", 0, start) + 1 : start]
            header = rest[start : rest.find("\n", start)]
            lines = [f"{indent}{line}" if line else "" for line in block.splitlines()]
            filled = "\n".join([header, *lines, f"{indent}{end}"])
            rest = between(rest, begin, end, filled, where)
            cut = start + len(filled)
            done, rest = done + rest[:cut], rest[cut:]
        text = done + rest
    return text


def blocks_for(root: Path, facts: Facts) -> dict[Path, dict[str, str]]:
    """The blocks of whichever pipeline files the project has (GitHub, GitLab or both)."""
    wanted: dict[Path, dict[str, str]] = {}
    if (root / GITHUB).is_dir():
        wanted |= github_blocks(facts)
    if (root / GITLAB).is_file():
        wanted |= gitlab_blocks(facts)
    return wanted


def update(root: Path | None = None, *, check: bool = False, facts: Facts | None = None) -> int:
    root = root or project_root()
    facts = facts or load(root / "project.yaml")
    status = 0
    for relative, blocks in blocks_for(root, facts).items():
        path = root / relative
        new = render(path.read_text(encoding="utf-8"), blocks, str(relative))
        stale = f"{relative} does not follow project.yaml: run `make docs`"
        status |= sync(path, new, check=check, stale=stale)
    if (root / ROUTES_DOC).is_file():
        path = root / ROUTES_DOC
        begin, end, table = routes_table(facts)
        new = between(path.read_text(encoding="utf-8"), begin, end, table, str(ROUTES_DOC))
        stale = f"{ROUTES_DOC} does not follow project.yaml: run `make docs`"
        status |= sync(path, new, check=check, stale=stale)
    return status
