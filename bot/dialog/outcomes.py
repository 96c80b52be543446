"""What settling a pending write step by step (`bot.dialog.resolve`) comes to: a lookup, a question, a
choice, a rejected slot, a dead end, or the plan to confirm."""

from __future__ import annotations

from dataclasses import dataclass

from bot.dialog.state import Load, Plan


@dataclass(frozen=True)
class NeedLoad:
    load: Load


@dataclass(frozen=True)
class AskFor:
    slot: str


@dataclass(frozen=True)
class Offer:
    slot: str
    prompt: str
    options: list[tuple[str, str]]


@dataclass(frozen=True)
class Reject:
    """A slot value that ServiceTitan contradicts: clear `clear`, tell `problem`, and go on."""

    clear: tuple[str, ...]
    problem: str
    final: bool = False  # the record is already as asked (`Settled`): the request ends, nothing asked again


class Settled(str):
    """A write's problem that says the record is already as the write would leave it ("already
    confirmed", "already canceled"): no other value would help, so the request ends there."""


@dataclass(frozen=True)
class Stop:
    problem: str


@dataclass(frozen=True)
class Ready:
    plan: Plan


Outcome = NeedLoad | AskFor | Offer | Reject | Stop | Ready
