"""Steps of the delivery pipeline, the same on GitHub Actions and GitLab CI.

ci/deploy.sh calls them; each also runs on a laptop (`python -m epa_toolkit.delivery.<name> --help`):

- preview_summary: one Markdown summary of `pulumi preview --json` for every environment
- migrate: database migrations as a one-off ECS task, before the new version takes traffic
- smoke: after `pulumi up`, wait until the new commit is served and healthy
"""
