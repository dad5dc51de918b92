"""``python -m marketplace customer ...``: play the customer against a running server.

Every subcommand signs in (``POST /v1/auth/login``), makes one or two HTTP calls to the
``/v1/customer/...`` API and prints the JSON answer on stdout. Failures print the
server's error body (``{"code", "message", "details"}``) on stderr and exit with 1, so
scripts and tests can key off the stable ``code``.

Examples::

    python -m marketplace customer --server http://127.0.0.1:8000 \\
        --email alice@customer.example --password demo-customer-pass services
    ... buy --service-id SID --share-phone
    ... request create --business-id BID --title "Mount TV" --photo wall.jpg
    ... windows choose JOB --window 2026-12-01T09:00-08:00/2026-12-01T12:00-08:00 (x3)
    ... visit accept VISIT_ID
    ... estimate accept ESTIMATE_ID
    ... reschedule JOB --window ... (x3)
    ... cancel JOB --reason "Moving"
    ... message --job JOB --body "Gate code is 1234"
    ... review JOB --rating 5 --comment "Great work"
    ... list
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import httpx

__all__ = ["CliError", "main"]

DEFAULT_SERVER: Final[str] = "http://127.0.0.1:8000"
_TIMEOUT_S: Final[float] = 30.0
_PHOTO_TYPES: Final[dict[str, str]] = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
}

Json = Any


class CliError(Exception):
    """A failed call, carrying the server's error body (or a local one of the same shape)."""

    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__(str(body.get("message", "")))
        self.body = body


# --------------------------------------------------------------------------- HTTP session


class _Session:
    """A signed-in customer: one httpx client with the bearer token set."""

    def __init__(self, client: httpx.Client, idempotency_key: str | None) -> None:
        self._client = client
        # One key per CLI invocation; a script that retries passes --idempotency-key
        # so the server replays the stored result instead of acting twice.
        self._idempotency_key = idempotency_key or str(uuid.uuid4())
        self._posts = 0

    def login(self, email: str, password: str) -> None:
        body = self._check(
            self._client.post("/v1/auth/login", json={"email": email, "password": password})
        )
        self._client.headers["Authorization"] = f"Bearer {body['access_token']}"

    def get(self, path: str, params: dict[str, str] | None = None) -> Json:
        return self._check(self._client.get(path, params=params))

    def post(self, path: str, payload: dict[str, Any]) -> Json:
        # Most subcommands make one POST; if one ever makes several, each gets its own
        # key derived from the invocation key so a retried script still replays them all.
        key = self._idempotency_key if self._posts == 0 else str(
            uuid.uuid5(uuid.UUID(self._idempotency_key), str(self._posts))
        )
        self._posts += 1
        return self._check(self._client.post(path, json=payload, headers={"Idempotency-Key": key}))

    def get_all(self, path: str) -> list[Json]:
        """Follow ``next_page_token`` until the list ends."""
        items: list[Json] = []
        token: str | None = None
        while True:
            params = {"limit": "100"}
            if token:
                params["page_token"] = token
            page = self.get(path, params)
            items.extend(page["items"])
            token = page.get("next_page_token")
            if not token:
                return items

    def upload_blob(self, path: Path) -> str:
        """PUT a photo to the content-addressed blob store; return its SHA-256."""
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        content_type = _PHOTO_TYPES.get(path.suffix.lower(), "application/octet-stream")
        response = self._client.put(
            f"/v1/blobs/{digest}", content=data, headers={"Content-Type": content_type}
        )
        self._check(response, allow_empty=True)
        return digest

    @staticmethod
    def _check(response: httpx.Response, allow_empty: bool = False) -> Json:
        if response.is_success:
            if not response.content:
                return {} if allow_empty or response.status_code == 204 else None
            return response.json()
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or "code" not in body:
            body = {
                "code": "http_error",
                "message": f"The server answered {response.status_code}: {response.text[:200]}",
                "details": {"status": response.status_code},
            }
        body.setdefault("details", {})
        body["details"].setdefault("status", response.status_code)
        raise CliError(body)


# --------------------------------------------------------------------------- argument types


def _window(text: str) -> dict[str, str]:
    """``START/END`` in ISO 8601 with an offset, e.g. ``2026-12-01T09:00-08:00/...``."""
    start_text, sep, end_text = text.partition("/")
    if not sep:
        raise argparse.ArgumentTypeError(f"'{text}' is not START/END")
    try:
        start = datetime.fromisoformat(start_text)
        end = datetime.fromisoformat(end_text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"'{text}': {exc}") from exc
    if start.tzinfo is None or end.tzinfo is None:
        raise argparse.ArgumentTypeError(
            f"'{text}': give a UTC offset (e.g. -08:00 or Z); windows are absolute times"
        )
    return {"start": start.isoformat(), "end": end.isoformat()}


