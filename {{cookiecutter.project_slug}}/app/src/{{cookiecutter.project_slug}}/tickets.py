"""The service desk: raise and list support tickets, as a web page and as a JSON API.

Both front ends share one set of functions (create_ticket, find_tickets, close_ticket),
so the page and the API can never disagree about the rules.
"""

from datetime import UTC, datetime
from typing import Annotated, Protocol

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response, status
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from .db import get_session
from .features import Flags
from .models import Priority, Status, Ticket
from .schemas import TicketIn, TicketOut

SessionDep = Annotated[Session, Depends(get_session)]
# The page loads nothing but its own stylesheet, so the browser may load nothing else:
# injected markup cannot pull in scripts or send the form anywhere else.
PAGE_CSP = "default-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"


class TicketQuery(Protocol):
    """How the list of tickets is filtered: the abstraction behind the search flag."""

    def apply(self, statement: Select, text: str | None) -> Select: ...


class AllTickets:
    """Released behaviour: every ticket; a search text is ignored."""

    def apply(self, statement: Select, text: str | None) -> Select:
        return statement


class SearchTickets:
    """New behaviour behind the `ticket_search` flag: match title or description."""

    def apply(self, statement: Select, text: str | None) -> Select:
        text = (text or "").strip()
        if not text:
            return statement
        # autoescape: a "%" or "_" typed by the user is a literal character, not a wildcard.
        return statement.where(
            or_(
                Ticket.title.icontains(text, autoescape=True),
                Ticket.description.icontains(text, autoescape=True),
            )
        )


def ticket_query(flags: Flags) -> TicketQuery:
    return SearchTickets() if flags.ticket_search else AllTickets()


def create_ticket(session: Session, request: Request, data: TicketIn) -> Ticket:
    ticket = Ticket(title=data.title, description=data.description, priority=data.priority)
    session.add(ticket)
    session.commit()
    settings = request.app.state.settings
    request.app.state.metrics.count(
        "TicketsRaised",
        dimensions={"Service": settings.service_name, "Environment": settings.environment},
        properties={"Priority": ticket.priority, "TicketId": str(ticket.id)},
    )
    return ticket


def find_tickets(session: Session, request: Request, text: str | None) -> list[Ticket]:
    statement = select(Ticket).order_by(Ticket.created_at.desc(), Ticket.id.desc())
    statement = ticket_query(request.app.state.flags).apply(statement, text)
    return list(session.scalars(statement))


def close_ticket(session: Session, ticket_id: int) -> Ticket:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"Ticket {ticket_id} not found")
    if ticket.status != Status.CLOSED:  # closing twice is harmless (idempotent)
        ticket.status = Status.CLOSED
        ticket.closed_at = datetime.now(UTC)
        session.commit()
    return ticket


# --- JSON API -------------------------------------------------------------------------
api = APIRouter(prefix="/api/tickets", tags=["tickets"])


@api.get("", response_model=list[TicketOut])
def list_tickets_api(session: SessionDep, request: Request, q: str | None = None):
    return find_tickets(session, request, q)


@api.post("", response_model=TicketOut, status_code=status.HTTP_201_CREATED)
def create_ticket_api(data: TicketIn, session: SessionDep, request: Request, response: Response):
    ticket = create_ticket(session, request, data)
    response.headers["Location"] = f"/api/tickets/{ticket.id}"
    return ticket


@api.get("/{ticket_id}", response_model=TicketOut)
def get_ticket_api(ticket_id: int, session: SessionDep):
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"Ticket {ticket_id} not found")
    return ticket


@api.post("/{ticket_id}/close", response_model=TicketOut)
def close_ticket_api(ticket_id: int, session: SessionDep):
    return close_ticket(session, ticket_id)


# --- Web page -------------------------------------------------------------------------
pages = APIRouter(include_in_schema=False)


def render_page(
    request: Request,
    session: Session,
    *,
    q: str | None = None,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    created: int | None = None,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    return request.app.state.templates.TemplateResponse(
        request,
        "index.html",
        {
            "tickets": find_tickets(session, request, q),
            "q": q or "",
            "form": form or {"title": "", "description": "", "priority": Priority.NORMAL},
            "errors": errors or {},
            "created": created,
            "priorities": list(Priority),
        },
        status_code=status_code,
        headers={"Content-Security-Policy": PAGE_CSP},
    )


@pages.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, q: str | None = None, created: int | None = None):
    return render_page(request, session, q=q, created=created)


@pages.post("/tickets", response_class=HTMLResponse)
def raise_ticket_form(
    request: Request,
    session: SessionDep,
    title: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    priority: Annotated[str, Form()] = Priority.NORMAL,
):
    form = {"title": title, "description": description, "priority": priority}
    try:
        data = TicketIn(**form)
    except ValidationError as error:
        errors = {str(e["loc"][0]): FIELD_MESSAGES[str(e["loc"][0])] for e in error.errors()}
        return render_page(request, session, form=form, errors=errors, status_code=422)
    ticket = create_ticket(session, request, data)
    # Post/Redirect/Get: refreshing the page does not raise the ticket twice.
    return RedirectResponse(f"/?created={ticket.id}", status_code=status.HTTP_303_SEE_OTHER)


@pages.post("/tickets/{ticket_id}/close")
def close_ticket_form(ticket_id: int, session: SessionDep):
    close_ticket(session, ticket_id)
    return RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)


FIELD_MESSAGES = {
    "title": "Enter a title between 3 and 120 characters",
    "description": "Description must be 2000 characters or fewer",
    "priority": "Choose low, normal or high",
}
