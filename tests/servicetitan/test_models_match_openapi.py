"""Each model's fields against its schema in ServiceTitan's OpenAPI documents: every property has a field
under the API's name (or is knowingly left to ``extra``), and request models mark the same fields required."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from bot.servicetitan import models
from tests.shared_docs import OPENAPI_DIR

OPENAPI = OPENAPI_DIR


@cache
def schemas(module: str) -> dict[str, Any]:
    with open(OPENAPI / f"tenant-{module}-v2.yaml", encoding="utf-8") as handle:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        return yaml.load(handle, Loader=loader)["components"]["schemas"]  # noqa: S506 - a safe loader


def aliases(model: type[BaseModel]) -> dict[str, bool]:
    return {(field.alias or name): field.is_required() for name, field in model.model_fields.items()}


# model -> (module, schema, properties deliberately left to `extra`)
RESPONSES: list[tuple[type[BaseModel], str, str, set[str]]] = [
    (models.Job, "jpm", "Jpm.V2.JobResponse", set()),
    (models.Job, "jpm", "Jpm.V2.ExportJobsResponse", set()),
    (models.Appointment, "jpm", "Jpm.V2.AppointmentResponse", set()),
    (models.Appointment, "jpm", "Jpm.V2.ExportAppointmentsResponse", set()),
    (models.JobNote, "jpm", "Jpm.V2.NoteResponse", set()),
    (models.JobCancelReasonOfJob, "jpm", "Jpm.V2.CancelReasonResponse", set()),
    (models.JobCanceledLog, "jpm", "Jpm.V2.JobCanceledLogResponse", set()),
    (models.JobCanceledLog, "jpm", "Jpm.V2.ExportJobCanceledLogResponse", set()),
    (models.JobHistoryEntry, "jpm", "Jpm.Jobs.JobHistoryItemModel", set()),
    (models.JobHoldReason, "jpm", "Jpm.V2.JobHoldReasonResponse", set()),
    (models.JobCancelReason, "jpm", "Jpm.V2.JobCancelReasonResponse", set()),
    (models.JobType, "jpm", "Jpm.V2.JobTypeResponse", set()),
    (models.Project, "jpm", "Jpm.V2.ProjectResponse", set()),
    (models.AppointmentAssignment, "dispatch", "Dispatch.V2.AppointmentAssignmentResponse", set()),
    (models.AppointmentAssignment, "dispatch", "Dispatch.V2.ExportAppointmentAssignmentsResponse", set()),
    (models.DispatchAppointment, "dispatch", "Dispatch.V2.AppointmentResponse", set()),
    (models.ArrivalWindow, "dispatch", "Dispatch.V2.ArrivalWindowResponse", set()),
    (
        models.Technician,
        "settings",
        "TenantSettings.V2.TechnicianResponse",
        {"home", "customFields", "jobFilter", "permissions"},
    ),
    (models.Employee, "settings", "TenantSettings.V2.EmployeeResponse", {"customFields", "permissions"}),
    (
        models.BusinessUnit,
        "settings",
        "TenantSettings.V2.BusinessUnitResponse",
        {
            "currency",
            "invoiceHeader",
            "invoiceMessage",
            "defaultTaxRate",
            "authorizationParagraph",
            "acknowledgementParagraph",
            "address",
            "materialSku",
            "quickbooksClass",
            "accountCode",
            "franchiseId",
            "conceptCode",
            "corporateContractNumber",
            "tenant",
            "externalData",
        },
    ),
    (models.Customer, "crm", "Crm.V2.Customers.CustomerResponse", set()),
    (models.Location, "crm", "Crm.V2.Locations.LocationResponse", set()),
    (models.Address, "crm", "Crm.V2.Customers.CustomerAddress", set()),
]

REQUESTS: list[tuple[type[BaseModel], str, str]] = [
    (models.JobCreate, "jpm", "Jpm.V2.JobCreateRequest"),
    (models.JobAppointmentCreate, "jpm", "Jpm.V2.AppointmentInformation"),
    (models.JobUpdate, "jpm", "Jpm.V2.UpdateJobRequest"),
    (models.AppointmentCreate, "jpm", "Jpm.V2.AppointmentAddRequest"),
    (models.ExternalDataCreate, "jpm", "Jpm.V2.ExternalDataCreateRequest"),
    (models.ExternalDataUpdate, "jpm", "Jpm.V2.ExternalDataUpdateRequest"),
]


@pytest.mark.parametrize(
    ("model", "module", "schema", "left_to_extra"), RESPONSES, ids=lambda v: getattr(v, "__name__", None)
)
def test_response_model_covers_the_schema(
    model: type[BaseModel], module: str, schema: str, left_to_extra: set[str]
) -> None:
    properties = set(schemas(module)[schema]["properties"])
    fields = aliases(model)
    assert properties - left_to_extra - set(fields) == set(), (
        f"{schema} properties missing from {model.__name__}"
    )
    assert left_to_extra <= properties
    assert model.model_config.get("extra") == "allow"
    not_in_schema = set(fields) - properties
    assert not_in_schema <= {"active"}, f"{model.__name__} has fields {schema} does not define"


@pytest.mark.parametrize(("model", "module", "schema"), REQUESTS, ids=lambda v: getattr(v, "__name__", None))
def test_request_model_matches_the_schema(model: type[BaseModel], module: str, schema: str) -> None:
    definition = schemas(module)[schema]
    fields = aliases(model)
    assert set(fields) == set(definition["properties"])
    required = set(definition.get("required") or [])
    # A required property with a default in the model ("priority": "Normal") is still always sent.
    always_sent = {alias for alias, is_required in fields.items() if is_required} | {
        (f.alias or n) for n, f in model.model_fields.items() if not f.is_required() and f.default is not None
    }
    assert required <= always_sent, f"{schema} requires {required - always_sent}"
    assert {alias for alias, is_required in fields.items() if is_required} <= required
