"""One conversation (R10): a job's or a request's messages, and a composer that works offline.

A message is composed into the outbox (``message.send`` with a client-made id), shown at
once and marked "Waiting to send" until the server has it. The customer's phone number
appears only when the customer chose to share it at checkout (``Job.customer_phone``).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from proapp.domain.commands import MessageSendArgs
from proapp.domain.enums import MessageAuthorRole
from proapp.domain.errors import DomainError
from proapp.domain.models import Message, new_id
from proapp.domain.rules import format_local
from proapp.state.messages import FALLBACK_TIME_ZONE, ReplyStatus, reply_status
from proapp.state.observable import Observable
from proapp.state.ports import Route, ScreenContext
from proapp.state.screen_support import DraftWriter, RepoWatcher
from proapp.sync.outbox import OutboxEntry

__all__ = ["MAX_BODY", "MessageRow", "ThreadState", "tel_url", "thread_draft_key"]

MAX_BODY = 4000
SEND_NAME = MessageSendArgs.command_name


def thread_draft_key(kind: str, thread_id: str) -> str:
    """Where an unsent message being typed is kept."""
    return f"thread:{kind}:{thread_id}"


def tel_url(phone: str) -> str:
    """A ``tel:`` link: digits and a leading plus only (spaces and dashes dropped)."""
    digits = "".join(ch for ch in phone if ch.isascii() and ch.isdigit())
    return f"tel:{'+' if phone.strip().startswith('+') else ''}{digits}"


@dataclass(frozen=True)
class MessageRow:
    """One message bubble."""

    message_id: str
    body: str
    mine: bool  # written by a pro of this business (shown on the right)
    author: str  # "You", "Your team", "Alice Adams", "Support"
    time_text: str
    status_text: str  # "", "Waiting to send", "Not sent: <reason>"
    failed: bool

    @property
    def label(self) -> str:
        """One sentence for screen readers."""
        extra = f" {self.status_text}." if self.status_text else ""
        return f"{self.author}, {self.time_text}: {self.body}.{extra}"


class ThreadState(Observable):
    """State of ``thread {job_id | request_id}``."""

    def __init__(self, ctx: ScreenContext, route: Route) -> None:
        super().__init__()
        self._ctx = ctx
        if "job_id" in route.params:
            self.kind, self.thread_id = "job", route.param("job_id")
        else:
            self.kind, self.thread_id = "request", route.param("request_id")
        self.loading = True
        self.title = "Messages"
        self.subtitle = ""
        self.customer_name = ""
        self.phone: str | None = None
        self.rows: tuple[MessageRow, ...] = ()
        self.reply: ReplyStatus | None = None
        self.text = ""
        self.error: str | None = None
        self.sending = False
        self._message_id = new_id()  # kept until the send is queued: a retry reuses it
        self._watcher = RepoWatcher(self._reload)
        self._time_zone = FALLBACK_TIME_ZONE
        self._drafts = DraftWriter(ctx.repo, thread_draft_key(self.kind, self.thread_id), "message")

    @property
    def phone_url(self) -> str | None:
        """``tel:`` link for the shared phone, or None."""
        return tel_url(self.phone) if self.phone else None

    @property
    def can_send(self) -> bool:
        """Something typed, and no send running."""
        return bool(self.text.strip()) and not self.sending

    @property
    def empty(self) -> bool:
        """Loaded and no message yet."""
        return not self.loading and not self.rows

    async def load(self) -> None:
        """Read the thread, its job or request, the draft and the outbox."""
        first = self._watcher.watch(self._ctx.repo)
        await self._read()
        if first:
            draft = await self._drafts.load()
            if draft is not None:
                self.text = str(draft.get("text", ""))
                self._message_id = str(draft.get("message_id") or self._message_id)
        self._notify()

    async def _reload(self) -> None:
        await self._read()
        self._notify()

    async def _read(self) -> None:
        repo = self._ctx.repo
        if self.kind == "job":
            record = await repo.job(self.thread_id)
            job = record.job if record else None
            self.title = job.title if job else "Job"
            self.customer_name = job.customer_name if job else ""
            self.phone = job.customer_phone if job and job.customer_phone else None
            self._time_zone = job.time_zone if job else FALLBACK_TIME_ZONE
            messages = await repo.messages(job_id=self.thread_id)
        else:
            request_record = await repo.request(self.thread_id)
            request = request_record.request if request_record else None
            self.title = request.title if request else "Request"
            self.customer_name = ""
            self.phone = None  # R10: phones come with a booked job, if shared
            self._time_zone = request.time_zone if request else FALLBACK_TIME_ZONE
            messages = await repo.messages(request_id=self.thread_id)
        self.subtitle = (
            f"Conversation with {self.customer_name}" if self.customer_name else "Customer"
        )
        queued = [e for e in await repo.queue() if e.name == SEND_NAME]
        self.rows = tuple(self._rows(messages, queued))
        self.reply = reply_status(messages, self._time_zone, self._ctx.clock())
        self.loading = False

    def _rows(self, messages: list[Message], queued: list[OutboxEntry]) -> list[MessageRow]:
        me = self._ctx.repo.user.id
        mine_in_queue = {
            str(e.args.get("message_id")): e
            for e in queued
            if e.args.get(f"{self.kind}_id") == self.thread_id
        }
        rows: list[tuple[datetime, str, MessageRow]] = []
        seen = set()
        for message in messages:
            seen.add(message.id)
            entry = mine_in_queue.get(message.id)
            rows.append(
                (
                    message.sent_at,
                    message.id,
                    self._row(message.id, message.body, entry, message, me),
                )
            )
        # A queued message the local overlay does not show (yet): never hide what was typed.
        for message_id, entry in mine_in_queue.items():
            if message_id not in seen:
                body = str(entry.args.get("body", ""))
                rows.append(
                    (entry.created_at, message_id, self._row(message_id, body, entry, None, me))
                )
        rows.sort(key=lambda item: (item[0], item[1]))
        return [row for _, _, row in rows]

    def _row(
        self,
        message_id: str,
        body: str,
        entry: OutboxEntry | None,
        message: Message | None,
        me: str,
    ) -> MessageRow:
        if message is None or message.author_role is MessageAuthorRole.PRO:
            mine = True
            author = "You" if message is None or message.author_id == me else "Your team"
        elif message.author_role is MessageAuthorRole.SUPPORT:
            mine, author = False, "Marketplace support"
        else:
            mine, author = False, self.customer_name or "Customer"
        sent_at = message.sent_at if message else (entry.created_at if entry else None)
        time_text = format_local(sent_at, self._time_zone) if sent_at else ""
        status, failed = "", False
        if entry is not None:
            if entry.needs_attention and entry.rejection is not None:
                status, failed = f"Not sent: {entry.rejection.message}", True
            else:
                status = "Waiting to send"
        return MessageRow(message_id, body, mine, author, time_text, status, failed)

    async def set_text(self, text: str) -> None:
        """The composer's text (kept as a draft)."""
        self.text = text
        self.error = None
        self._notify()
        await self._drafts.save({"text": text, "message_id": self._message_id})

    async def send(self) -> bool:
        """Queue the message (works offline); clear the composer on success."""
        if self.sending:
            return False
        body = self.text.strip()
        if not body:
            self.error = "Type a message first."
            self._notify()
            return False
        if len(body) > MAX_BODY:
            self.error = f"The message is too long; keep it under {MAX_BODY:,} characters."
            self._notify()
            return False
        self.sending = True
        self.error = None
        self._notify()
        try:
            queued = await self._queue(body)
        finally:
            self.sending = False
        if not queued:
            self._notify()
            return False
        self.text = ""
        self._message_id = new_id()
        with contextlib.suppress(Exception):  # queued; an old draft only refills the box
            await self._drafts.delete()
        await self._read()
        self._notify()
        return True

    async def _queue(self, body: str) -> bool:
        try:
            args = MessageSendArgs(
                message_id=self._message_id, body=body, **{f"{self.kind}_id": self.thread_id}
            )
            await self._ctx.repo.perform(args)
        except ValidationError as exc:
            first = exc.errors(include_url=False, include_input=False)[0]
            self.error = f"The message could not be queued ({first['msg']})."
            return False
        except DomainError as exc:
            self.error = exc.message
            return False
        return True

    def dispose(self) -> None:
        """Stop listening to the repository."""
        self._watcher.stop()
