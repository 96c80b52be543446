"""The one path every Slack interaction takes after its ack: who asks, one dialog turn, showing the replies.

- `Target` says where replies go (channel, thread, the clicked card, ephemeral or not); the listeners
  build it from Slack's payloads with the pure `*_target` functions below.
- `People` turns a Slack user into an `Asker`: time zone, name and e-mail from `users.info` (cached in the
  store), role from `bot.roles`. When users.info fails (an external user Slack won't describe, Slack
  erroring), the user is still answered: the tenant's time zone, no e-mail (so a guest unless the role
  lists name them); the failure is remembered for a minute so a burst of messages asks Slack only once.
- `Conversations.turn` runs one dialog turn (serialised per conversation inside this process, so a double
  click is seen after the first one finished) and delivers the replies: `chat.update` for a reply that
  replaces the clicked card, `chat.postEphemeral` for read-only answers to `/st` in a channel, and
  `chat.postMessage` otherwise.
- `Conversations.fail` is the error boundary: a turn that raises ends there, and so does anything
  `app.error` catches (bot/slack/app.py): the error logged in full under a short reference, the user told
  that reference, the conversation left as it was.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import uuid
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.dialog.messages import Asker, ConversationKey, Dialog, Event, Reply, without_mention_markers
from bot.roles import RoleResolver
from bot.slack.blocks import render, render_apology
from bot.slack.retries import post_message, retry_handlers
from bot.store import Guard, GuardRefused, Store, StoreError, StoreUnavailable, cached

JSON = dict[str, Any]

USER_NAMESPACE = "slack-user"
USER_TTL_SECONDS = 6 * 60 * 60
USER_FAILURE_NAMESPACE = "slack-user-failed"
USER_FAILURE_TTL_SECONDS = 60
# What a failing users.info raises: Slack's error answers, and the transport's errors once retries are spent.
USERS_INFO_ERRORS = (SlackClientError, aiohttp.ClientError, TimeoutError)
UNKNOWN_PROFILE: JSON = {"tz": None, "name": None, "email": None}
# A turn that has not answered after this many seconds shows WORKING_TEXT until it does.
WORKING_AFTER_SECONDS = 2.0
WORKING_TEXT = "Working on it…"
# Turns one process works on at once; more wait (each user told BUSY_TEXT) rather than pile up. A warm
# `show job` takes ~10 ms and ServiceTitan's 60 requests/s bound the rest, so 32 carry what one process can
# do, and the acks of new requests don't queue behind hundreds of turns: show job offered at 150/s on a
# starved process, ack p99 8.2 s with 200 in flight against 1.0 s with 32 (python -m benchmarks load).
MAX_TURNS_IN_FLIGHT = 32
BUSY_TEXT = "Busy with other requests, one moment: yours is next in line."
# How long finding out who is asking (users.info, ServiceTitan's staff for the role) may take.
WHO_DEADLINE_SECONDS = 10.0
# Errors of chat.postMessage/postEphemeral after which a slash command's response_url still works
# (e.g. `/st` typed in a DM between two people, where the bot is not a member).
UNREACHABLE_CHANNEL_ERRORS = frozenset(
    {"channel_not_found", "not_in_channel", "is_archived", "user_not_in_channel"}
)


@dataclass(frozen=True)
class Target:
    """Where the replies of one turn go."""

    team: str
    channel: str
    user: str
    thread_ts: str | None = None  # reply in this thread
    card_ts: str | None = None  # the card that was clicked (replaced with chat.update)
    card_is_ephemeral: bool = False  # the clicked card was ephemeral: replace it through response_url
    response_url: str | None = None
    ephemeral_for_reads: bool = False  # read-only answers only to the asker (a /st in a channel)

    @property
    def is_dm(self) -> bool:
        return _is_dm(self.channel)


def _is_dm(channel: str) -> bool:
    """Slack's ids of direct-message channels start with D."""
    return channel.startswith("D")


# ---- targets and keys from Slack payloads (pure) ------------------------------------------------


