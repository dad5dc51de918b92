"""Pro command endpoints, resource-style. Each one calls THE command handler through
`marketplace.commands.run_command` with the ``Idempotency-Key`` header:

* same key + same body -> the stored result again (header ``Idempotent-Replayed: true``);
* same key + different body -> 422 ``idempotency_mismatch``.

Request bodies are the command's args minus the ids already in the path. This module
builds the endpoints from one table (`ROUTES`) so every command is wired the same way.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, create_model

from marketplace.api.deps import get_actor, get_clock, get_session_factory, get_settings
from marketplace.api.schemas import PhotoOut
from marketplace.authz import Actor
from marketplace.commands import get_command, run_command
from marketplace.errors import ERROR_RESPONSES
from proapp.domain import (
    PRO_COMMANDS,
    ChangeOrder,
    DomainError,
    ErrorCode,
    Estimate,
    Job,
    LedgerEntry,
    Message,
    VisitProposal,
)

__all__ = ["ROUTES", "IdempotencyKey", "JobCompletionOut", "router"]

router = APIRouter(responses=ERROR_RESPONSES)

IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="A fresh UUID per logical action, reused on every retry of it.",
    ),
]


class JobCompletionOut(BaseModel):
    """Result of ``job.complete``: the completed job and the charge recorded (R9)."""

    job: Job
    charge: LedgerEntry | None = None


@dataclass(frozen=True)
class CommandRoute:
    """One REST endpoint of a command."""

    command: str
    path: str
    path_param: str | None
    response_model: type[BaseModel]
    summary: str
    tag: str
    has_body: bool = True


ROUTES: tuple[CommandRoute, ...] = (
    CommandRoute("estimate.submit", "/v1/requests/{request_id}/estimates", "request_id",
                 Estimate, "Send an estimate (R2, R3)", "estimates"),
    CommandRoute("estimate.withdraw", "/v1/estimates/{estimate_id}/withdraw", "estimate_id",
                 Estimate, "Withdraw an estimate", "estimates", has_body=False),
    CommandRoute("visit.propose", "/v1/requests/{request_id}/visits", "request_id",
                 VisitProposal, "Propose an on-site visit (R4)", "requests"),
    CommandRoute("window.confirm", "/v1/jobs/{job_id}/window/confirm", "job_id", Job,
                 "Confirm a preferred arrival window (R6)", "jobs"),
    CommandRoute("window.propose", "/v1/jobs/{job_id}/window/propose", "job_id", Job,
                 "Propose and confirm another window (R6)", "jobs"),
    CommandRoute("appointment.reschedule", "/v1/jobs/{job_id}/reschedule", "job_id", Job,
                 "Reschedule with a reason (R7)", "jobs"),
    CommandRoute("job.assign", "/v1/jobs/{job_id}/assign", "job_id", Job,
                 "Assign technicians (staff only)", "jobs"),
    CommandRoute("job.start", "/v1/jobs/{job_id}/start", "job_id", Job, "Start the job",
                 "jobs", has_body=False),
    CommandRoute("change_order.create", "/v1/jobs/{job_id}/change-orders", "job_id",
                 ChangeOrder, "Record a signed change order (R8)", "jobs"),
    CommandRoute("job.complete", "/v1/jobs/{job_id}/complete", "job_id", JobCompletionOut,
                 "Complete with the customer's signature; charges the card (R9)", "jobs"),
    CommandRoute("job.report_defective", "/v1/jobs/{job_id}/report-defective", "job_id", Job,
                 "Could not perform: product defective; no trip charge (R5)", "jobs"),
    CommandRoute("message.send", "/v1/messages", None, Message, "Send a message (R10)",
                 "messages"),
    CommandRoute("photo.attach", "/v1/photos", None, PhotoOut,
                 "Attach an uploaded photo", "photos"),
)


def _body_model(command: str, exclude: str | None) -> type[BaseModel]:
    """The args model of ``command`` without the path id, for the request body schema."""
    args_model = PRO_COMMANDS[command]
    fields: dict[str, Any] = {
        name: (info.annotation, info)
        for name, info in args_model.model_fields.items()
        if name != exclude
    }
    name = "".join(part.capitalize() for part in command.replace("_", ".").split(".")) + "Body"
    model: type[BaseModel] = create_model(
        name, __config__=ConfigDict(extra="forbid"), __doc__=args_model.__doc__, **fields
    )
    return model


def _endpoint(route: CommandRoute) -> Callable[..., Awaitable[JSONResponse]]:
    """Build the endpoint function of one command route."""

    async def run(request: Request, actor: Actor, key: str, raw: dict[str, Any]) -> JSONResponse:
        if route.path_param is not None:
            raw[route.path_param] = request.path_params[route.path_param]
        outcome = await run_in_threadpool(
            run_command,
            get_session_factory(request),
            actor,
            route.command,
            raw,
            key,
            settings=get_settings(request),
            clock=get_clock(request),
        )
        headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
        if not outcome.applied:
            retry = outcome.body.get("details", {}).get("retry_after_s")
            if isinstance(retry, int):
                headers["Retry-After"] = str(retry)
        return JSONResponse(outcome.body, status_code=outcome.status_code, headers=headers)

    async def endpoint(request: Request, **kwargs: Any) -> JSONResponse:
        raw = await _raw_json(request) if route.has_body else {}
        return await run(request, kwargs["actor"], kwargs["idempotency_key"], raw)

    # FastAPI reads parameters from the signature; build it per route so the OpenAPI
    # document names the path parameter and the body schema of each command.
    parameters = [
        inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                          annotation=Request),
        inspect.Parameter("actor", inspect.Parameter.KEYWORD_ONLY,
                          annotation=Annotated[Actor, Depends(get_actor)]),
        inspect.Parameter("idempotency_key", inspect.Parameter.KEYWORD_ONLY,
                          annotation=IdempotencyKey),
    ]
    if route.path_param is not None:
        parameters.append(
            inspect.Parameter(
                route.path_param, inspect.Parameter.KEYWORD_ONLY,
                annotation=Annotated[str, Path(max_length=64, description="A UUID")],
            )
        )
    if route.has_body:
        # The body is validated against this schema; the command then validates the raw
        # JSON again with the domain model (one source of truth for the rules).
        parameters.append(
            inspect.Parameter("body", inspect.Parameter.KEYWORD_ONLY,
                              annotation=Annotated[_body_model(route.command, route.path_param),
                                                   Body()])
        )
    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        parameters, return_annotation=JSONResponse
    )
    return endpoint


async def _raw_json(request: Request) -> dict[str, Any]:
    # The fingerprint is computed from the args as sent, so use the raw JSON rather
    # than a re-serialisation of the validated body (which would add defaults).
    try:
        data = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError) as exc:  # pragma: no cover - FastAPI checked it
        raise DomainError(ErrorCode.INVALID, "The body is not JSON.") from exc
    if not isinstance(data, dict):  # pragma: no cover - FastAPI checked it
        raise DomainError(ErrorCode.INVALID, "The body must be a JSON object.")
    return data


def _register() -> None:
    for route in ROUTES:
        spec = get_command(route.command)
        if spec is None:  # pragma: no cover - a ROUTES typo fails at import
            raise RuntimeError(f"no handler for {route.command}")
        router.add_api_route(
            route.path,
            _endpoint(route),
            methods=["POST"],
            status_code=spec.success_status,
            response_model=route.response_model,
            summary=route.summary,
            description=(
                f"Runs command `{route.command}`. "
                + (PRO_COMMANDS[route.command].__doc__ or "").strip()
            ),
            tags=[route.tag],
            operation_id=route.command.replace(".", "_"),
        )


_register()
