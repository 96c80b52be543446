"""Settings (technicians, employees, business units), CRM (customers, locations) and marketing campaigns.

Reference data the bot reads: lists with the documented filters and single reads; the simulator changes none
of it.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from bot.simulator.query import (
    Predicate,
    Query,
    Record,
    address_contains,
    address_equals,
    contains,
    equals,
    ids_filter,
    simple_list,
    table_routes,
)
from bot.simulator.records import (
    BUSINESS_UNIT_FIELDS,
    CAMPAIGN_FIELDS,
    CUSTOMER_FIELDS,
    EMPLOYEE_FIELDS,
    LOCATION_FIELDS,
    TECHNICIAN_FIELDS,
)
from bot.simulator.tenant import TenantData


def technician_filters(q: Query) -> list[Predicate]:
    return ids_filter(q) + ids_filter(q, "userIds", "userId") + contains(q, "name")


def employee_filters(q: Query) -> list[Predicate]:
    filters = technician_filters(q)
    email = q.text("email")
    if email is not None:
        filters.append(lambda r: str(r.get("email") or "").lower() == email.lower())
    return filters


def address_filters(q: Query) -> list[Predicate]:
    filters: list[Predicate] = []
    for part in ("street", "unit", "city", "state", "zip", "country"):
        value = q.text(part)
        if value is not None:
            filters.append(address_contains(part, value))
    for part in ("latitude", "longitude"):
        number = q.number(part)
        if number is not None:
            filters.append(address_equals(part, number))
    return filters


def location_filters(q: Query) -> list[Predicate]:
    return ids_filter(q) + contains(q, "name") + equals(q, "customerId") + address_filters(q)


def bu_filters(q: Query) -> list[Predicate]:
    return ids_filter(q) + contains(q, "name")


class SettingsCrmRoutes:
    """Technicians, employees, business units (Settings), customers, locations (CRM), campaigns (marketing)."""

    def __init__(self, state: TenantData) -> None:
        self.state = state

    def routes(self, settings: str, crm: str, marketing: str) -> list[BaseRoute]:
        return [
            *table_routes(
                f"{settings}/technicians",
                lambda: self.state.technicians,
                TECHNICIAN_FIELDS,
                "Technician not found",
                active_default="True",
                extra=technician_filters,
            ),
            *table_routes(
                f"{settings}/employees",
                lambda: self.state.employees,
                EMPLOYEE_FIELDS,
                "Employee not found",
                active_default="True",
                extra=employee_filters,
            ),
            *table_routes(
                f"{settings}/business-units",
                lambda: self.state.business_units,
                BUSINESS_UNIT_FIELDS,
                "Business unit not found",
                active_default="True",
                extra=bu_filters,
            ),
            *table_routes(
                f"{crm}/customers",
                lambda: self.state.customers,
                CUSTOMER_FIELDS,
                "Customer not found",
                active_default="True",
                extra=self.customer_filters,
            ),
            *table_routes(
                f"{crm}/locations",
                lambda: self.state.locations,
                LOCATION_FIELDS,
                "Location not found",
                active_default="True",
                extra=location_filters,
            ),
            Route(
                f"{marketing}/campaigns",
                simple_list(
                    lambda: self.state.campaigns, CAMPAIGN_FIELDS, active_default="True", extra=bu_filters
                ),
                methods=["GET"],
            ),
        ]

    def customer_filters(self, q: Query) -> list[Predicate]:
        filters = ids_filter(q) + contains(q, "name") + address_filters(q)
        phone = q.text("phone")
        if phone is not None:
            digits = "".join(c for c in phone if c.isdigit())

            def has_phone(r: Record) -> bool:
                for number in self.state.customer_phones.get(r["id"], []):
                    own = "".join(c for c in number if c.isdigit())
                    if digits and (own.endswith(digits) or digits.endswith(own)):
                        return True
                return False

            filters.append(has_phone)
        return filters
