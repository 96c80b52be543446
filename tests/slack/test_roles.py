"""Roles (CONTRACT section 3): the pure rule, and the resolver over the simulator's staff with caching."""

from __future__ import annotations

from typing import Any

import pytest

from bot.roles import RoleResolver, StaffMember, resolve_asker
from bot.servicetitan.embedded import embedded_client
from bot.servicetitan.errors import Unavailable
from bot.simulator import FaultConfig
from bot.store import MemoryStore

EMPLOYEES = [
    StaffMember(id=61, name="Dana Reyes", email="dana@example.com", role="Dispatch"),
    StaffMember(id=62, name="Morgan Blake", email="Morgan@Example.com", role="FieldManager"),
    StaffMember(id=64, name="Pat Kim", email="pat@example.com", role="Admin"),
    StaffMember(id=65, name="Olga Owner", email="olga@example.com", role="Owner"),
    StaffMember(id=66, name="Tech Employee", email="tech@example.com", role="TechnicianService"),
]
TECHNICIANS = [
    StaffMember(id=41, name="Mike Carter", email="mike@example.com"),
    StaffMember(id=42, name="Tech Employee", email="tech@example.com"),
    StaffMember(id=43, name="Dana Reyes", email="dana@example.com"),
]


def resolve(email: str | None, *, user_id: str = "U1", **kwargs: Any):  # type: ignore[no-untyped-def]
    base: dict[str, Any] = {"dispatchers": frozenset(), "managers": frozenset()}
    base.update(kwargs)
    return resolve_asker(user_id=user_id, tz="America/Chicago", name=None, email=email, employees=EMPLOYEES,
                         technicians=TECHNICIANS, **base)  # fmt: skip


@pytest.mark.parametrize(
    ("email", "role", "technician_id"),
    [
        ("dana@example.com", "dispatcher", 43),  # an employee who is also a technician keeps the link
        ("morgan@example.com", "manager", None),  # e-mail case does not matter
        ("pat@example.com", "manager", None),
        ("olga@example.com", "manager", None),
        ("mike@example.com", "technician", 41),
        ("tech@example.com", "technician", 42),  # a technician's employee record is not office staff
        ("stranger@example.com", "guest", None),
        (None, "guest", None),  # no e-mail visible (no users:read.email): nobody to link
    ],
)
def test_linked_by_email_when_no_role_lists(email: str | None, role: str, technician_id: int | None) -> None:
    asker = resolve(email)
    assert (asker.role, asker.technician_id) == (role, technician_id)


def test_a_linked_user_gets_the_staff_name_when_slack_has_none() -> None:
    assert resolve("mike@example.com").name == "Mike Carter"


def test_role_lists_alone_grant_office_roles_when_set() -> None:
    lists = {"dispatchers": frozenset({"U1", "S0DISP"}), "managers": frozenset({"S0MGR"})}
    assert resolve("stranger@example.com", **lists).role == "dispatcher"
    assert resolve(None, user_id="U2", member_of=frozenset({"S0MGR"}), **lists).role == "manager"
    assert resolve(None, user_id="U3", member_of=frozenset({"S0DISP"}), **lists).role == "dispatcher"
    # a manager in the lists who is in both lists is a manager
    assert resolve(None, user_id="U1", member_of=frozenset({"S0MGR"}), **lists).role == "manager"
    # with lists set, an employee e-mail alone is not enough; technicians still link
    assert resolve("morgan@example.com", user_id="U9", **lists).role == "guest"
    mike = resolve("mike@example.com", user_id="U9", **lists)
    assert (mike.role, mike.technician_id) == ("technician", 41)


class CountingStaff:
    """The simulator's staff lists, counting how often they are fetched."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.fetches = 0

    def iter_employees(self, **filters: Any) -> Any:
        self.fetches += 1
        return self.client.iter_employees(**filters)

    def iter_technicians(self, **filters: Any) -> Any:
        self.fetches += 1
        return self.client.iter_technicians(**filters)


async def test_resolver_links_simulator_staff_and_caches_the_lists() -> None:
    client, _sim = embedded_client()
    async with client:
        staff = CountingStaff(client)
        resolver = RoleResolver(
            store=MemoryStore(), staff_source=staff, dispatchers=frozenset(), managers=frozenset()
        )
        dana = await resolver.resolve(
            user_id="U1", tz="America/Denver", name="Dana", email="dana@example.com"
        )
        morgan = await resolver.resolve(
            user_id="U2", tz="America/Chicago", name=None, email="morgan@example.com"
        )
        mike = await resolver.resolve(
            user_id="U3", tz="America/Chicago", name=None, email="mike.carter@example.com"
        )
        guest = await resolver.resolve(user_id="U4", tz="America/Chicago", name=None, email="x@example.org")
    assert (dana.role, dana.tz, dana.name) == ("dispatcher", "America/Denver", "Dana")
    assert (morgan.role, morgan.name) == ("manager", "Morgan Blake")
    assert (mike.role, mike.technician_id) == ("technician", 41)
    assert guest.role == "guest"
    assert staff.fetches == 2  # employees and technicians once each, then from the store


async def test_resolver_asks_slack_for_user_group_members_once() -> None:
    asked: list[str] = []

    async def members(group: str) -> list[str]:
        asked.append(group)
        return ["U7"] if group == "S0MGR" else []

    resolver = RoleResolver(store=MemoryStore(), staff_source=None, dispatchers=frozenset({"U1"}),
                            managers=frozenset({"S0MGR"}), group_members=members)  # fmt: skip
    assert (await resolver.resolve(user_id="U7", tz="UTC", name=None, email=None)).role == "manager"
    assert (await resolver.resolve(user_id="U1", tz="UTC", name=None, email=None)).role == "dispatcher"
    assert (await resolver.resolve(user_id="U8", tz="UTC", name=None, email=None)).role == "guest"
    assert asked == ["S0MGR"]


async def test_roles_survive_a_servicetitan_outage_with_the_last_known_staff() -> None:
    async def no_wait(_seconds: float) -> None:
        return None

    now = [1000.0]
    store = MemoryStore(clock=lambda: now[0])
    client, sim = embedded_client(client_kwargs={"sleep": no_wait})
    async with client:
        resolver = RoleResolver(
            store=store, staff_source=client, dispatchers=frozenset(), managers=frozenset()
        )
        assert (
            await resolver.resolve(user_id="U1", tz="UTC", name=None, email="dana@example.com")
        ).role == "dispatcher"
        sim.set_faults(FaultConfig(rate_5xx=1.0))
        now[0] += 11 * 60  # the 10-minute cache has run out
        during = await resolver.resolve(user_id="U1", tz="UTC", name=None, email="dana@example.com")
        assert during.role == "dispatcher"
        assert any(status == 503 for _, _, status in sim.request_log)  # it did ask ServiceTitan first

        never_loaded = RoleResolver(store=MemoryStore(), staff_source=client, dispatchers=frozenset(),
                                    managers=frozenset())  # fmt: skip
        with pytest.raises(Unavailable):
            await never_loaded.resolve(user_id="U1", tz="UTC", name=None, email="dana@example.com")