def team_of(body: JSON) -> str:
    team = (
        body.get("team_id") or (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id")
    )
    return str(team or "")


def message_target(body: JSON, event: JSON) -> tuple[ConversationKey, Target]:
    """A DM to the bot: one conversation per DM (or per thread inside it)."""
    thread = str(event.get("thread_ts") or "")
    team, channel, user = team_of(body), str(event["channel"]), str(event["user"])
    key = ConversationKey(team=team, channel=channel, thread=thread, user=user)
    return key, Target(team=team, channel=channel, user=user, thread_ts=thread or None)


def mention_target(body: JSON, event: JSON) -> tuple[ConversationKey, Target]:
    """A mention in a channel: the conversation lives in the mention's thread, and so do the replies."""
    thread = str(event.get("thread_ts") or event["ts"])
    team, channel, user = team_of(body), str(event["channel"]), str(event["user"])
    key = ConversationKey(team=team, channel=channel, thread=thread, user=user)
    return key, Target(team=team, channel=channel, user=user, thread_ts=thread)


def command_target(body: JSON) -> tuple[ConversationKey, Target]:
    """`/st TEXT`: answers in the channel; read-only ones only to the asker, unless it is a DM."""
    team, channel, user = team_of(body), str(body["channel_id"]), str(body["user_id"])
    key = ConversationKey(team=team, channel=channel, thread="", user=user)
    target = Target(
        team=team,
        channel=channel,
        user=user,
        response_url=body.get("response_url"),
        ephemeral_for_reads=not _is_dm(channel),
    )
    return key, target


def action_target(body: JSON) -> tuple[ConversationKey, Target]:
    """A click on a card: the conversation of the card's thread, by the user who clicked."""
    container = body.get("container") or {}
    message = body.get("message") or {}
    channel = str((body.get("channel") or {}).get("id") or container.get("channel_id") or "")
    user = str((body.get("user") or {}).get("id") or "")
    team = team_of(body)
    thread = str(message.get("thread_ts") or container.get("thread_ts") or "")
    card_ts = message.get("ts") or container.get("message_ts")
    if thread and thread == card_ts:  # the card became a thread's parent: it was posted outside a thread
        thread = ""
    ephemeral = bool(container.get("is_ephemeral"))
    key = ConversationKey(team=team, channel=channel, thread=thread, user=user)
    target = Target(
        team=team,
        channel=channel,
        user=user,
        thread_ts=thread or None,
        card_ts=None if ephemeral else card_ts,
        card_is_ephemeral=ephemeral,
        response_url=body.get("response_url"),
        ephemeral_for_reads=ephemeral or not _is_dm(channel),
    )
    return key, target


def error_target(body: JSON) -> Target | None:
    """Where to apologise for a request that failed, or None when there is nowhere to say it."""
    try:
        if body.get("type") == "event_callback":
            event = body.get("event") or {}
            if event.get("type") == "app_mention":
                return mention_target(body, event)[1]
            if event.get("type") == "message" and event.get("user"):
                return message_target(body, event)[1]
            return None
        if body.get("command"):
            return command_target(body)[1]
        if body.get("type") == "block_actions":
            target = action_target(body)[1]
            return target if target.channel else None
    except (KeyError, AttributeError, TypeError):  # a payload of another shape (the edge refuses those)
        return None
    return None


_BOT_MENTION = "<@{bot}>"
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")
_LABELLED_MENTION = re.compile(r"<@([UW][A-Z0-9]+)\|[^>]*>")  # how /st (should_escape) sends @mentions


def clean_text(text: str, bot_user_id: str | None = None) -> str:
    """What the user typed, as the dialog should read it: no mention of the bot, no Slack escaping.

    Mentions of other people (`<@U123>`) stay as written: the parser reads them as technicians.
    """
    if bot_user_id:
        text = text.replace(_BOT_MENTION.format(bot=bot_user_id), " ")
    text = _LABELLED_MENTION.sub(r"<@\1>", text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1).removeprefix("mailto:"), text)
    return " ".join(without_mention_markers(html.unescape(text)).split())


def replaces_clicked_card(reply: Reply) -> bool:
    """Whether this reply to a click takes the clicked card's place (chat.update), so the card's old
    buttons cannot be pressed again.

    The dialog says so for outcomes (`replaces_card`). A follow-up card (the confirmation after a choice,
    the corrected card after a picker change, the next page) also replaces it: the card evolves in place.
    A plain answer to a click (e.g. "already done" for a second click) is posted instead, so it never
    overwrites the outcome a first click put there.
    """
    if reply.replaces_card:
        return True
    interactive = bool(reply.choice or reply.date_edit or reply.buttons)
    return interactive and reply.kind != "error"


# ---- who is asking -------------------------------------------------------------------------------


