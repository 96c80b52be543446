"""`DialogService`: the Dialog protocol over the pure engine, the effect runner and the store.

One turn: load the conversation by its ConversationKey, `step` the user's event, run the effects (feeding
lookup and write results back into `step`), save, and return the replies. The confirm that leads to a
ServiceTitan write first moves the stored conversation from confirming to applying with a
compare-and-set, so a second click, a retried delivery or the same click in another process performs the
write exactly once; the losers answer "already done". A write that fails puts the conversation back on its
card (same token), so the card's confirm can try again, still exactly once; when its outcome is unknown,
that next confirm reads ServiceTitan first and writes only if the change is not there (`Runner.check`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, TypeAdapter

from bot.alerts.subscriptions import record_write_actor
from bot.dialog import claims, failures, timefmt
from bot.dialog.auditing import FOUND_ON_REREAD, Audit, audit_of
from bot.dialog.engine import InternalEvent, shown_again, step
from bot.dialog.messages import (
    Asker,
    Button,
    ConversationKey,
    Event,
    PickedDate,
    Pressed,
    Reply,
    Said,
    without_mention_markers,
)
from bot.dialog.notices import LateNotices, Outgoing, Send, may_be_late
from bot.dialog.reads.registry import read_lookup
from bot.dialog.recall import Recall
from bot.dialog.refdata import ReferenceData
from bot.dialog.runner import Runner
from bot.dialog.state import (
    Ask,
    Called,
    CallServiceTitan,
    ClaimLost,
    Conversation,
    Effect,
    Load,
    Loaded,
    Plan,
    Say,
    ShowConfirmation,
)
from bot.servicetitan import ServiceTitanClient
from bot.servicetitan.errors import ServiceTitanError
from bot.store import Store, StoreError, Write
from bot.store.audit import AuditLog, MemoryAuditLog
from intents.api import parse

log = logging.getLogger("bot.dialog")

NAMESPACE = "dialog"
MENTION = re.compile(r"<@(?P<user>[UW][A-Z0-9]+)(?:\|(?P<label>[^>]+))?>")
# Mentions a message may have looked up (users.info) for their names; the rest stay as written.
MAX_MENTION_LOOKUPS = 3
# Slots whose value may be a Slack mention to put a name to.
PERSON_SLOTS = ("technician", "from_technician")
# The longest message a turn reads. Its words may become a note, a memo, a summary or instructions in
# ServiceTitan, whose documents give those fields no limit; a card field shows at most 2,000 characters
# (Slack), so the text written is never more than the card showed in full. The card says when it was cut.
MAX_USER_TEXT = 2000
# Deadlines of a user's request (seconds). A read that ServiceTitan has not answered by READ_DEADLINE ends
# in a failure with a Try again button and the conversation as it was. A write that has not finished by
# WRITE_DEADLINE is abandoned and ServiceTitan re-read (never written again) to tell the user whether it
# went through. A claim ("applying") older than the write deadline, the re-read after it (READ_DEADLINE)
# and CLAIM_MARGIN belongs to a turn that died (a process stopped, Redis went away) or hangs: nothing sends its write any more, so the next event
# re-reads ServiceTitan and settles it; the old turn's save is then refused (bot/dialog/claims.py). The
# margin covers an abandoned request still on its way out and clocks of processes that disagree a little.
READ_DEADLINE = 10.0
WRITE_DEADLINE = 20.0
CLAIM_MARGIN = 5.0
MAX_RETRY_VALUE = 1900  # a Try again button's value (Slack allows 2,000 with the reply token)
MAX_TRANSITIONS = 60  # lookups per turn are few; this only stops a runaway loop
MAX_ATTEMPTS = 4  # a turn whose save lost a race is replayed on the fresh state


def now_utc() -> datetime:
    return datetime.now(UTC)


class DialogService:
    """Implements `bot.dialog.messages.Dialog`."""

    def __init__(
        self,
        *,
        client: ServiceTitanClient,
        store: Store,
        tz: str,
        clock: Callable[[], datetime] = now_utc,
        idle_minutes: int = 30,
        cache_ttl: float = 900.0,
        campaign_id: int | None = None,
        mention_names: Callable[[str], Awaitable[str | None]] | None = None,
        notify: Send | None = None,
        alert_channel: str | None = None,
        read_deadline: float = READ_DEADLINE,
        write_deadline: float = WRITE_DEADLINE,
        audit: AuditLog | None = None,
    ) -> None:
        self.client = client
        self.store = store
        self.tz = tz
        self.clock = clock
        self.idle_minutes = idle_minutes
        self.campaign_id = campaign_id  # book jobs under this campaign (default: the first active one)
        # Slack user id -> the person's name, so "assign <@U123> to job 1001" can match a technician.
        self.mention_names = mention_names
        self.runner = Runner(ReferenceData(client, store, cache_ttl=cache_ttl, clock=clock))
        # a technician's "running late" goes to the office through `notify` (set by the surface)
        self.late = LateNotices(client, store, send=notify, alert_channel=alert_channel)
        self.audit: AuditLog = audit or MemoryAuditLog()
        self.read_deadline = read_deadline
        self.write_deadline = write_deadline
        self.claim_timeout = timedelta(seconds=write_deadline + read_deadline + CLAIM_MARGIN)
        # Kept well past idle expiry so the next message can still say what expired.
        self.state_ttl = float(idle_minutes * 60 + 24 * 3600)
        self.recall = Recall()

    async def handle(self, key: ConversationKey, asker: Asker, event: Event) -> list[Reply]:
        path = key.as_path()
        if isinstance(event, Pressed) and event.action == "retry":
            retried = _retried_event(event.value)
            if retried is None:
                return [Reply(kind="text", text="That button no longer works; please ask again.")]
            event = retried
        original = event
        cut_from = 0
        # one moment for the message: the alert check and the turn read it at the same `now` (parsed once)
        now = self.clock()
        if isinstance(event, Said):
            # Nothing a user types can pass for a mention the bot makes (bot.dialog.messages.mention).
            event = Said(text=without_mention_markers(event.text))
            if len(event.text) > MAX_USER_TEXT:
                cut_from = len(event.text)
                event = Said(text=event.text[:MAX_USER_TEXT].rstrip())
            if "<@" in event.text:
                event = Said(text=await self._name_mentions(event.text, asker))
        if isinstance(event, Said):  # a technician's running-late notice (bot/dialog/notices.py)
            late = await self._late_notice(asker, event.text, path, now)
            if late is not None:
                return [late]
        if isinstance(event, Said):  # alert subscriptions and quiet hours (bot/alerts/requests.py)
            from bot.alerts.requests import answer as alert_request

            alert_reply = await alert_request(
                self.store, self._in_known_zone(asker), key, event.text, now=now
            )
            if alert_reply is not None:
                # answered; it is not an answer to the open request, which is shown again as it was
                state, _ = await self._load(path, asker)
                return [alert_reply, *shown_again(state, self.clock())]
        read_by: float | None = None  # a new read deadline for each attempt, but see below
        for attempt in range(MAX_ATTEMPTS):
            recalled = self.recall.get(path) if attempt == 0 else None
            try:
                done, replies = await self._turn(
                    path, asker, event, recalled, now if attempt == 0 else None, read_by
                )
            except _ReadTooSlow as slow:
                if recalled is not None and not await self._still_at(path, recalled[0]):
                    self.recall.missed(path)
                    read_by = slow.deadline  # what is left of this read deadline (no second one)
                    continue  # that turn ran on a conversation changed since: again, on the stored one
                return [_too_slow(slow, original)]
            read_by = None
            if done:
                return [_say_cut(reply, cut_from) for reply in replies] if cut_from else replies
            if recalled is not None:  # its copy was out of date: served by other processes too, read it
                self.recall.missed(path)
        log.warning("dialog %s: gave up after %d save conflicts", path, MAX_ATTEMPTS)
        return [Reply(kind="error", text="Several messages arrived at once; please send that again.")]

    async def _late_notice(self, asker: Asker, text: str, path: str, now: datetime) -> Reply | None:
        """The answer to a running-late notice: its reads under the read deadline like any look-up, then
        the notice sent (not under that deadline: once posted, the technician hears that it was). From
        someone who is no technician, only when no request of theirs is open: "the tech is running behind"
        may answer its question ("Why is it going on hold?")."""
        # "late to it": the visit the conversation showed last (read only for a message that may be a notice)
        in_view = (await self._load(path, asker))[0].last_read if may_be_late(text) else None
        try:
            found = await asyncio.wait_for(
                self.late.answer(self._in_known_zone(asker), text, now, path, in_view),
                self.read_deadline,
            )
        except TimeoutError:
            log.warning("running late: ServiceTitan did not answer within %.0f s", self.read_deadline)
            return Reply(
                kind="error",
                text="ServiceTitan is taking too long to answer, so I sent nothing. Please call the office.",
            )
        if found is not None and asker.role != "technician" and (await self._load(path, asker))[0].pending:
            return None  # the dialog's: an answer to the open request
        return await self.late.deliver(found) if isinstance(found, Outgoing) else found

    async def _name_mentions(self, text: str, asker: Asker) -> str:
        """Replace Slack mentions (`<@U123>`, `<@U123|mike>`) by the person's name where it is known.

        Only the mentions the request needs are looked up: those in a technician slot of the message, or
        those of a short answer that is hardly more than a mention ("<@U123>" to "which technician?"),
        at most MAX_MENTION_LOOKUPS of them (a message full of mentions must not cost a users.info call
        each). Others keep their label, if Slack gave one, or stay as written.
        """
        wanted = self._mentions_to_look_up(text, asker)
        names: dict[str, str | None] = {}
        for user in wanted:
            names[user] = await self.mention_names(user) if self.mention_names else None
        out, last = [], 0
        for match in MENTION.finditer(text):
            name = names.get(match["user"]) or match["label"]
            out.append(text[last : match.start()] + (name or match[0]))
            last = match.end()
        return "".join(out) + text[last:]

    def _mentions_to_look_up(self, text: str, asker: Asker) -> list[str]:
        if self.mention_names is None:
            return []
        mentioned = list(dict.fromkeys(m["user"] for m in MENTION.finditer(text)))
        rest = MENTION.sub(" ", text).split()
        if len(mentioned) <= MAX_MENTION_LOOKUPS and len(rest) <= 3:
            return mentioned  # an answer naming someone ("<@U123>", "it's <@U123>")
        tz = asker.tz if _known_zone(asker.tz) else self.tz
        parsed = parse(text, now=self.clock(), tz=tz)
        readings = [parsed, *(parsed.get("alternatives") or [])]
        in_slots = " ".join(
            str((reading.get("slots") or {}).get(slot) or "") for reading in readings for slot in PERSON_SLOTS
        )
        return [user for user in mentioned if f"<@{user}" in in_slots][:MAX_MENTION_LOOKUPS]

    async def _load(self, path: str, asker: Asker) -> tuple[Conversation, int | None]:
        record = await self.store.load(namespace=NAMESPACE, key=path)
        state = self._state(path, record.value if record is not None else None, asker)
        return state, record.rev if record is not None else None

    def _state(self, path: str, value: dict[str, Any] | None, asker: Asker) -> Conversation:
        state = Conversation()
        if value is not None:
            try:
                state = Conversation.model_validate(value)
            except ValueError:
                log.warning("dialog %s: unreadable conversation; starting afresh", path)
        state.asker = self._in_known_zone(asker)
        state.idle_minutes = self.idle_minutes
        state.campaign_id = self.campaign_id
        return state

    async def _still_at(self, path: str, rev: int) -> bool:
        record = await self.store.load(namespace=NAMESPACE, key=path)
        return record is not None and record.rev == rev

    async def _turn(
        self,
        path: str,
        asker: Asker,
        event: Event,
        recalled: tuple[int, str] | None = None,
        now: datetime | None = None,
        read_by: float | None = None,
    ) -> tuple[bool, list[Reply]]:
        """One attempt at a turn: (True, replies), or (False, []) when the final save lost a race.
        Raises _ReadTooSlow when a look-up outlasts the read deadline (nothing is saved). `recalled`: the
        conversation as this process saved it last (`Recall`), taken for the stored one without reading
        it; only a turn that proves it current answers from it (a compare-and-set on its revision, or for
        a turn that changed nothing the stored revision read), any other is (False, []) and runs again on
        the stored conversation. `read_by`: the read deadline (loop time), when not a new one."""
        # The turn's saves and deletes (cached reads, and after a write: the job's cached reads dropped, who
        # wrote, the outcome) are queued and go to the store with its compare-and-set (the claim, or the
        # conversation's save), or at its end: one round trip each time, not one per write.
        async with AsyncExitStack() as writes:
            await writes.enter_async_context(self.store.write_behind())
            return await self._attempt(path, asker, event, writes, recalled, now, read_by)

    async def _attempt(
        self,
        path: str,
        asker: Asker,
        event: Event,
        writes: AsyncExitStack,
        recalled: tuple[int, str] | None,
        at: datetime | None = None,
        read_by: float | None = None,
    ) -> tuple[bool, list[Reply]]:
        if recalled is None:
            state, rev = await self._load(path, asker)
        else:
            state, rev = self._state(path, json.loads(recalled[1]), asker), recalled[0]
        before = _essence(state)
        now = at or self.clock()
        replies: list[Reply] = []
        queue: list[Event | InternalEvent] = [event]
        audit: Audit | None = None  # the record of this turn's write
        settled = await self._settle_dead_claim(path, asker, state, now)
        if settled is not None:
            queue.insert(0, settled)
        read_by = read_by or asyncio.get_running_loop().time() + self.read_deadline
        claimed, claim, claim_rev = False, "", 0
        outcome: tuple[Called, int, str] | None = (
            None  # the write's result, where its replies start, its card
        )
        transitions = 0
        while queue and transitions < MAX_TRANSITIONS:
            transitions += 1
            # the conversation as loaded is this loop's alone: its first transition (on the event itself, not a
            # dead claim's outcome, which may share its plan) needs no copy of it
            state, effects = step(state, queue.pop(0), now, handed_over=transitions == 1 and settled is None)
            for effect in effects:
                if isinstance(effect, Ask | ShowConfirmation | Say):
                    replies.append(effect.reply)
                    continue
                if audit is not None:  # something runs before the outcome's save: the record goes first
                    await audit.send_now(self.store, path)
                if isinstance(effect, Load):
                    queue.append(await self._load_by(effect, None if claimed else read_by))
                elif isinstance(effect, CallServiceTitan):
                    ready = await self._prepare(effect, read_by)
                    if isinstance(ready, Called):  # a read before the write failed: nothing claimed or sent
                        queue.append(ready)
                        continue
                    # The prepared plan is the one claimed, sent, re-read and stored from here on.
                    effect = ready
                    if state.pending is not None:
                        state.pending.plan = effect.plan
                    # Claim it: the stored conversation moves to "applying" only if nobody changed it.
                    claim = claims.stamp(state, self.clock())
                    if rev is not None:
                        claim_rev = await self._save_if_unchanged(path, rev, state)
                    if not claim_rev and recalled is not None:
                        return False, []  # maybe only what this process recalled was out of date
                    if not claim_rev:
                        fresh, _ = await self._load(path, asker)
                        _, lost = step(fresh, ClaimLost(), now)
                        return True, replies + _replies(lost)
                    claimed = True
                    self.recall.forget(path)  # recalled again once its outcome is saved
                    called = await self._write(effect)
                    if called.ok:  # named in alerts (as of just before the call), once it is in ServiceTitan
                        await record_write_actor(
                            self.store, effect.plan.operation.records(), asker.user_id, at=now
                        )
                    audit = audit_of(self.audit, self.store, at=self.clock(), path=path, asker=asker,
                                     plan=effect.plan, called=called, once=claim)  # fmt: skip
                    if audit.entry is None:  # a log of its own: kept now (else with a store write)
                        await audit.keep(self.audit)
                    queue.append(called)
                    outcome = (called, len(replies), state.token)
        value = None if claimed else _value(state)  # what is saved below (a claimed turn saves its own)
        if rev is not None and value is not None and _without_stamp(value) == before:
            if recalled is not None and not await self._still_at(path, rev):
                return False, []  # answered from what this process recalled, since changed: run again
            return True, replies  # nothing changed (a stale or repeated click): no write, no race to lose
        if claimed and outcome is not None:
            replies = await self._save_claimed(path, (claim, claim_rev), state, replies, *outcome, audit)
        if audit is not None and audit.entry is not None:  # not sent with the outcome (the store failed)
            await audit.keep(self.audit)
        if audit is not None and audit.id and replies:  # one line about the record, on the outcome's card
            note = f"Recorded in the audit log as {audit.id} ({audit.outcome})."
            last = replies[-1]
            footnote = f"{last.footnote} · {note}" if last.footnote else note
            replies[-1] = last.model_copy(update={"footnote": footnote})
        if claimed:
            # the writes queued since the claim not sent with the outcome's save (`_save_claimed`) go now
            try:
                await writes.aclose()
            except StoreError as exc:
                log.warning("dialog %s: writes after a write's outcome could not be saved: %s", path, exc)
            return True, replies
        if rev is None:
            write = Write.save(
                namespace=NAMESPACE,
                key=path,
                value=value if value is not None else _value(state),
                ttl=self.state_ttl,
            )
            self.recall.keep(path, await self.store.write_now(write), write.value_json)
            return True, replies
        saved = await self._save_if_unchanged(path, rev, state, value)
        return bool(saved), replies if saved else []

    async def _save_claimed(
        self, path: str, claim: tuple[str, int], state: Conversation, replies: list[Reply],
        called: Called, told_from: int, card: str, audit: Audit | None,
    ) -> list[Reply]:  # fmt: skip
        """Save the outcome of this turn's write if it still holds its claim; the replies to give. The write
        is done whatever the store says: the user hears its outcome even when the store failed meanwhile
        (the claim left behind is settled by a re-read later). A claim another turn settled meanwhile is
        not overwritten: only what that turn did not tell is said (`claims.late_replies`). `claim`: its
        token and the revision it was saved at. The write's audit record goes with the save (`audit`: its id
        noted there, and its entry dropped once sent)."""
        claims.release(state)
        write = Write.save(namespace=NAMESPACE, key=path, value=_value(state), ttl=self.state_ttl)
        entry = (audit.entry, audit.sent) if audit is not None and audit.entry is not None else None
        try:
            saved, stored = await claims.save_held(
                self.store, write, token=claim[0], rev=claim[1], entry=entry
            )
        except StoreError as exc:
            log.warning("dialog %s: the outcome of a write could not be saved: %s", path, exc)
            return replies
        if saved:
            self.recall.keep(path, saved, write.value_json)
            return replies
        try:
            fresh = Conversation.model_validate(stored) if stored is not None else None
        except ValueError:
            fresh = None
        log.warning("dialog %s: its claim was settled by another turn before this one ended; not saved", path)
        return claims.late_replies(fresh, replies[told_from:], called, card)

    async def _load_by(self, effect: Load, deadline: float | None) -> Loaded:
        """The look-up, or _ReadTooSlow when it is not answered by `deadline` (loop time)."""
        if deadline is None:
            return await self.runner.load(effect)
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:  # not even started (an attempt again after a read too slow: `handle`)
            raise _ReadTooSlow(effect, deadline)
        try:
            return await asyncio.wait_for(self.runner.load(effect), left)
        except TimeoutError:
            raise _ReadTooSlow(effect, deadline) from None

    async def _prepare(self, effect: CallServiceTitan, deadline: float) -> CallServiceTitan | Called:
        """The write made ready before its claim (`Runner.prepare`), its reads under the read deadline
        (`deadline`, loop time); a `Called` of a write not sent when they fail."""
        try:
            ready = await asyncio.wait_for(
                self.runner.prepare(effect.plan, uncertain=effect.check_first),
                max(0.0, deadline - asyncio.get_running_loop().time()),
            )
        except TimeoutError:
            log.warning("write %s: its reads took too long; not sent", effect.plan.operation.kind)
            return Called(
                effect.plan,
                ok=False,
                error="I couldn't read ServiceTitan before writing (ServiceTitan didn't answer in time)",
                uncertain=effect.check_first,
            )
        if isinstance(ready, Called):
            return ready
        return CallServiceTitan(ready, check_first=effect.check_first)

    async def _write(self, effect: CallServiceTitan) -> Called:
        """The write, abandoned at the write deadline; then ServiceTitan is re-read (never written again)
        to tell whether it went through."""
        try:
            return await asyncio.wait_for(
                self.runner.call(effect.plan, check_first=effect.check_first), self.write_deadline
            )
        except TimeoutError:
            reference = failures.new_reference()
            log.warning(
                "write %s: no answer within %.0f s, reference %s; re-reading ServiceTitan",
                effect.plan.operation.kind,
                self.write_deadline,
                reference,
            )
            return await self._reread(effect.plan, reference)

    async def _reread(self, plan: Plan, reference: str) -> Called:
        """Whether `plan` is in ServiceTitan now, as the outcome of a write whose answer never came."""
        try:
            applied = await asyncio.wait_for(self.runner.check(plan), self.read_deadline)
        except Exception as exc:  # whatever stops the re-read, the outcome stays unknown (checked next time)
            log.warning("re-read of %s failed, reference %s: %r", plan.operation.kind, reference, exc)
            applied = False
        else:
            if applied:
                return Called(plan, ok=True, already=True)
        error = f"ServiceTitan did not answer in time (reference {reference})"
        return Called(plan, ok=False, error=error, uncertain=True)

    async def _settle_dead_claim(
        self, path: str, asker: Asker, state: Conversation, now: datetime
    ) -> Called | None:
        """The outcome of a write whose turn died after claiming the conversation (its process stopped,
        or the store failed before the outcome was saved), read from ServiceTitan; None when there is no
        such claim. The write deadline has long passed, so nothing is sending it any more. A write found
        applied gets its audit record now, unless its turn kept one (the same idempotency id: the claim)."""
        pending = state.pending
        if (
            state.phase != "applying"
            or pending is None
            or pending.plan is None
            or (since := claims.claimed_since(state)) is None
            or now - since <= self.claim_timeout
        ):
            return None
        reference = failures.new_reference()
        log.warning("a claim of %s from %s was never settled, reference %s: re-reading ServiceTitan",
                    pending.plan.operation.kind, since.isoformat(), reference)  # fmt: skip
        called = await self._reread(pending.plan, reference)
        if called.ok:
            found = audit_of(
                self.audit, self.store, at=self.clock(), path=path, asker=asker, plan=pending.plan,
                called=called, once=state.claim or None, outcome=FOUND_ON_REREAD,
            )  # fmt: skip
            await found.keep(self.audit)
        return called

    async def _save_if_unchanged(
        self, path: str, rev: int, state: Conversation, value: dict[str, Any] | None = None
    ) -> int:
        """Save `state` only if the stored conversation is still at `rev` (compare-and-set): its new
        revision, 0 when another turn or delivery saved first."""
        write = Write.compare_and_set(
            namespace=NAMESPACE,
            key=path,
            expected_rev=rev,
            value=value if value is not None else _value(state),
            ttl=self.state_ttl,
        )
        new_rev = await self.store.write_now(write)
        self.recall.keep(path, new_rev, write.value_json)
        return new_rev

    def _in_known_zone(self, asker: Asker) -> Asker:
        """The asker, in the tenant's time zone when Slack gave none or one this system doesn't know."""
        return asker if _known_zone(asker.tz) else asker.model_copy(update={"tz": self.tz})

    async def home(self, asker: Asker) -> Reply:
        asker = self._in_known_zone(asker)
        tz = asker.tz
        name = asker.name or "there"
        role_text = {
            "dispatcher": "You're a dispatcher: ask me to look up, reschedule, assign, hold or cancel work.",
            "manager": "You're a manager: ask me to look up, reschedule, assign, hold or cancel work.",
            "technician": "You're a technician: ask me about your appointments, jobs and notes.",
            "guest": "You're not linked to ServiceTitan yet; ask an admin to link your account. Until then I can only show help.",
        }[asker.role]
        reply = Reply(kind="list", title=f"Hi {name}", text=f"Hi {name}. {role_text}", read_only=True)
        if asker.role == "technician":
            # The same day view as the morning message (bot/alerts/dayplan.py), read afresh on each open.
            from bot.alerts.cards import EMPTY_DAY
            from bot.alerts.dayplan import technician_day

            lookup = read_lookup(asker, "list_appointments", {}, self.clock())
            if isinstance(lookup, Reply):
                reply.lines = [lookup.text]  # a technician role not linked to a ServiceTitan technician
            elif asker.technician_id is not None:
                today = timefmt.local(self.clock(), tz).date()
                try:
                    lines = await asyncio.wait_for(
                        technician_day(self.client, self.store, asker.technician_id, today, tz),
                        self.read_deadline,
                    )
                except TimeoutError:
                    reply.lines = [
                        "ServiceTitan is taking too long to answer; open this tab again in a moment."
                    ]
                except ServiceTitanError as exc:
                    reference = failures.new_reference()  # the user sees what failed, the log how
                    log.warning("App Home day failed, reference %s: %s", reference, exc)
                    reply.lines = [failures.lookup_failed(exc, "list_appointments", {}, reference)]
                else:
                    reply.lines = lines or [EMPTY_DAY]
                    reply.title = f"Hi {name} · today"
            reply.text += "\nToday:\n" + "\n".join(reply.lines)
            reply.footnote = f"Times in {tz}"
        return reply


class _ReadTooSlow(Exception):
    """A look-up of the turn was not answered by the read deadline."""

    def __init__(self, effect: Load, deadline: float) -> None:
        super().__init__(effect.key)
        self.effect, self.deadline = effect, deadline


def _too_slow(slow: _ReadTooSlow, event: Event) -> Reply:
    """The failure shown at a read's deadline: what was slow, nothing changed, and Try again."""
    doing = failures.doing(slow.effect.what, slow.effect.args)
    text = (
        f"ServiceTitan is taking too long to answer (I was {doing}). Nothing was changed and our "
        "conversation is as it was: press Try again, or ask again in a moment."
    )
    return Reply(
        kind="error",
        text=text,
        buttons=[Button(action="retry", label="Try again", value=_retry_value(event), style="primary")],
    )


