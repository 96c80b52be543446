"""The console demo: the whole bot in a terminal, on the embedded simulator (CONTRACT section 5).

`run_demo` wires the same parts the Slack app uses (the ServiceTitan client, the dialog store, the real
`DialogService`, and `bot.slack.blocks.render` for the cards) to a chat prompt instead of Slack. The only
code of its own is reading lines and drawing the Block Kit as text (bot/demo/drawing.py): a typed line
is a message, and typing the number shown beside a button or menu option presses it, through the same
action decoding as a Slack click.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, TextIO, cast
from zoneinfo import ZoneInfo

from bot.demo.drawing import Control, draw_message
from bot.dialog.messages import (
    ActionName,
    Asker,
    ConversationKey,
    Dialog,
    Event,
    PickedDate,
    Pressed,
    Reply,
    Role,
    Said,
)

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.servicetitan import ServiceTitanClient
    from bot.simulator import Simulator
    from bot.store import Store

log = logging.getLogger(__name__)

INDENT = "  "
QUIT_WORDS = frozenset({"quit", "exit", "/quit", "/exit"})
# ServiceTitan employee roles that make a linked user a manager (CONTRACT section 3, ROLE_MANAGERS).
MANAGER_ROLES = frozenset({"fieldmanager", "admin", "owner", "manager", "generalmanager"})

Render = Callable[[Reply], dict[str, Any]]
DecodeAction = Callable[[dict[str, Any]], Event | None]


class DemoError(Exception):
    """The demo cannot start (unknown --user, unreadable --seed); the message says why."""


# ---- who is talking -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoUser:
    """A person of the demo data the console can speak as."""

    name: str
    role: Role
    email: str | None = None
    technician_id: int | None = None
    employee_id: int | None = None
    st_role: str | None = None  # the ServiceTitan role, shown in the banner

    @property
    def user_id(self) -> str:
        # Shaped like a Slack user id so the dialog sees a realistic asker; stable per demo user.
        if self.technician_id is not None:
            return f"UDEMOT{self.technician_id}"
        return f"UDEMOE{self.employee_id}"

    def asker(self, tz: str) -> Asker:
        return Asker(
            user_id=self.user_id, tz=tz, role=self.role, name=self.name, technician_id=self.technician_id
        )


async def demo_users(client: ServiceTitanClient) -> list[DemoUser]:
    """Every active employee and technician of the ServiceTitan data, as users of the demo."""
    users: list[DemoUser] = []
    async for employee in client.iter_employees():
        if getattr(employee, "active", True) is False:
            continue
        st_role = str(getattr(employee, "role", "") or "")
        role: Role = "manager" if st_role.replace(" ", "").lower() in MANAGER_ROLES else "dispatcher"
        users.append(
            DemoUser(
                name=employee.name or f"Employee {employee.id}",
                role=role,
                email=getattr(employee, "email", None),
                employee_id=employee.id,
                st_role=st_role or None,
            )
        )
    async for technician in client.iter_technicians():
        if getattr(technician, "active", True) is False:
            continue
        users.append(
            DemoUser(
                name=technician.name or f"Technician {technician.id}",
                role="technician",
                email=getattr(technician, "email", None),
                technician_id=technician.id,
                st_role="Technician",
            )
        )
    return users


def pick_user(users: list[DemoUser], wanted: str | None) -> DemoUser:
    """The demo user named by `--user` (full name, e-mail, first name or part of a name); default a dispatcher."""
    if not users:
        raise DemoError("the ServiceTitan data has no employees or technicians to speak as")
    if wanted is None or not wanted.strip():
        dispatchers = [user for user in users if user.st_role and user.st_role.lower() == "dispatcher"]
        dispatchers = dispatchers or [user for user in users if user.role == "dispatcher"]
        if not dispatchers:
            raise DemoError("the ServiceTitan data has no dispatcher; pick a user with --user NAME")
        return dispatchers[0]
    needle = " ".join(wanted.lower().split())
    tests: list[Callable[[DemoUser], bool]] = [
        lambda user: user.name.lower() == needle,
        lambda user: (user.email or "").lower() == needle,
        lambda user: user.name.lower().split()[0] == needle if user.name.split() else False,
        lambda user: needle in user.name.lower() or needle in (user.email or "").lower(),
    ]
    for test in tests:
        found = [user for user in users if test(user)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            names = ", ".join(f"{user.name} ({user.role})" for user in found)
            raise DemoError(f"--user {wanted!r} matches several people: {names}; give the full name")
    names = ", ".join(f"{user.name} ({user.role})" for user in users)
    raise DemoError(f"no demo user matches --user {wanted!r}; the demo data has: {names}")


# ---- clicks -------------------------------------------------------------------------------------

ACTION_NAMES: tuple[str, ...] = ActionName.__args__  # type: ignore[attr-defined]


def default_decoder() -> DecodeAction:
    """The Slack app's own decoding of a block_actions item into an event, when bot.slack provides one."""
    from bot.slack import blocks

    for name in ("event_from_action", "decode_action", "action_to_event", "parse_action"):
        decoder = getattr(blocks, name, None)
        if callable(decoder):
            return decoder  # type: ignore[no-any-return]
    return decode_action