class People:
    """Slack users as askers; users.info answers are cached in the store for a few hours, its failures for a
    minute (the user is then unknown: the tenant time zone, no name, no e-mail)."""

    def __init__(self, *, client: AsyncWebClient, store: Store, roles: RoleResolver, default_tz: str) -> None:
        self.log = logging.getLogger("bot.slack")
        self.client = client
        self.store = store
        self.roles = roles
        self.default_tz = default_tz

    async def profile(self, team: str, user: str) -> JSON:
        """The user's time zone, name and e-mail (each may be None); `UNKNOWN_PROFILE` while users.info
        fails for them."""
        key = f"{team}:{user}"

        async def load() -> JSON:
            # Only one load per key runs at a time (`cached`), and a failed one notes the failure before it
            # ends, so after a failure no caller asks Slack again until the note expires.
            if await self._failed_recently(key):
                raise _RecentlyFailed(user)
            try:
                answer = await self.client.users_info(user=user)
            except USERS_INFO_ERRORS as exc:
                await self._remember_failure(key, user, exc)
                raise
            info = answer.get("user") or {}
            profile = info.get("profile") or {}
            return {
                "tz": info.get("tz") or None,
                "name": profile.get("real_name") or info.get("real_name") or info.get("name") or None,
                "email": profile.get("email") or None,
            }

        try:
            return await cached(
                self.store, namespace=USER_NAMESPACE, key=key, ttl=USER_TTL_SECONDS, load=load
            )
        except (_RecentlyFailed, *USERS_INFO_ERRORS):
            return dict(UNKNOWN_PROFILE)

    async def _failed_recently(self, key: str) -> bool:
        try:
            return await self.store.load(namespace=USER_FAILURE_NAMESPACE, key=key) is not None
        except StoreUnavailable:
            return False

    async def _remember_failure(self, key: str, user: str, exc: BaseException) -> None:
        """Note the failure for USER_FAILURE_TTL_SECONDS and log it once."""
        try:
            await self.store.save(
                namespace=USER_FAILURE_NAMESPACE, key=key, value={}, ttl=USER_FAILURE_TTL_SECONDS
            )
        except StoreUnavailable:
            pass  # then the next message asks Slack again
        self.log.warning(
            "users.info for %s failed (%s): taking them as unknown (the tenant time zone %s, no e-mail) "
            "for the next %d s",
            user,
            _slack_error(exc),
            self.default_tz,
            USER_FAILURE_TTL_SECONDS,
        )

    async def name_of(self, user: str) -> str | None:
        """A Slack user's name for a mention in a message ("assign <@U77> to job 1009"), from the same cached
        users.info answers; None when Slack doesn't know the user. User ids are unique across workspaces,
        so these are cached under the user alone."""
        return (await self.profile("", user)).get("name")

    async def asker(self, team: str, user: str) -> Asker:
        profile = await self.profile(team, user)
        return await self.roles.resolve(
            user_id=user,
            tz=profile.get("tz") or self.default_tz,
            name=profile.get("name"),
            email=profile.get("email"),
        )


class _RecentlyFailed(Exception):
    """users.info failed for this user a moment ago; not asked again yet."""


def _slack_error(exc: BaseException) -> str:
    """Slack's error code for an API error (e.g. user_not_found), else the exception's text."""
    if isinstance(exc, SlackApiError) and exc.response is not None:
        return str(exc.response.get("error") or f"HTTP {exc.response.status_code}")
    return f"{type(exc).__name__}: {exc}"


# ---- one turn ------------------------------------------------------------------------------------


