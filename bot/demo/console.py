"""The console demo: the whole bot in a terminal, on the embedded simulator (CONTRACT section 5).

`run_demo` wires the same parts the Slack app uses (the ServiceTitan client, the dialog store, the real
`DialogService`, and `bot.slack.blocks.render` for the cards) to a chat prompt instead of Slack. The only
code of its own is reading lines and drawing the Block Kit as text (bot/demo/drawing.py): a typed line
is a message, and typing the number shown beside a button or menu option presses it, through the same
action decoding as a Slack click. A hold or cancel made in a turn is followed by the managers' alert it
gives (bot/demo/alerts.py).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any, TextIO
from zoneinfo import ZoneInfo

from bot.demo.alerts import DemoAlerts, decode_action, manager_name, start_alerts
from bot.demo.drawing import Control, draw_message
from bot.dialog.examples import example_sentences, technician_examples
from bot.dialog.messages import Asker, ConversationKey, Dialog, Event, Reply, Said
from bot.roles import MANAGER_EMPLOYEE_ROLES, TECHNICIAN_EMPLOYEE_ROLE_PREFIXES, StaffMember, resolve_asker
from bot.slack.blocks import ACTION_UNDO, render, render_home

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.servicetitan import ServiceTitanClient
    from bot.simulator import Simulator
    from bot.store import Store

log = logging.getLogger(__name__)

INDENT = "  "
QUIT_WORDS = frozenset({"quit", "exit", "/quit", "/exit"})

Render = Callable[[Reply], dict[str, Any]]
# bot.slack.blocks.event_from_action: a block_actions item (and the payload's state.values) -> event.
DecodeAction = Callable[[dict[str, Any], dict[str, Any] | None], Event | None]


class DemoError(Exception):
    """The demo cannot start (unknown --user, unreadable --seed); the message says why."""


# ---- who is talking -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoUser:
    """A person of the ServiceTitan data the console can speak as (an office employee or a technician)."""

    name: str
    email: str | None
    st_role: str  # the ServiceTitan role ("Dispatcher", "FieldManager", ...; "Technician" for technicians)
    employee_id: int | None = None
    technician_id: int | None = None

    @property
    def user_id(self) -> str:
        # Shaped like a Slack user id so the dialog sees a realistic asker; stable per demo user.
        if self.technician_id is not None:
            return f"UDEMOT{self.technician_id}"
        return f"UDEMOE{self.employee_id}"


@dataclass(frozen=True)
class Staff:
    """The tenant's active employees and technicians: the demo's users, linked as the Slack app links them."""

    employees: list[StaffMember]
    technicians: list[StaffMember]

    @property
    def users(self) -> list[DemoUser]:
        office = [
            DemoUser(name=e.name, email=e.email or None, st_role=e.role, employee_id=e.id)
            for e in self.employees
            if not e.role.startswith(TECHNICIAN_EMPLOYEE_ROLE_PREFIXES)
        ]
        field_staff = [
            DemoUser(name=t.name, email=t.email or None, st_role="Technician", technician_id=t.id)
            for t in self.technicians
        ]
        return office + field_staff

    def asker(self, user: DemoUser, tz: str) -> Asker:
        """The asker the Slack app would resolve for this person (linked by e-mail, no role lists)."""
        return resolve_asker(
            user_id=user.user_id,
            tz=tz,
            name=user.name,
            email=user.email,
            dispatchers=frozenset(),
            managers=frozenset(),
            employees=self.employees,
            technicians=self.technicians,
        )


async def load_staff(client: ServiceTitanClient) -> Staff:
    async def members(items: AsyncIterator[Any]) -> list[StaffMember]:
        found = []
        async for item in items:
            if item.active is False:
                continue
            role = str(getattr(item, "role", "") or "")
            found.append(StaffMember(id=item.id, name=item.name, email=item.email or "", role=role))
        return sorted(found, key=lambda member: member.id)

    return Staff(
        employees=await members(client.iter_employees()),
        technicians=await members(client.iter_technicians()),
    )


def pick_user(users: list[DemoUser], wanted: str | None) -> DemoUser:
    """The demo user named by `--user` (full name, e-mail, first name or part of a name); default a dispatcher."""
    if not users:
        raise DemoError(f"--user {wanted!r}: the ServiceTitan data has no employees or technicians")
    if wanted is None or not wanted.strip():
        # ServiceTitan's role for dispatchers is "Dispatch"; else any office employee who is no manager
        # (a CSR, say), whom the Slack app would treat as a dispatcher too.
        dispatchers = [user for user in users if user.st_role.lower().startswith("dispatch")] or [
            user
            for user in users
            if user.employee_id is not None and user.st_role not in MANAGER_EMPLOYEE_ROLES
        ]
        if not dispatchers:
            raise DemoError("the ServiceTitan data has no dispatcher; pick a user with --user NAME")
        return dispatchers[0]
    needle = " ".join(wanted.lower().split())
    tests: list[Callable[[DemoUser], bool]] = [
        lambda user: user.name.lower() == needle,
        lambda user: (user.email or "").lower() == needle,
        lambda user: user.name.lower().split()[:1] == [needle],
        lambda user: needle in user.name.lower() or needle in (user.email or "").lower(),
    ]
    for test in tests:
        found = [user for user in users if test(user)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            names = ", ".join(f"{user.name} ({user.st_role})" for user in found)
            raise DemoError(f"--user {wanted!r} matches several people: {names}; give the full name")
    names = ", ".join(f"{user.name} ({user.st_role})" for user in users)
    raise DemoError(f"no demo user matches --user {wanted!r}; the demo data has: {names}")


# ---- the conversation ---------------------------------------------------------------------------


ALERTS_KEPT = 3
"""How many recent messages that stay in the channel (alerts, a change's result with its Undo button) keep
their buttons pressable in later turns."""


@dataclass
class Console:
    """Reads what the user types, sends it to the dialog, and draws the replies."""

    dialog: Dialog
    asker: Asker
    key: ConversationKey
    out: TextIO
    render: Render
    decode: DecodeAction
    clock: Callable[[], datetime] | None = None  # for dates typed in words ("friday"); default: now
    controls: dict[int, Control] = field(default_factory=dict)
    state_values: dict[str, Any] = field(default_factory=dict)  # pickers' values shown, as Slack sends them
    waiting_picker: Control | None = None  # a date/time picker pressed without a value: next line is it
    alerts: DemoAlerts | None = None  # managers' alerts of the changes a turn made, drawn after its replies
    # The buttons of the last few messages that stay in the channel (alerts; a change's result with its Undo
    # button), pressable in later turns as in Slack, while the dialog's own cards are replaced turn by turn.
    # Each is (the message's first line, its controls by number); a number a newer message draws moves the
    # kept button to a free number, said under the turn ("still pressable: [4] Undo · Reschedule job 1009").
    alert_controls: list[tuple[str, dict[int, Control]]] = field(default_factory=list)

    def write(self, *lines: str) -> None:
        for line in lines:
            self.out.write(line + "\n")
        self.out.flush()

    async def show(self, replies: list[Reply], notices: Sequence[tuple[str, dict[str, Any]]] = ()) -> None:
        """Draw replies, then `notices` (alert messages with a caption saying who gets them); the controls
        of this turn replace the previous ones (Slack updates the card), except the buttons of the last
        `ALERTS_KEPT` alert messages (an alert stays in the channel, its buttons pressable as in Slack): they
        keep their numbers while no newer message draws the same number."""
        controls: dict[int, Control] = {}
        state_values: dict[str, Any] = {}
        messages: list[tuple[str | None, dict[str, Any]]] = [(None, self.render(r)) for r in replies]
        messages += notices
        name = self.alerts.name_mentions if self.alerts else str  # Slack shows a mention as the name
        fresh: list[tuple[str, dict[int, Control]]] = []
        for caption, message in messages:
            drawing = draw_message(message, first_number=len(controls) + 1)
            for control in drawing.controls:
                controls[control.number] = control
            state_values.update(drawing.state_values)
            lines = [name(line) for line in drawing.lines]
            if caption is not None:
                lines = ["", caption, *lines]
            if drawing.controls and (caption is not None or _stays(drawing.controls)):
                first = next((line for line in drawing.lines if line.strip()), "")
                fresh.append((first.strip(), {c.number: c for c in drawing.controls}))
            self.write(*(INDENT + line if line else "" for line in lines))
        kept = self.alert_controls[-(ALERTS_KEPT - len(fresh)) :] if len(fresh) < ALERTS_KEPT else []
        drawn = set(controls)
        moved: list[str] = []
        taken = drawn | {n for _, each in kept for n in each}
        renumbered: list[tuple[str, dict[int, Control]]] = []
        for title, each in kept:
            again: dict[int, Control] = {}
            for number, control in each.items():
                if number in drawn:  # a newer message drew this number: the kept button gets a free one
                    number = max(taken) + 1
                    taken.add(number)
                    moved.append(f"[{number}] {control.label} · {title}")
                again[number] = replace(control, number=number)
            renumbered.append((title, again))
        self.alert_controls = (renumbered + fresh)[-ALERTS_KEPT:]
        held = {n: c for _, each in self.alert_controls for n, c in each.items()}
        self.controls = {**held, **controls}
        self.state_values = state_values
        if moved:
            self.write(f"{INDENT}(still pressable: {'; '.join(moved)})")
        self.write("")

    async def send(self, event: Event) -> None:
        try:
            replies = await self.dialog.handle(self.key, self.asker, event)
        except Exception:  # one error boundary, as in the Slack app: say sorry, keep the conversation
            reference = uuid.uuid4().hex[:8]
            log.exception("demo turn failed (ref %s)", reference)
            self.write(f"{INDENT}Sorry, something went wrong (ref {reference}). Please try again.", "")
            return
        await self.show(replies, await self.alert_notices())

    async def alert_notices(self) -> list[tuple[str, dict[str, Any]]]:
        """The managers' alerts for what changed in ServiceTitan during the turn (bot/demo/alerts.py)."""
        if self.alerts is None:
            return []
        try:
            return await self.alerts.notices()
        except Exception:  # alerts are an extra: the conversation goes on without them
            log.exception("demo: the alerts could not be read")
            return []

    async def line(self, text: str) -> bool:
        """Handle one typed line; False when the user asked to quit."""
        text = text.strip()
        if text.lower() in QUIT_WORDS:
            return False
        if self.waiting_picker is not None:
            picker, self.waiting_picker = self.waiting_picker, None
            if text:
                await self.pick(picker, text)
            else:
                self.write(f"{INDENT}(nothing typed: the {picker.kind} was left as it was)", "")
            return True
        if not text:
            return True
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
        event = self.decode(action, self.state_values)
        if event is None:
            self.write(f"{INDENT}(that control does nothing in the console)", "")
            return
        await self.send(event)

    async def pick(self, control: Control, text: str) -> None:
        now = self.clock() if self.clock else datetime.now(ZoneInfo(self.asker.tz))
        parsed = parse_picked(control.kind, text, now=now, tz=self.asker.tz)
        if parsed is None:
            example = "2026-12-01" if control.kind == "date" else "14:30"
            self.write(f"{INDENT}{text!r} is not a {control.kind}; type {control.number} {example}.", "")
            return
        key = "selected_date" if control.kind == "date" else "selected_time"
        await self.press(dict(control.action, **{key: parsed}))


def _stays(controls: list[Control]) -> bool:
    """Whether a message stays pressable after the turn: a change's result with its Undo button (Slack keeps
    the message; the dialog's cards and questions are replaced by the next turn)."""
    return any(str(c.action.get("action_id", "")).partition(":")[0] == ACTION_UNDO for c in controls)


def parse_picked(kind: str, text: str, *, now: datetime, tz: str) -> str | None:
    """A typed date (2026-12-01, or words like "friday") or time (14:30, "2pm") in the picker's format."""
    from intents import parse_slot

    text = text.strip()
    exact = r"\d{4}-\d{1,2}-\d{1,2}" if kind == "date" else r"(\d{1,2}):(\d{2})"
    match = re.fullmatch(exact, text)
    if match:
        try:
            if kind == "date":
                return date(*map(int, text.split("-"))).isoformat()
            return time(int(match.group(1)), int(match.group(2))).strftime("%H:%M")
        except ValueError:  # 2026-02-30, 25:00
            return None
    value = parse_slot("when", text, now=now, tz=tz)
    if not isinstance(value, dict):
        return None
    found = value.get("date") if kind == "date" else value.get("start")
    return str(found) if found else None


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
    data: str | None = None  # the seed file the simulator was started with; None for its demo data
    alerts: DemoAlerts | None = None  # managers' alerts of the changes made in the demo

    def console(self, out: TextIO, *, clock: Callable[[], datetime] | None = None) -> Console:
        """A console on this world drawing with the Slack app's renderer and decoding its controls."""
        return Console(
            dialog=self.dialog,
            asker=self.asker,
            key=self.key,
            out=out,
            render=render,
            decode=decode_action,
            clock=clock,
            alerts=self.alerts,
        )

    async def home(self) -> list[str]:
        """The user's App Home (their role; a technician's appointments today), drawn as in Slack's Home tab."""
        reply = await self.dialog.home(self.asker)
        return draw_message(render_home(reply)).lines

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
    try:
        client, simulator = embedded_client(seed, now=now, clock=clock, rate_limited=True)
    except (ValueError, KeyError, TypeError) as exc:  # a seed whose records the simulator cannot load
        raise DemoError(f"the seed data cannot be loaded: {exc}") from exc
    store = MemoryStore()
    try:
        staff = await load_staff(client)
        if not staff.users and user is None:
            # Data with no staff at all (a hand-written seed): still let the demo speak as a dispatcher.
            demo_user = DemoUser(name="Demo dispatcher", email=None, st_role="none, the data has no staff")
            asker = Asker(
                user_id=demo_user.user_id, tz=settings.st_timezone, role="dispatcher", name=demo_user.name
            )
        else:
            demo_user = pick_user(staff.users, user)
            asker = staff.asker(demo_user, settings.st_timezone)
        dialog_kwargs: dict[str, Any] = {"clock": clock} if clock else {}
        dialog = DialogService(
            client=client,
            store=store,
            tz=settings.st_timezone,
            idle_minutes=settings.dialog_ttl_minutes,
            notify=_demo_notify,  # no Slack here: a technician's running-late notice is only acknowledged
            alert_channel=settings.alert_channel or "CDEMODISPATCH",
            **dialog_kwargs,
        )
        try:
            alerts: DemoAlerts | None = await start_alerts(
                client,
                store,
                tz=settings.st_timezone,
                manager=manager_name(staff.employees),
                people={person.user_id: person.name for person in staff.users},
                clock=clock,
            )
        except Exception:  # alerts are an extra: the demo runs without them
            log.exception("demo: the alerts could not be started")
            alerts = None
        if asker.role == "technician" and asker.technician_id is not None:
            examples = await technician_examples(
                client, asker.technician_id, tz=settings.st_timezone, now=now
            )
        else:
            examples = await example_sentences(client, tz=settings.st_timezone, now=now)
    except BaseException:
        await client.aclose()
        await store.aclose()
        raise
    key = ConversationKey(team="TDEMO", channel="DCONSOLE", thread="", user=asker.user_id)
    return DemoWorld(client, simulator, store, dialog, demo_user, asker, key, examples, alerts=alerts)


async def _demo_notify(target: str, text: str) -> bool:
    return True


def banner(world: DemoWorld, *, tz: str, home: list[str] | None = None) -> list[str]:
    """What the demo shows first: who is talking, their App Home (`home`), example sentences, the keys."""
    user = world.user
    if user.employee_id is None and user.technician_id is None:
        who = "a dispatcher (the data has no staff to speak as)"
    else:
        who = f"{user.name}, {world.asker.role} (ServiceTitan role: {user.st_role})"
    data = f"the data of {world.data}" if world.data else "its demo data"
    lines = [
        f"stbot console demo: the Slack bot on the built-in ServiceTitan simulator with {data}.",
        f"You are {who}. Times are in {tz}.",
    ]
    if home:
        lines += ["", *(INDENT + line if line else "" for line in home), ""]
    if world.examples:
        lines.append("Type as you would in Slack, for example:")
        lines += [f"    {example}" for example in world.examples]
    else:
        lines.append("Type as you would in Slack.")
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
    # Cards use a few non-ASCII marks (─ → ⚠); a terminal that cannot show them gets "?", not a crash.
    for stream in (stdin, stdout):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="replace")
    with asyncio.Runner() as runner:
        try:
            seed_data = _load_seed(seed) if seed else None
            world = runner.run(open_demo(settings, seed=seed_data, user=user))
            world.data = seed
        except DemoError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            return 130
        try:
            run_console(runner, world, stdin=stdin, stdout=stdout, tz=settings.st_timezone)
        except BrokenPipeError:
            # The reader went away (`python -m bot demo | head`): stop quietly, like other CLI tools.
            _silence(stdout)
        finally:
            runner.run(world.aclose())
    return 0


