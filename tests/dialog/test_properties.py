"""Properties of whole conversations, over random mixes of requests, answers, corrections and clicks:

- the dialog never raises and every reply has text;
- ServiceTitan is written to only on a turn that confirms (the confirm button, or "yes" at a confirmation);
- every confirmation card has exactly one primary button, "confirm", and a token.

Bounded: a few dozen conversations of at most seven turns, on the in-process store and the simulator.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.dialog.messages import Asker, ConversationKey, PickedDate, Pressed, Reply, Said
from bot.dialog.service import DialogService
from bot.servicetitan.embedded import embedded_client
from bot.store import MemoryStore
from tests.dialog.seed import build_seed

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
TZ = "America/Chicago"
UTTERANCES = [
    "move job 1001 to friday",
    "reschedule job 1002 to monday 3pm",
    "reschedule",
    "assign Mike to job 1005",
    "unassign James from job 1008",
    "cancel job 1007",
    "put appointment 5002 on hold",
    "uncancel job 1004",
    "add a note to job 1001",
    "book a drain cleaning for customer 202 tomorrow morning",
    "delete appointment 5006",
    "show job 1004",
    "find scheduled jobs next week",
    "no, thursday",
    "actually 3pm",
    "make it Sarah",
    "the second one",
    "2",
    "1001",
    "waiting for parts",
    "yes",
    "no",
    "never mind",
    "help",
    "asdf qwerty",
    "",
]
CONFIRM_TEXT = {"yes"}

turns = st.lists(
    st.one_of(
        st.sampled_from(UTTERANCES).map(lambda t: ("say", t)),
        st.sampled_from(["confirm", "abandon", "choose", "undo", "more", "resume", "switch", "keep"]).map(
            lambda a: ("press", a)
        ),
        st.just(("pick", "")),
    ),
    min_size=1,
    max_size=7,
)


async def _conversation(script: list[tuple[str, str]]) -> None:
    client, sim = embedded_client(build_seed(), now=NOW)
    service = DialogService(client=client, store=MemoryStore(), tz=TZ, clock=lambda: NOW)
    key = ConversationKey(team="T", channel="C", thread="", user="U")
    asker = Asker(user_id="U", tz=TZ, role="dispatcher")
    history: list[Reply] = []
    try:
        for kind, value in script:
            token = next((r.token for r in reversed(history) if r.token), "")
            if kind == "say":
                event: Said | Pressed | PickedDate = Said(text=value)
            elif kind == "pick":
                event = PickedDate(date=NOW.date().replace(day=30), token=token)
            else:
                chosen = ""
                if value == "choose":
                    menu = next((r.choice for r in reversed(history) if r.choice), None)
                    chosen = menu.options[0].value if menu and menu.options else ""
                event = Pressed(action=value, value=chosen, token=token)  # type: ignore[arg-type]
            before = sim.write_count
            replies = await service.handle(key, asker, event)
            history.extend(replies)
            confirming = (kind == "press" and value == "confirm") or (kind == "say" and value in CONFIRM_TEXT)
            assert sim.write_count - before <= (1 if confirming else 0), (script, kind, value)
            for reply in replies:
                assert reply.text.strip()
                if reply.kind == "confirm":
                    primary = [b for b in reply.buttons if b.style == "primary"]
                    assert [b.action for b in primary] == ["confirm"] and reply.token
    finally:
        await client.aclose()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(script=turns)
def test_random_conversations_write_only_when_confirmed(script: list[tuple[str, str]]) -> None:
    asyncio.run(_conversation(script))
