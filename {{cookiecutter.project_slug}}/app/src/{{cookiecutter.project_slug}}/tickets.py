"""The service desk: raise and list support tickets, as a web page and as a JSON API.

Both front ends share one set of functions (create_ticket, find_tickets, get_ticket,
close_ticket), so the page and the API can never disagree about the rules. Each function
holds a database connection only while it reads or writes (`sessions.begin()`): the
connection is back in the pool before the response is rendered.
"""

from datetime import UTC, datetime
from typing import Annotated, Protocol
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request, Response, status
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy import Select, or_, select, update
from sqlalchemy.orm import sessionmaker

from .db import get_sessions
from .features import Flags
from .models import ID_MAX, Priority, Status, Ticket
from .schemas import SearchText, TicketIn, TicketOut, TicketPage

Sessions = Annotated[sessionmaker, Depends(get_sessions)]
# Ids the database can hold: anything else is refused as input (422), never sent to it.
TicketId = Annotated[int, Path(ge=1, le=ID_MAX)]
Before = Annotated[int | None, Query(ge=1, le=ID_MAX, description="Tickets older than this id")]
Search = Annotated[SearchText | None, Query(description="Text in the title or description")]
# A bounded page: one request can never read the whole table, however large it grows.
PAGE_SIZE = 50
PAGE_SIZE_MAX = 100
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


def create_ticket(sessions: sessionmaker, request: Request, data: TicketIn) -> Ticket:
    with sessions.begin() as session:
        ticket = Ticket(title=data.title, description=data.description, priority=data.priority)
        session.add(ticket)
    settings = request.app.state.settings
    request.app.state.metrics.count(
        settings.business_metric,
        dimensions={"Service": settings.service_name, "Environment": settings.environment},
        properties={"Priority": ticket.priority, "TicketId": str(ticket.id)},
    )
    return ticket


def find_tickets(
    sessions: sessionmaker, flags: Flags, text: str | None, before: int | None, limit: int
) -> tuple[list[Ticket], int | None]:
    """One page, newest first, and the id to continue from (None on the last page).

    Keyset pagination: the next page starts below the last id seen, so a page costs the
    same however deep it is, and tickets raised meanwhile never shift what comes next.
    """
    statement = select(Ticket).order_by(Ticket.id.desc()).limit(limit + 1)
    if before is not None:
        statement = statement.where(Ticket.id < before)
    statement = ticket_query(flags).apply(statement, text)
    with sessions.begin() as session:
        tickets = list(session.scalars(statement))
    if len(tickets) > limit:
        return tickets[:limit], tickets[limit - 1].id
    return tickets, None


def get_ticket(sessions: sessionmaker, ticket_id: int) -> Ticket:
    with sessions.begin() as session:
        ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"Ticket {ticket_id} not found")
    return ticket


def close_ticket(sessions: sessionmaker, ticket_id: int) -> Ticket:
    """Close an open ticket. One UPDATE that only matches an open ticket: when two people
    close it at once, one closes it and the other gets that same result (idempotent)."""
    closing = (
        update(Ticket)
        .where(Ticket.id == ticket_id, Ticket.status == Status.OPEN)
        .values(status=Status.CLOSED, closed_at=datetime.now(UTC))
        .returning(Ticket)
    )
    with sessions.begin() as session:
        ticket = session.scalars(closing).one_or_none() or session.get(Ticket, ticket_id)
    if ticket is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"Ticket {ticket_id} not found")
    return ticket


def page_link(path: str, **params) -> str:
    query = urlencode({name: value for name, value in params.items() if value not in (None, "")})
    return f"{path}?{query}" if query else path


# --- JSON API -------------------------------------------------------------------------
api = APIRouter(prefix="/api/tickets", tags=["tickets"])


@api.get("", response_model=TicketPage)
def list_tickets_api(
    sessions: Sessions,
    request: Request,
    q: Search = None,
    before: Before = None,
    limit: Annotated[int, Query(ge=1, le=PAGE_SIZE_MAX)] = PAGE_SIZE,
):
    tickets, next_before = find_tickets(sessions, request.app.state.flags, q, before, limit)
    return TicketPage(
        items=[TicketOut.model_validate(ticket) for ticket in tickets],
        next=page_link(request.url.path, q=q, before=next_before, limit=limit)
        if next_before
        else None,
    )


@api.post("", response_model=TicketOut, status_code=status.HTTP_201_CREATED)
def create_ticket_api(data: TicketIn, sessions: Sessions, request: Request, response: Response):
    ticket = create_ticket(sessions, request, data)
    response.headers["Location"] = f"/api/tickets/{ticket.id}"
    return ticket


@api.get("/{ticket_id}", response_model=TicketOut)
def get_ticket_api(ticket_id: TicketId, sessions: Sessions):
    return get_ticket(sessions, ticket_id)


@api.post("/{ticket_id}/close", response_model=TicketOut)
def close_ticket_api(ticket_id: TicketId, sessions: Sessions):
    return close_ticket(sessions, ticket_id)


# --- Web page -------------------------------------------------------------------------
pages = APIRouter(include_in_schema=False)


def render_page(
    request: Request,
    sessions: sessionmaker,
    *,
    q: str | None = None,
    before: int | None = None,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    created: int | None = None,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    tickets, next_before = find_tickets(sessions, request.app.state.flags, q, before, PAGE_SIZE)
    return request.app.state.templates.TemplateResponse(
        request,
        "index.html",
        {
            "tickets": tickets,
            "q": q or "",
            "older": next_before and page_link("/", q=q, before=next_before),
            "newest": before and page_link("/", q=q),
            "form": form or {"title": "", "description": "", "priority": Priority.NORMAL},
            "errors": errors or {},
            "created": created,
            "priorities": list(Priority),
        },
        status_code=status_code,
        headers={"Content-Security-Policy": PAGE_CSP},
    )


@pages.get("/", response_class=HTMLResponse)
def home(
    request: Request,
    sessions: Sessions,
    q: Search = None,
    before: Before = None,
    created: Annotated[int | None, Query(ge=1, le=ID_MAX)] = None,
):
    return render_page(request, sessions, q=q, before=before, created=created)


@pages.post("/tickets", response_class=HTMLResponse)
def raise_ticket_form(
    request: Request,
    sessions: Sessions,
    title: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    priority: Annotated[str, Form()] = Priority.NORMAL,
):
    form = {"title": title, "description": description, "priority": priority}
    try:
        data = TicketIn(**form)
    except ValidationError as error:
        errors = {str(e["loc"][0]): FIELD_MESSAGES[str(e["loc"][0])] for e in error.errors()}
        return render_page(request, sessions, form=form, errors=errors, status_code=422)
    ticket = create_ticket(sessions, request, data)
    # Post/Redirect/Get: refreshing the page does not raise the ticket twice.
    return RedirectResponse(f"/?created={ticket.id}", status_code=status.HTTP_303_SEE_OTHER)


@pages.post("/tickets/{ticket_id}/close")
def close_ticket_form(ticket_id: TicketId, sessions: Sessions):
    close_ticket(sessions, ticket_id)
    return RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)


FIELD_MESSAGES = {
    "title": "Enter a title of 3 to 120 characters, in plain text",
    "description": "Description must be plain text of 2000 characters or fewer",
    "priority": "Choose low, normal or high",
}