def decode_action(action: dict[str, Any]) -> Event | None:
    """A Slack block_actions item (as `Control.action` holds it) as a dialog event.

    Used only when bot.slack.blocks has no decoder of its own: it understands action ids that name an
    `ActionName` and button values of the form `token|value`, `{"action","value","token"}` JSON, or plain.
    """
    import json

    kind = action.get("type")
    action_id = str(action.get("action_id", ""))
    if kind in ("datepicker", "timepicker"):
        token = _token_from_ids(action)
        if kind == "datepicker" and action.get("selected_date"):
            return PickedDate(date=date.fromisoformat(action["selected_date"]), token=token)
        if kind == "timepicker" and action.get("selected_time"):
            return PickedDate(time=time.fromisoformat(action["selected_time"]), token=token)
        return None
    raw = action.get("value")
    if raw is None and action.get("selected_option"):
        raw = action["selected_option"].get("value")
    raw = "" if raw is None else str(raw)
    name = next((n for n in ACTION_NAMES if re.search(rf"(^|[^a-z]){n}($|[^a-z])", action_id)), None)
    value, token = raw, _token_from_ids(action)
    if raw.startswith("{"):
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        if isinstance(data, dict):
            name = data.get("action") or data.get("a") or name
            value = str(data.get("value", data.get("v", "")))
            token = str(data.get("token", data.get("t", token)))
    elif "|" in raw:
        token, _, value = raw.partition("|")
    if name not in ACTION_NAMES:
        name = "choose" if kind in ("static_select", "overflow", "radio_buttons") else None
    if name is None:
        return None
    return Pressed(action=cast(ActionName, name), value=value, token=token)


def _token_from_ids(action: dict[str, Any]) -> str:
    block_id = str(action.get("block_id", ""))
    return block_id.rpartition(":")[2] if ":" in block_id else ""


# ---- the conversation ---------------------------------------------------------------------------


@dataclass
class Console:
    """Reads what the user types, sends it to the dialog, and draws the replies."""

    dialog: Dialog
    asker: Asker
    key: ConversationKey
    out: TextIO
    render: Render
    decode: DecodeAction
    controls: dict[int, Control] = field(default_factory=dict)
    waiting_picker: Control | None = None  # a date/time picker pressed without a value: next line is it

    def write(self, *lines: str) -> None:
        for line in lines:
            self.out.write(line + "\n")
        self.out.flush()

    async def show(self, replies: list[Reply]) -> None:
        """Draw replies; the controls of this turn replace the previous ones (Slack updates the card)."""
        controls: dict[int, Control] = {}
        for reply in replies:
            drawing = draw_message(self.render(reply), first_number=len(controls) + 1)
            for control in drawing.controls:
                controls[control.number] = control
            self.write(*(INDENT + line if line else "" for line in drawing.lines))
        self.controls = controls
        self.write("")

    async def send(self, event: Event) -> None:
        try:
            replies = await self.dialog.handle(self.key, self.asker, event)
        except Exception:  # one error boundary, as in the Slack app: say sorry, keep the conversation
            reference = uuid.uuid4().hex[:8]
            log.exception("demo turn failed (ref %s)", reference)
            self.write(f"{INDENT}Sorry, something went wrong (ref {reference}). Please try again.", "")
            return
        await self.show(replies)

    async def line(self, text: str) -> bool:
        """Handle one typed line; False when the user asked to quit."""
        text = text.strip()
        if self.waiting_picker is not None:
            picker, self.waiting_picker = self.waiting_picker, None
            await self.pick(picker, text)
            return True
        if not text:
            return True
        if text.lower() in QUIT_WORDS:
            return False
        number, _, rest = text.partition(" ")
        control = self.controls.get(int(number)) if number.isdigit() else None
        if control is None:
            await self.send(Said(text=text))
        elif control.kind in ("date", "time"):
            if rest.strip():
                await self.pick(control, rest.strip())
            else:
                self.waiting_picker = control
                example = "YYYY-MM-DD" if control.kind == "date" else "HH:MM"
                self.write(f"{INDENT}Type the new {control.kind} ({example}):")
        elif rest.strip():
            await self.send(Said(text=text))  # "2 technicians..." is a sentence, not a press
        else:
            await self.press(control.action)
        return True

    async def press(self, action: dict[str, Any]) -> None:
        event = self.decode(action)
        if event is None:
            self.write(f"{INDENT}(that control does nothing in the console)", "")
            return
        await self.send(event)

    async def pick(self, control: Control, text: str) -> None:
        parsed = parse_picked(control.kind, text, tz=self.asker.tz)
        if parsed is None:
            example = "2026-12-01" if control.kind == "date" else "14:30"
            self.write(f"{INDENT}{text!r} is not a {control.kind}; type {control.number} {example}.", "")
            return
        key = "selected_date" if control.kind == "date" else "selected_time"
        await self.press(dict(control.action, **{key: parsed}))


