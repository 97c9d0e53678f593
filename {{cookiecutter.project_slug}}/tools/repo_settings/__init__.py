"""Repository settings as code: `make protect` applies, through the GitHub or GitLab API,
the settings the pipelines rely on, and says for each one whether it was unchanged,
changed (and what) or created. It changes only what differs, so running it again changes
nothing. It removes only what would widen access: other branches allowed to deploy an
environment, other roles allowed to push, merge or deploy.

Usage (GitHub: GITHUB_TOKEN; GitLab: GITLAB_TOKEN, and GITLAB_URL for self-managed):

    make protect DRY_RUN=1                    # show what would change, change nothing
    make protect                              # apply
    make protect REVIEWS=0                    # GitHub, working alone (see below)
    make protect REVIEWERS=alice,bob          # GitHub: who approves prod deployments
    # after the bootstrap (infra/bootstrap/README.md), also the pipelines' CI variables:
    mkdir -p build && (cd infra/bootstrap && pulumi stack output --json) > build/bootstrap-outputs.json
    make protect BOOTSTRAP=build/bootstrap-outputs.json    # pulumi-cloud backend: add PULUMI_ORG=<org>

or directly: `uv run python -m tools.repo_settings --help`.

What it sets, from the answers in project.py (desired.py computes it as plain data):

- GitHub: default branch (trunk: main; gitflow: develop, created from main if missing);
  protection of main (gitflow: and develop): pull request, approving reviews (REVIEWS,
  default 1), stale approvals dismissed, code owner review, required checks Checks,
  Security and Image up to date, linear history (trunk), no force push or deletion, for
  admins too; branches deleted after merge; environments dev, staging, prod and drift,
  each deployable only from its branches; prod waits for a required reviewer (default: the
  repository owner). GitHub never counts the author's approval of their own pull request:
  an apprentice working alone needs REVIEWS=0 (pull requests and checks still required).
- GitLab: default branch; protected main (gitflow: develop, release/*, hotfix/*: the deploy
  roles trust branch names); merge only when the pipeline succeeds; source branch deleted
  after merge; environments dev, staging, prod; prod protected with 1 required approval
  (Premium: on Free it is reported "not applied" and the manual deploy:prod job is the
  gate); pipeline schedules "weekly refresh" (Monday 05:00 UTC; trunk: main, gitflow:
  develop, where changes enter) and "nightly drift detection" (daily 04:00 UTC, on main),
  with SCHEDULE_TASK telling the pipeline what to run.
- With BOOTSTRAP: the CI variables AWS_PUBLISH_ROLE_ARN, AWS_PREVIEW_ROLE_ARN,
  IMAGE_REPOSITORY, PULUMI_BACKEND_URL (s3 backend) or PULUMI_ORG (pulumi-cloud), and
  AWS_DEPLOY_ROLE_ARN per environment. Not secrets: only this repository's pipelines can
  assume the roles.

Exit codes: 0 all settings as wanted; 1 some "not applied" (a plan without the feature,
missing rights: each line says why; the rest was still applied); 2 could not start (no
token, unknown repository, unusable bootstrap outputs).
"""