def _rating(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError("rating must be a whole number from 1 to 5") from exc
    return value


def _address(args: argparse.Namespace) -> dict[str, str] | None:
    if not args.line1:
        return None
    return {
        "line1": args.line1,
        "line2": args.line2 or "",
        "city": args.city or "",
        "state": args.state or "",
        "postal_code": args.postal_code or "",
    }


def _add_address_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("service address (default: your address on file)")
    group.add_argument("--line1")
    group.add_argument("--line2")
    group.add_argument("--city")
    group.add_argument("--state", help="two-letter state code, e.g. WA")
    group.add_argument("--postal-code")
    group.add_argument("--time-zone", help="IANA zone; default: the business's time zone")


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


# --------------------------------------------------------------------------- actions

Action = Callable[[_Session, argparse.Namespace], Json]


def _services(session: _Session, _args: argparse.Namespace) -> Json:
    return session.get_all("/v1/customer/services")


def _businesses(session: _Session, _args: argparse.Namespace) -> Json:
    return session.get_all("/v1/customer/businesses")


def _buy(session: _Session, args: argparse.Namespace) -> Json:
    payload = _drop_none({
        "share_phone": args.share_phone,
        "location_type": args.location_type,
        "address": _address(args),
        "time_zone": args.time_zone,
        "notes": args.notes,
    })
    return session.post(f"/v1/customer/services/{args.service_id}/buy", payload)


def _request_create(session: _Session, args: argparse.Namespace) -> Json:
    hashes = [session.upload_blob(Path(photo)) for photo in args.photo or []]
    payload = _drop_none({
        "business_id": args.business_id,
        "title": args.title,
        "description": args.description,
        "dimensions": args.dimensions,
        "product_info": args.product_info,
        "location_type": args.location_type,
        "address": _address(args),
        "time_zone": args.time_zone,
        "site_photo_hashes": hashes,
        "share_phone": args.share_phone,
    })
    return session.post("/v1/customer/requests", payload)


def _show(kind: str) -> Action:
    def action(session: _Session, args: argparse.Namespace) -> Json:
        return session.get(f"/v1/customer/{kind}/{args.id}")

    return action


def _list(session: _Session, args: argparse.Namespace) -> Json:
    kinds = [args.kind] if args.kind else ["requests", "jobs", "estimates", "visits"]
    return {kind: session.get_all(f"/v1/customer/{kind}") for kind in kinds}


def _windows_choose(session: _Session, args: argparse.Namespace) -> Json:
    return session.post(f"/v1/customer/jobs/{args.job_id}/windows", {"windows": args.window})


def _visit(decision: str) -> Action:
    def action(session: _Session, args: argparse.Namespace) -> Json:
        return session.post(f"/v1/customer/visits/{args.id}/{decision}", {})

    return action


def _estimate_accept(session: _Session, args: argparse.Namespace) -> Json:
    payload = _drop_none({"share_phone": args.share_phone})
    return session.post(f"/v1/customer/estimates/{args.id}/accept", payload)


def _estimate_decline(session: _Session, args: argparse.Namespace) -> Json:
    return session.post(f"/v1/customer/estimates/{args.id}/decline", {})


def _reschedule(session: _Session, args: argparse.Namespace) -> Json:
    payload = _drop_none({"windows": args.window, "reason": args.reason})
    return session.post(f"/v1/customer/jobs/{args.job_id}/reschedule", payload)


def _cancel(session: _Session, args: argparse.Namespace) -> Json:
    payload = _drop_none({"reason": args.reason})
    return session.post(f"/v1/customer/jobs/{args.job_id}/cancel", payload)


def _message(session: _Session, args: argparse.Namespace) -> Json:
    if args.body is None:
        # A message always goes somewhere: without --body, list the thread instead.
        params = {"job_id": args.job} if args.job else {"request_id": args.request}
        return session.get("/v1/customer/messages", params)
    payload = _drop_none({"job_id": args.job, "request_id": args.request, "body": args.body})
    return session.post("/v1/customer/messages", payload)


def _review(session: _Session, args: argparse.Namespace) -> Json:
    payload = {"rating": args.rating, "comment": args.comment or ""}
    return session.post(f"/v1/customer/jobs/{args.job_id}/review", payload)


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    """The ``customer`` command line (exposed for ``--help`` tests and docs)."""
    parser = argparse.ArgumentParser(
        prog="python -m marketplace customer",
        description="Act as a marketplace customer against a running server (prints JSON).",
    )
    parser.add_argument(
        "--server",
        default=os.environ.get("MARKETPLACE_URL", DEFAULT_SERVER),
        help=f"server base URL (env MARKETPLACE_URL, default {DEFAULT_SERVER})",
    )
    parser.add_argument("--email", default=os.environ.get("MARKETPLACE_EMAIL"), required=False)
    parser.add_argument("--password", default=os.environ.get("MARKETPLACE_PASSWORD"))
    parser.add_argument("--idempotency-key", help="reuse to retry a command safely")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, action: Action, help_text: str, **kw: Any) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text, **kw)
        p.set_defaults(action=action)
        return p

    command("services", _services, "list packaged services you can buy (R1)")
    command("businesses", _businesses, "list businesses you can send a custom request to")

    p = command("buy", _buy, "buy a packaged service (then choose 3 windows, R6)")
    p.add_argument("--service-id", required=True)
    p.add_argument("--share-phone", action="store_true", help="let the pro see your phone (R10)")
    p.add_argument("--location-type", choices=["IN_HOME", "IN_STORE", "ONLINE"])
    p.add_argument("--notes")
    _add_address_options(p)

    p = command("request", _list, "custom requests: create, list, show")
    request_sub = p.add_subparsers(dest="request_command", required=True, metavar="ACTION")
    rc = request_sub.add_parser("create", help="send a custom request to a business (R1, R2)")
    rc.set_defaults(action=_request_create)
    rc.add_argument("--business-id", required=True)
    rc.add_argument("--title", required=True)
    rc.add_argument("--description")
    rc.add_argument("--dimensions")
    rc.add_argument("--product-info")
    rc.add_argument("--location-type", choices=["IN_HOME", "IN_STORE", "ONLINE"])
    rc.add_argument("--photo", action="append", help="site photo file (repeat for more)")
    rc.add_argument("--share-phone", action="store_true")
    _add_address_options(rc)
    rl = request_sub.add_parser("list", help="your requests")
    rl.set_defaults(action=_list, kind="requests")
    rs = request_sub.add_parser("show", help="one request")
    rs.set_defaults(action=_show("requests"))
    rs.add_argument("id")

    p = command("list", _list, "list your requests, jobs, estimates and visits")
    p.add_argument("kind", nargs="?", choices=["requests", "jobs", "estimates", "visits"])

    p = command("show", _list, "show one request, job, estimate or visit")
    p.add_argument("kind", choices=["request", "job", "estimate", "visit"])
    p.add_argument("id")
    p.set_defaults(action=lambda s, a: _show(a.kind + "s")(s, a))

    p = command("windows", _windows_choose, "arrival windows for a job")
    windows_sub = p.add_subparsers(dest="windows_command", required=True, metavar="ACTION")
    wc = windows_sub.add_parser("choose", help="pick exactly 3 preferred arrival windows (R6)")
    wc.set_defaults(action=_windows_choose)
    wc.add_argument("job_id")
    wc.add_argument("--window", type=_window, action="append", required=True,
                    help="START/END with UTC offsets; give it 3 times")

    for noun, accept, decline in (
        ("visit", _visit("accept"), _visit("decline")),
        ("estimate", _estimate_accept, _estimate_decline),
    ):
        p = command(noun, accept, f"accept or decline a {noun}")
        noun_sub = p.add_subparsers(dest=f"{noun}_command", required=True, metavar="ACTION")
        for verb, action in (("accept", accept), ("decline", decline)):
            vp = noun_sub.add_parser(verb, help=f"{verb} the {noun}")
            vp.set_defaults(action=action)
            vp.add_argument("id")
            if noun == "estimate" and verb == "accept":
                vp.add_argument("--share-phone", action="store_true", default=None)

    p = command("reschedule", _reschedule, "give 3 new windows, up to 24 h before (R7)")
    p.add_argument("job_id")
    p.add_argument("--window", type=_window, action="append", required=True)
    p.add_argument("--reason")

    p = command("cancel", _cancel, "cancel a job, up to 24 h before its window (R7)")
    p.add_argument("job_id")
    p.add_argument("--reason")

    p = command("message", _message, "message the pro about a job or request (R10)")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--job")
    target.add_argument("--request")
    p.add_argument("--body", help="the message; without it, show the thread")

    p = command("review", _review, "rate a completed job within 90 days of the order (R11)")
    p.add_argument("job_id")
    p.add_argument("--rating", type=_rating, required=True)
    p.add_argument("--comment")
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    transport: httpx.BaseTransport | None = None,
) -> int:
    """Run the customer CLI; return the process exit code (0 ok, 1 refused, 2 usage).

    ``transport`` lets tests swap the network for ``httpx.MockTransport``.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:  # argparse exits on --help and on usage errors
        return int(exc.code or 0)
    if not args.email or not args.password:
        parser.print_usage(sys.stderr)
        sys.stderr.write("error: --email and --password are required (or env "
                         "MARKETPLACE_EMAIL / MARKETPLACE_PASSWORD)\n")
        return 2
    action: Action = args.action
    try:
        with httpx.Client(
            base_url=args.server.rstrip("/"), timeout=_TIMEOUT_S, transport=transport
        ) as client:
            session = _Session(client, args.idempotency_key)
            session.login(args.email, args.password)
            result = action(session, args)
    except CliError as exc:
        sys.stderr.write(json.dumps(exc.body, indent=2) + "\n")
        return 1
    except httpx.HTTPError as exc:
        body = {
            "code": "unreachable",
            "message": f"Could not reach {args.server}: {exc}. Is the server running?",
            "details": {},
        }
        sys.stderr.write(json.dumps(body, indent=2) + "\n")
        return 1
    except OSError as exc:  # e.g. a --photo path that does not exist
        body = {"code": "invalid", "message": str(exc), "details": {}}
        sys.stderr.write(json.dumps(body, indent=2) + "\n")
        return 1
    sys.stdout.write(json.dumps(result, indent=2, sort_keys=True) + "\n")
    return 0