def parse_picked(kind: str, text: str, *, tz: str) -> str | None:
    """A typed date (YYYY-MM-DD, or words like "friday") or time (HH:MM, "2pm") in the picker's format."""
    text = text.strip()
    try:
        if kind == "date":
            return date.fromisoformat(text).isoformat()
        clock = re.fullmatch(r"(\d{1,2}):(\d{2})", text)
        if clock:
            return time(int(clock.group(1)), int(clock.group(2))).strftime("%H:%M")
    except ValueError:
        return None
    try:
        from intents import parse_slot
    except ImportError:
        return None
    value = parse_slot("when", text, now=datetime.now(ZoneInfo(tz)), tz=tz)
    if not isinstance(value, dict):
        return None
    if kind == "date":
        return str(value["date"]) if value.get("date") else None
    return str(value["start"]) if value.get("start") else None


# ---- the demo world -----------------------------------------------------------------------------


@dataclass
class DemoWorld:
    """Everything the demo runs on, in-process: the simulator, the client to it, the store, the dialog."""

    client: ServiceTitanClient
    simulator: Simulator
    store: Store
    dialog: Dialog
    user: DemoUser
    asker: Asker
    key: ConversationKey
    examples: list[str]

    async def aclose(self) -> None:
        await self.client.aclose()
        await self.store.aclose()


async def open_demo(
    settings: Settings,
    *,
    seed: dict[str, Any] | None = None,
    user: str | None = None,
    clock: Callable[[], datetime] | None = None,
) -> DemoWorld:
    """Start the simulator (demo data or `seed`), the client, the in-process store and the real dialog."""
    from bot.dialog.service import DialogService
    from bot.servicetitan.embedded import embedded_client
    from bot.store import MemoryStore

    now = clock() if clock else None
    client, simulator = embedded_client(seed, now=now, clock=clock)
    store = MemoryStore()
    try:
        demo_user = pick_user(await demo_users(client), user)
        asker = demo_user.asker(settings.st_timezone)
        dialog_kwargs: dict[str, Any] = {"clock": clock} if clock else {}
        dialog = DialogService(
            client=client,
            store=store,
            tz=settings.st_timezone,
            idle_minutes=settings.dialog_ttl_minutes,
            **dialog_kwargs,
        )
        examples = await example_sentences(client, tz=settings.st_timezone, now=now)
    except BaseException:
        await client.aclose()
        await store.aclose()
        raise
    key = ConversationKey(team="TDEMO", channel="DCONSOLE", thread="", user=asker.user_id)
    return DemoWorld(client, simulator, store, dialog, demo_user, asker, key, examples)