def _retry_value(event: Event) -> str:
    """The event a Try again button sends again, as its value (JSON, within Slack's limit)."""
    value = event.model_dump_json()
    if len(value) > MAX_RETRY_VALUE and isinstance(event, Said):
        keep = len(event.text) - (len(value) - MAX_RETRY_VALUE) - 50
        value = Said(text=event.text[: max(0, keep)]).model_dump_json()
    return value


def _retried_event(value: str) -> Event | None:
    try:
        event = _EVENT.validate_json(value)
    except ValueError:
        return None
    return None if isinstance(event, Pressed) and event.action == "retry" else event


_EVENT: TypeAdapter[Event] = TypeAdapter(Annotated[Said | Pressed | PickedDate, Field(discriminator="kind")])


def _say_cut(reply: Reply, length: int) -> Reply:
    """The reply to a message that was cut to MAX_USER_TEXT characters, saying so."""
    note = (
        f"Your message was {length:,} characters long; I read only the first {MAX_USER_TEXT:,}, "
        "and nothing past them goes to ServiceTitan."
    )
    return reply.model_copy(update={"warnings": [*reply.warnings, note], "text": f"{reply.text}\n{note}"})


def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return bool(name)


def _value(state: Conversation) -> dict[str, Any]:
    return state.model_dump(mode="json")


def _without_stamp(value: dict[str, Any]) -> dict[str, Any]:
    """A conversation's `_value` without its activity stamp, to tell a turn that changed nothing."""
    return {k: v for k, v in value.items() if k != "updated_at"}


def _essence(state: Conversation) -> dict[str, Any]:
    """The conversation without its activity stamp, to tell a turn that changed nothing."""
    return _without_stamp(_value(state))


def _replies(effects: list[Effect]) -> list[Reply]:
    return [e.reply for e in effects if isinstance(e, Ask | ShowConfirmation | Say)]