class ConversationLocks:
    """One asyncio lock per conversation, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: ConversationKey) -> AsyncIterator[None]:
        path = key.as_path()
        lock, users = self._locks.get(path, (asyncio.Lock(), 0))
        self._locks[path] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[path]
            if users <= 1:
                del self._locks[path]
            else:
                self._locks[path] = (lock, users - 1)


class Conversations:
    """Runs dialog turns for Slack and shows their replies (the effect runner of the Slack surface)."""

    def __init__(
        self,
        *,
        dialog: Dialog,
        people: People,
        client: AsyncWebClient,
        logger: logging.Logger,
        working_after: float = WORKING_AFTER_SECONDS,
        who_deadline: float = WHO_DEADLINE_SECONDS,
        max_in_flight: int = MAX_TURNS_IN_FLIGHT,
    ) -> None:
        self.dialog = dialog
        self.people = people
        self.client = client
        self.log = logger
        self.locks = ConversationLocks()
        self.working_after = working_after
        self.who_deadline = who_deadline
        self.in_flight = asyncio.Semaphore(max_in_flight)

    async def turn(
        self, key: ConversationKey, target: Target, event: Event, *, guard: Guard | None = None
    ) -> list[Reply]:
        """One dialog turn and its replies. Anything unexpected ends in `fail` (the error boundary) here
        rather than propagating: Bolt would otherwise drop an already sent ack when a listener raises
        within its first poll (slack_bolt/listener/asyncio_runner.py) and hold the HTTP answer for 3 s.

        `guard`: an event's first delivery (bot/slack/app.py DeliveryDedupe), carried by the turn's first
        write to the store; a turn whose write it refused (another process has the event) wrote nothing
        and shows nothing (a "working" note it showed is removed), and one that wrote nothing asks before
        its replies or its apology go out.
        """
        working: str | None = None
        delivering = False
        try:
            # The user's own earlier turn first (waiting for it holds no place among the turns in flight,
            # so a few users' repeated clicks don't make everybody else wait), then a place in flight.
            async with self.locks.hold(key):
                # a note is shown only for an event this process has (asked first where nothing said yet)
                if self.in_flight.locked() and await _ours(guard):  # every place taken: this one waits
                    working = await self._show_working(target, BUSY_TEXT)
                async with self.in_flight:
                    handling = asyncio.ensure_future(self._handle(key, target, event, guard))
                    try:
                        done, _ = await asyncio.wait({handling}, timeout=self.working_after)
                        if not done and working is None and await _ours(guard):
                            working = await self._show_working(target)
                        replies = await handling
                    finally:
                        handling.cancel()  # only if this turn itself was cancelled; a finished one ignores it
                    if guard is not None and not await guard.settle():
                        raise GuardRefused(guard)
                    delivering = True  # from here on the "working" message may have become a reply
                    await self.deliver(target, replies, working=working)
        except Exception as error:
            if isinstance(error, GuardRefused) or (guard is not None and not await guard.settle()):
                self.log.info("skipped a repeated delivery of event %s", guard.once.key if guard else "?")
            else:
                await self.fail(error, target)
            if working is not None and not delivering:
                await self._remove(target, working)
            return []
        return replies

    async def _remove(self, target: Target, ts: str) -> None:
        """Remove a "Working on it…" message no reply took the place of."""
        try:
            await self.client.chat_delete(channel=target.channel, ts=ts)
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
            self.log.warning("could not remove 'working on it' (%s)", _slack_error(exc))

    async def _handle(
        self, key: ConversationKey, target: Target, event: Event, guard: Guard | None
    ) -> list[Reply]:
        """Who asks (their role may need ServiceTitan's staff list), then the dialog's turn (its first
        write carrying `guard`)."""
        try:
            asker = await asyncio.wait_for(self.people.asker(target.team, target.user), self.who_deadline)
        except TimeoutError:
            reference = uuid.uuid4().hex[:8]
            self.log.warning(
                "who %s is: no answer within %.0f s, reference %s", target.user, self.who_deadline, reference
            )
            text = (
                "ServiceTitan is taking too long to answer (I was checking who you are in ServiceTitan). "
                f"Nothing was changed; please try again in a moment. (Reference: {reference})"
            )
            return [Reply(kind="error", text=text)]
        if guard is None:
            return await self.dialog.handle(key, asker, event)
        with guard.store.guarded(guard):
            return await self.dialog.handle(key, asker, event)

    async def _show_working(self, target: Target, text: str = WORKING_TEXT) -> str | None:
        """Tell the user the answer is on its way ("Working on it…"); the ts of that message when it
        can be replaced by the answer later (not an ephemeral one)."""
        message = render(Reply(kind="text", text=text))
        try:
            if target.ephemeral_for_reads and not target.is_dm:
                await self._post_ephemeral(target, message)
                return None
            answer = await post_message(
                self.client, channel=target.channel, thread_ts=target.thread_ts, **message
            )
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
            self.log.warning("could not say 'working on it' (%s)", _slack_error(exc))
            return None
        return str(answer.get("ts") or "") or None

    async def deliver(self, target: Target, replies: list[Reply], *, working: str | None = None) -> None:
        """Show the replies. `working`: the ts of a "Working on it…" message, which the first reply that
        is a new message takes the place of (and which is removed when no reply does)."""
        card_open = bool(target.card_ts or target.card_is_ephemeral)  # this turn came from a click on it
        for reply in replies:
            message = render(reply)
            if card_open and replaces_clicked_card(reply):
                card_open = False
                if await self._try_replace_card(target, message):
                    continue
            if reply.read_only and target.ephemeral_for_reads and not target.is_dm:
                await self._post_ephemeral(target, message)
            elif working is not None and await self._try_update(target, working, message):
                working = None
            else:
                await self._post(target, message)
        if working is not None:
            await self._remove(target, working)

    async def _try_update(self, target: Target, ts: str, message: JSON) -> bool:
        try:
            await self.client.chat_update(channel=target.channel, ts=ts, **message)
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
            self.log.warning("could not update 'working on it' (%s); posting instead", _slack_error(exc))
            return False
        return True

    async def _try_replace_card(self, target: Target, message: JSON) -> bool:
        """Replace the clicked card; False when there is none or Slack would not (after its retries), and
        the reply is then posted as a new message: a user always learns what became of their change."""
        try:
            return await self._replace_card(target, message)
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
            self.log.warning("could not replace the card (%s); posting the reply instead", _slack_error(exc))
            return False

    async def _replace_card(self, target: Target, message: JSON) -> bool:
        if target.card_ts:
            await self.client.chat_update(channel=target.channel, ts=target.card_ts, **message)
            return True
        if target.response_url:
            await AsyncWebhookClient(target.response_url, retry_handlers=retry_handlers()).send_dict(
                {"replace_original": True, **message}
            )
            return True
        return False

    async def _post(self, target: Target, message: JSON) -> None:
        post = post_message(self.client, channel=target.channel, thread_ts=target.thread_ts, **message)
        await self._or_respond(target, message, post)

    async def _post_ephemeral(self, target: Target, message: JSON) -> None:
        post = self.client.chat_postEphemeral(
            channel=target.channel, user=target.user, thread_ts=target.thread_ts, **message
        )
        await self._or_respond(target, message, post)

    async def _or_respond(self, target: Target, message: JSON, post: Awaitable[Any]) -> None:
        """Await `post`; when Slack says the bot can't reach the channel, answer through the slash
        command's response_url instead (ephemeral), if there is one."""
        try:
            await post
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            if not target.response_url or error not in UNREACHABLE_CHANNEL_ERRORS:
                raise
            await AsyncWebhookClient(target.response_url, retry_handlers=retry_handlers()).send_dict(
                {"response_type": "ephemeral", **message}
            )

    async def fail(self, error: BaseException, target: Target | None, *, home_user: str | None = None) -> str:
        """The error boundary: log the whole error under a short reference and tell the user that reference.

        The dialog saves nothing for a turn that raised, so the conversation is as it was and the user can
        simply try again. Returns the reference.
        """
        reference = uuid.uuid4().hex[:8]
        store_down = _caused_by_the_store(error)
        if store_down:  # expected while Redis is down: one line, not a traceback per message
            self.log.error("conversation store unavailable, reference %s: %s", reference, error)
        else:
            self.log.error("unexpected error, reference %s", reference, exc_info=error)
        try:
            if home_user is not None:
                view = {"type": "home", "blocks": render_apology(reference, store_down=store_down)["blocks"]}
                await self.client.views_publish(user_id=home_user, view=view)
            elif target is not None:
                await self.apologise(target, reference, store_down=store_down)
        except Exception:  # the apology itself failed (Slack down?): the log has it all
            self.log.exception("could not send the apology for reference %s", reference)
        return reference

    async def apologise(self, target: Target, reference: str, *, store_down: bool = False) -> None:
        """Tell the user something broke (only them, unless it is their DM with the bot)."""
        message = render_apology(reference, store_down=store_down)
        if target.is_dm:
            await self._post(target, message)
        else:
            await self._post_ephemeral(target, message)


async def _ours(guard: Guard | None) -> bool:
    """Whether this process has the event (a first delivery's guard asked now if nothing settled it yet);
    raises GuardRefused when another process has it."""
    if guard is not None and not await guard.settle():
        raise GuardRefused(guard)
    return True


def _caused_by_the_store(error: BaseException) -> bool:
    """Whether the conversation store (Redis) failing is what broke the turn."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, StoreError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False
