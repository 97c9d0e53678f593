"""The answers this project was generated with (rendered by cookiecutter).

The repository settings follow from them: where the repository lives, its branching
strategy and where Pulumi keeps its state. Change them here if the repository moves, and
in infra/bootstrap too: the deploy roles trust exactly this repository.
"""

from tools.repo_settings.desired import Answers

ANSWERS = Answers(
    provider="{{ cookiecutter.ci_provider }}",
    repository="{{ cookiecutter.repository }}",
    strategy="{{ cookiecutter.branching_strategy }}",
    backend="{{ cookiecutter.pulumi_backend }}",
)
