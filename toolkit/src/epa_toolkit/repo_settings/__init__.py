"""Repository settings as code: `make protect` applies, through the GitHub or GitLab API,
the settings the pipelines rely on, and says for each one whether it was unchanged,
changed (and what) or created. It changes only what differs, so running it again changes
nothing. It removes only what would widen access: other branches allowed to deploy an
environment, other roles allowed to push, merge or deploy.

Usage (GitHub: GITHUB_TOKEN; GitLab: GITLAB_TOKEN, and GITLAB_URL for self-managed):

    make protect DRY_RUN=1                    # show what would change, change nothing
    make protect                              # apply
    make protect REVIEWS=0                    # GitHub, working alone (see below)
    make protect REVIEWERS=alice,bob          # GitHub: who approves deployments to prod
    # after the bootstrap (infra/bootstrap/README.md), also the pipelines' CI variables:
    mkdir -p build && (cd infra/bootstrap && pulumi stack output --json) > build/bootstrap-outputs.json
    make protect BOOTSTRAP=build/bootstrap-outputs.json    # pulumi-cloud backend: add PULUMI_ORG=<org>

or directly: `uv run python -m epa_toolkit.repo_settings --help`.

What it sets, from the answers in project.py and the environments and branch rules of
project.yaml (desired.py computes it as plain data):

- GitHub: the strategy's default branch (trunk: main; gitflow: develop, created from main
  if missing); protection of the long-lived branches: pull request, approving reviews
  (REVIEWS, default 1), stale approvals dismissed, code owner review, required checks
  Checks, Security and Image up to date, linear history (trunk), no force push or
  deletion, for admins too; branches deleted after merge; the environments of
  project.yaml and drift, each deployable only from its branches; those of tier prod wait
  for a required reviewer (default: the repository owner). GitHub never counts the
  author's approval of their own pull request: an apprentice working alone needs
  REVIEWS=0 (pull requests and checks still required).
- GitLab: the default branch; protected branches (the deploy roles trust branch names):
  the long-lived ones take changes only through merge requests, every other branch that
  builds or deploys (gitflow: release/*, hotfix/*) is pushed to by maintainers only;
  merge only when the pipeline succeeds; source branch deleted after merge; the
  environments of project.yaml, those of tier prod protected with 1 required approval
  (Premium: on Free it is reported "not applied" and the environment's manual deploy job
  is the gate); pipeline schedules "weekly refresh" (Monday 05:00 UTC, on the default
  branch, where changes enter) and "nightly drift detection" (daily 04:00 UTC, on the
  branch the release environment deploys from: the code prod runs), with SCHEDULE_TASK
  telling the pipeline what to run.
- With BOOTSTRAP: the CI variables AWS_PUBLISH_ROLE_ARN, AWS_PREVIEW_ROLE_ARN,
  IMAGE_REPOSITORY, PULUMI_BACKEND_URL (s3 backend) or PULUMI_ORG (pulumi-cloud), and
  AWS_DEPLOY_ROLE_ARN per environment. Not secrets: only this repository's pipelines can
  assume the roles.

Exit codes: 0 all settings as wanted; 1 some "not applied" (a plan without the feature,
missing rights: each line says why; the rest was still applied); 2 could not start (no
token, unknown repository, unusable bootstrap outputs).
"""
