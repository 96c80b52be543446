"""Who is talking: a Slack user resolved to an `Asker` with a role (shared/CONTRACT.md section 3).

- `ROLE_MANAGERS` / `ROLE_DISPATCHERS` list Slack user ids or user-group ids. When either is set, those
  lists alone grant the dispatcher and manager roles (an administrator who configures them means to
  restrict who may change the schedule).
- Otherwise a Slack user whose e-mail matches an active ServiceTitan employee is a dispatcher, and a
  manager when the employee's role is a manager's (FieldManager, Admin, Owner).
- A user whose e-mail matches an active ServiceTitan technician is a technician (with `technician_id`);
  a dispatcher or manager who is also a technician keeps the link for "my appointments".
- Anyone else is a guest, who may only ask for help.

`resolve_asker` is a pure function over that data; `RoleResolver` fetches the data (ServiceTitan staff
lists and Slack user-group members), caching it in the store.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from bot.dialog.messages import Asker, Role
from bot.servicetitan.errors import ServiceTitanError
from bot.store import Store, cached

log = logging.getLogger(__name__)

MANAGER_EMPLOYEE_ROLES = frozenset({"FieldManager", "Admin", "Owner"})
# Employee records of technicians are not office staff: they link through the technician list.
TECHNICIAN_EMPLOYEE_ROLE_PREFIXES = ("Technician", "EmptyTechnician")

STAFF_NAMESPACE = "staff"
STAFF_TTL_SECONDS = 10 * 60
STAFF_FALLBACK_NAMESPACE = "staff-last-known"
STAFF_FALLBACK_TTL_SECONDS = 7 * 24 * 60 * 60
GROUP_NAMESPACE = "slack-usergroup"
GROUP_TTL_SECONDS = 10 * 60


@dataclass(frozen=True)
class StaffMember:
    """An employee or technician of the tenant, reduced to what linking needs."""

    id: int
    name: str
    email: str
    role: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "email": self.email, "role": self.role}

    @staticmethod
    def from_json(data: dict[str, Any]) -> StaffMember:
        return StaffMember(id=int(data["id"]), name=str(data.get("name") or ""), email=str(data["email"]),
                           role=str(data.get("role") or ""))  # fmt: skip


def normalise_email(email: str | None) -> str:
    return (email or "").strip().lower()


def is_group_id(slack_id: str) -> bool:
    """Slack user-group ids start with S (user ids with U or W)."""
    return slack_id.startswith("S")


def resolve_asker(
    *,
    user_id: str,
    tz: str,
    name: str | None,
    email: str | None,
    dispatchers: frozenset[str],
    managers: frozenset[str],
    member_of: frozenset[str] = frozenset(),
    employees: Iterable[StaffMember] = (),
    technicians: Iterable[StaffMember] = (),
) -> Asker:
    """The asker for one Slack user. `member_of` holds the configured user-group ids the user belongs to."""
    ids = {user_id, *member_of}
    address = normalise_email(email)
    technician = next((t for t in technicians if address and normalise_email(t.email) == address), None)
    technician_id = technician.id if technician else None
    role: Role
    if dispatchers or managers:
        if ids & managers:
            role = "manager"
        elif ids & dispatchers:
            role = "dispatcher"
        else:
            role = "technician" if technician else "guest"
        return Asker(user_id=user_id, tz=tz, role=role, name=name, technician_id=technician_id)

    employee = next(
        (
            e
            for e in employees
            if address
            and normalise_email(e.email) == address
            and not e.role.startswith(TECHNICIAN_EMPLOYEE_ROLE_PREFIXES)
        ),
        None,
    )
    if employee is not None:
        role = "manager" if employee.role in MANAGER_EMPLOYEE_ROLES else "dispatcher"
        name = name or employee.name
    elif technician is not None:
        role = "technician"
        name = name or technician.name
    else:
        role = "guest"
    return Asker(user_id=user_id, tz=tz, role=role, name=name, technician_id=technician_id)


class StaffSource(Protocol):
    """The part of the ServiceTitan client the resolver uses."""

    def iter_employees(self, **filters: Any) -> AsyncIterator[Any]: ...

    def iter_technicians(self, **filters: Any) -> AsyncIterator[Any]: ...


GroupMembers = Callable[[str], Awaitable[list[str]]]


def _field(item: Any, *names: str) -> Any:
    for name in names:
        value = item.get(name) if isinstance(item, dict) else getattr(item, name, None)
        if value is not None:
            return value
    return None


async def _staff(items: AsyncIterator[Any]) -> list[StaffMember]:
    staff = []
    async for item in items:
        email = _field(item, "email")
        if not email or _field(item, "active") is False:
            continue
        role = _field(item, "role")
        staff.append(
            StaffMember(
                id=int(_field(item, "id")),
                name=str(_field(item, "name") or ""),
                email=str(email),
                role=str(getattr(role, "value", role) or ""),
            )
        )
    return staff


class RoleResolver:
    """Resolves Slack users to askers with ServiceTitan's staff lists and Slack's user groups (cached)."""

    def __init__(
        self,
        *,
        store: Store,
        staff_source: StaffSource | None,
        dispatchers: frozenset[str],
        managers: frozenset[str],
        group_members: GroupMembers | None = None,
    ) -> None:
        self.store = store
        self.staff_source = staff_source
        self.dispatchers = dispatchers
        self.managers = managers
        self.group_members = group_members
        # each staff list as members, with the cached data they were made of: the cache hands this process
        # the same data until it is loaded again, and every message's asker is resolved with it
        self._members: dict[str, tuple[Any, list[StaffMember]]] = {}

    async def resolve(self, *, user_id: str, tz: str, name: str | None, email: str | None) -> Asker:
        employees: list[StaffMember] = []
        technicians: list[StaffMember] = []
        if email and self.staff_source is not None:
            if not (self.dispatchers or self.managers):
                employees = await self._cached_staff("employees", self.staff_source.iter_employees)
            technicians = await self._cached_staff("technicians", self.staff_source.iter_technicians)
        return resolve_asker(
            user_id=user_id,
            tz=tz,
            name=name,
            email=email,
            dispatchers=self.dispatchers,
            managers=self.managers,
            member_of=await self._groups_of(user_id),
            employees=employees,
            technicians=technicians,
        )

    async def _cached_staff(self, kind: str, fetch: Callable[[], AsyncIterator[Any]]) -> list[StaffMember]:
        """The staff list from the cache (10 minutes). While ServiceTitan cannot answer, the last list that
        was loaded (kept for a week) still tells who is who, so people keep their roles during an outage."""

        async def load() -> dict[str, Any]:
            try:
                data = {"items": [member.as_json() for member in await _staff(fetch())]}
            except ServiceTitanError:
                fallback = await self.store.load(namespace=STAFF_FALLBACK_NAMESPACE, key=kind)
                if fallback is None:
                    raise
                log.warning("ServiceTitan unavailable: using the last known %s list for roles", kind)
                return fallback.value
            await self.store.save(
                namespace=STAFF_FALLBACK_NAMESPACE, key=kind, value=data, ttl=STAFF_FALLBACK_TTL_SECONDS
            )
            return data

        data = await cached(self.store, namespace=STAFF_NAMESPACE, key=kind, ttl=STAFF_TTL_SECONDS, load=load)
        made = self._members.get(kind)
        if made is None or made[0] is not data:
            made = self._members[kind] = (
                data,
                [StaffMember.from_json(item) for item in data.get("items", [])],
            )
        return list(made[1])  # StaffMember is frozen; the list is the caller's

    async def _groups_of(self, user_id: str) -> frozenset[str]:
        groups = sorted(g for g in self.dispatchers | self.managers if is_group_id(g))
        lookup = self.group_members
        if not groups or lookup is None:
            return frozenset()
        member_of = set()
        for group in groups:

            async def load(group: str = group) -> dict[str, Any]:
                return {"users": await lookup(group)}

            data = await cached(
                self.store, namespace=GROUP_NAMESPACE, key=group, ttl=GROUP_TTL_SECONDS, load=load
            )
            if user_id in data.get("users", []):
                member_of.add(group)
        return frozenset(member_of)