def _silence(stream: TextIO) -> None:
    """Point a closed pipe's file descriptor at /dev/null so the interpreter's final flush stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def run_console(
    runner: asyncio.Runner,
    world: DemoWorld,
    *,
    stdin: TextIO,
    stdout: TextIO,
    tz: str,
    clock: Callable[[], datetime] | None = None,
) -> None:
    """The banner, then one turn per line of `stdin` until its end, `quit` or Ctrl-C."""
    console = world.console(stdout, clock=clock)
    try:
        home = runner.run(world.home())
    except Exception:  # the start screen is a nicety: the conversation works without it
        log.exception("demo: the App Home could not be drawn")
        home = []
    console.write(*banner(world, tz=tz, home=home))
    converse(runner, console, stdin, interactive=_isatty(stdin))


def converse(runner: asyncio.Runner, console: Console, stdin: TextIO, *, interactive: bool) -> None:
    """Read lines and hand them to the console; when piped, echo them so the output reads as a transcript."""
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
            console.write(f"> {line}")
        try:
            if not runner.run(console.line(line)):
                return
        except KeyboardInterrupt:
            console.write("", "(interrupted)")
            return


def _read_line(stdin: TextIO, out: TextIO, *, interactive: bool) -> str | None:
    if interactive and stdin is sys.stdin and out is sys.stdout:
        try:
            import readline  # noqa: F401  (gives input() line editing and history)
        except ImportError:
            pass
        return input("> ")
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
    except (OSError, ValueError) as exc:  # SeedError says which file and why
        raise DemoError(str(exc)) from exc