async def example_sentences(client: ServiceTitanClient, *, tz: str, now: datetime | None = None) -> list[str]:
    """Three sentences that work on the data being served, with its real job ids.

    A reschedule of a job with one upcoming appointment, an assignment by a first name two technicians
    share (so the bot asks which one), and a look at a job that is on hold or canceled (or any job).
    """
    zone = ZoneInfo(tz)
    today = (now or datetime.now(zone)).astimezone(zone)
    upcoming: dict[int, list[Any]] = {}
    async for appointment in client.iter_appointments(starts_on_or_after=today):
        upcoming.setdefault(appointment.job_id, []).append(appointment)
    scheduled: list[Any] = []
    on_hold_or_canceled: list[Any] = []
    any_job: list[Any] = []
    async for job in client.iter_jobs():
        any_job.append(job)
        status = str(job.job_status or "").lower()
        if status == "scheduled" and job.id in upcoming:
            scheduled.append(job)
        elif status in ("hold", "onhold", "on hold", "canceled", "cancelled"):
            on_hold_or_canceled.append(job)
    scheduled.sort(key=lambda job: job.id)
    examples: list[str] = []
    single = [job for job in scheduled if len(upcoming[job.id]) == 1]
    if single:
        job = single[0]
        start = upcoming[job.id][0].start.astimezone(zone).date()
        day = _another_weekday(today.date(), avoid=start)
        examples.append(f"reschedule job {job.id} to {day.strftime('%A').lower()}")
    shared = await _shared_first_name(client)
    others = [job for job in scheduled if not examples or str(job.id) not in examples[0]]
    if shared and others:
        examples.append(f"assign {shared} to job {others[0].id}")
    shown = on_hold_or_canceled or any_job
    if shown:
        examples.append(f"show job {sorted(shown, key=lambda job: job.id)[0].id}")
    return examples


def _another_weekday(today: date, *, avoid: date) -> date:
    """A weekday two to eight days ahead that is not `avoid`, so a reschedule there is a real change."""
    day = today + timedelta(days=2)
    while day.weekday() >= 5 or day == avoid:
        day += timedelta(days=1)
    return day


async def _shared_first_name(client: ServiceTitanClient) -> str | None:
    first_names: dict[str, int] = {}
    async for technician in client.iter_technicians():
        if getattr(technician, "active", True) is False or not technician.name:
            continue
        first = technician.name.split()[0]
        first_names[first] = first_names.get(first, 0) + 1
    shared = sorted(name for name, count in first_names.items() if count > 1)
    return shared[0] if shared else None


def banner(world: DemoWorld, *, tz: str) -> list[str]:
    user = world.user
    who = f"{user.name} ({user.st_role or user.role})"
    lines = [
        "stbot console demo: the Slack bot on the built-in ServiceTitan simulator. No credentials needed.",
        f"You are {who}. Times are in {tz}.",
        "Type as you would in Slack, for example:",
    ]
    lines += [f"    {example}" for example in world.examples]
    lines += [
        "Type a number [N] to press that button or menu option, `help` for what you can ask,",
        "and `quit` (or Ctrl-D) to leave.",
        "",
    ]
    return lines


# ---- running it ---------------------------------------------------------------------------------


def run_demo(
    settings: Settings,
    *,
    seed: str | None = None,
    user: str | None = None,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
) -> int:
    """Run the console demo until end of input, `quit` or Ctrl-C; returns the process exit status."""
    interactive = _isatty(stdin)
    with asyncio.Runner() as runner:
        try:
            seed_data = _load_seed(seed) if seed else None
            world = runner.run(open_demo(settings, seed=seed_data, user=user))
        except DemoError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            return 130
        try:
            console = Console(
                dialog=world.dialog,
                asker=world.asker,
                key=world.key,
                out=stdout,
                render=_slack_render(),
                decode=default_decoder(),
            )
            console.write(*banner(world, tz=settings.st_timezone))
            _converse(runner, console, stdin, interactive=interactive)
        finally:
            runner.run(world.aclose())
    return 0


def _converse(runner: asyncio.Runner, console: Console, stdin: TextIO, *, interactive: bool) -> None:
    while True:
        try:
            line = _read_line(stdin, console.out, interactive=interactive)
        except (KeyboardInterrupt, EOFError):
            line = None
        if line is None:
            if interactive:
                console.write("")
            return
        if not interactive:
            console.write(f"> {line}")  # echo, so a piped run reads as a transcript
        try:
            if not runner.run(console.line(line)):
                return
        except KeyboardInterrupt:
            console.write("", "(interrupted)")
            return


def _read_line(stdin: TextIO, out: TextIO, *, interactive: bool) -> str | None:
    if interactive and stdin is sys.stdin and out is sys.stdout:
        return input("> ")  # line editing when a person is typing
    if interactive:
        out.write("> ")
        out.flush()
    line = stdin.readline()
    if not line:
        return None
    return line.rstrip("\r\n")


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _load_seed(path: str) -> dict[str, Any]:
    from bot.simulator import load_seed

    try:
        return load_seed(path)
    except (OSError, ValueError) as exc:
        raise DemoError(f"cannot read --seed {path}: {exc}") from exc


def _slack_render() -> Render:
    from bot.slack.blocks import render

    return render
