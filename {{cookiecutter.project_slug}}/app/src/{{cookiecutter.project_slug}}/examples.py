"""AN EXAMPLE TO REPLACE: one route that shows the pattern, and the start page.

`POST /api/examples` checks its input with a schema (a 422 names the field otherwise) and
counts the service's business metric, the number its owners care about (project.yaml,
business_metric: rename it there to what your service counts). It stores nothing: give your
service its model in models.py, run `make migration MSG="..."`, and write through
`sessions.begin()` as db.py shows. Then delete this file and tests/test_examples.py.
"""

from typing import Annotated

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, StringConstraints

from .limits import NAME_MAX

# The page loads nothing but its own stylesheet, so the browser may load nothing else.
PAGE_CSP = "default-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

# No control characters: PostgreSQL refuses NUL in text, and the others have no place in a name.
Name = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=3, max_length=NAME_MAX, pattern=r"^[^\x00-\x1f\x7f]+$"
    ),
]


class ExampleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a mistake: say so

    name: Name


class ExampleOut(BaseModel):
    name: str


api = APIRouter(prefix="/api/examples", tags=["examples"])


@api.post("", response_model=ExampleOut, status_code=status.HTTP_201_CREATED)
def create_example(data: ExampleIn, request: Request) -> ExampleOut:
    settings = request.app.state.settings
    request.app.state.metrics.count(
        settings.business_metric,
        dimensions={"Service": settings.service_name, "Environment": settings.environment},
        properties={},
    )
    return ExampleOut(name=data.name)


pages = APIRouter(include_in_schema=False)


@pages.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    return request.app.state.templates.TemplateResponse(
        request, "start.html", headers={"Content-Security-Policy": PAGE_CSP}
    )
