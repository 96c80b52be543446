"""ServiceTitan's writes as typed operations: one pydantic model per state-changing call.

An operation knows how to make its change (``send(client)``) and how to tell, by reading only, whether the
change is in ServiceTitan (``applied(client)``: the record showing it, or ``True`` for a call that returns
nothing; ``None`` while it is not there). ``applied`` is the one answer to "is this write already applied?":
the client's read-back after a call whose outcome is unknown uses it, and so does the dialog before it sends
a write again (``bot.dialog.runner.Runner.check``).

Operations are plain data: the dialog keeps the one it is about to send in the stored conversation (JSON) and
reads it back as the same typed model (``AnyOperation`` tells them apart by ``kind``). A create that must be
told apart from an identical older record reads a baseline first (``prepare``): the notes with the same text,
the job's appointment ids; a booking carries its own request id in ``externalData``.

``find_appointment``, ``find_job`` and ``technicians_on`` are the reads ``applied`` is built on; the dialog's
check that a card is still current uses the same ones.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from bot.servicetitan.errors import NotFound, OutcomeUnknown, ServiceTitanError
from bot.servicetitan.models import (
    Appointment,
    AppointmentAssignment,
    AppointmentCreate,
    AppointmentStatus,
    DispatchAppointment,
    ExternalData,
    ExternalDataCreate,
    Job,
    JobCreate,
    JobNote,
    JobStatus,
    JobUpdate,
    UtcDateTime,
    format_utc,
    read_model,
)

if TYPE_CHECKING:
    from bot.servicetitan.client import ServiceTitanClient

BOOKING_KEY = "stbotRequestId"  # the externalData key under which a booking carries its request id

R = TypeVar("R")


# ---- the reads `applied` is built on -------------------------------------------------------------------


async def _maybe(call: Awaitable[R]) -> R | None:
    try:
        return await call
    except NotFound:
        return None


async def find_appointment(client: ServiceTitanClient, appointment_id: int) -> Appointment | None:
    return await _maybe(client.get_appointment(appointment_id))


async def find_job(client: ServiceTitanClient, job_id: int) -> Job | None:
    return await _maybe(client.get_job(job_id))


async def technicians_on(client: ServiceTitanClient, appointment_id: int) -> list[AppointmentAssignment]:
    """The active assignments of an appointment."""
    return [
        a
        async for a in client.iter_appointment_assignments(appointment_ids=[appointment_id])
        if a.active is not False
    ]


async def _dispatch_view(client: ServiceTitanClient, appointment_id: int) -> DispatchAppointment:
    current = await client.get_appointment(appointment_id)
    return DispatchAppointment.model_validate(current.model_dump(by_alias=True, mode="json"))


def _done(_: Any) -> bool:
    return True


class Operation(BaseModel):
    """One write. Subclasses set ``kind`` and implement ``send`` and ``applied``."""

    model_config = ConfigDict(frozen=True)

    kind: str

    async def prepare(self, client: ServiceTitanClient) -> Operation:
        """The operation ready to send: a create reads what it must not be mistaken for (default: as is)."""
        return self

    async def send(self, client: ServiceTitanClient) -> Any:
        raise NotImplementedError

    async def applied(self, client: ServiceTitanClient) -> Any:
        raise NotImplementedError

    def records(self) -> dict[str, int]:
        """The job and/or appointment it changes, as ``{"job_id": …, "appointment_id": …}`` (either absent
        when it has none: a booking's job has no id yet)."""
        found = {name: getattr(self, name, None) for name in ("job_id", "appointment_id")}
        return {name: value for name, value in found.items() if isinstance(value, int)}

    async def _write(
        self,
        client: ServiceTitanClient,
        method: str,
        module: str,
        resource: str,
        *,
        body: Any = None,
        parse: Callable[[Any], R],
        what: str,
    ) -> R:
        return await client._write(
            method,
            module,
            resource,
            body=body,
            parse=parse,
            verify=lambda: self.applied(client),
            what=what,
        )


# ---- jobs ------------------------------------------------------------------------------------------------


class BookJob(Operation):
    """``POST /jobs``. The booking carries a request id in ``externalData`` (unless the job brings its own
    external data) so that a booking whose outcome is unknown is found again instead of booked twice."""

    kind: Literal["book_job"] = "book_job"
    job: JobCreate
    request_id: str = Field(default_factory=lambda: uuid.uuid4().hex)

    def _marked(self, client: ServiceTitanClient) -> JobCreate:
        if self.job.external_data is not None and self.job.external_data.external_data:
            return self.job
        marker = ExternalData(key=BOOKING_KEY, value=self.request_id)
        data = ExternalDataCreate(application_guid=client.application_guid, external_data=[marker])
        return self.job.model_copy(update={"external_data": data})

    async def send(self, client: ServiceTitanClient) -> Job:
        job = self._marked(client)
        return await self._write(
            client,
            "POST",
            "jpm",
            "jobs",
            body=job.to_api(),
            parse=partial(read_model, Job),
            what="booking the job",
        )

    async def applied(self, client: ServiceTitanClient) -> Job | None:
        data = self._marked(client).external_data
        assert data is not None
        marker = data.external_data[0]
        async for found in client.iter_jobs(
            external_data_application_guid=data.application_guid,
            external_data_key=marker.key,
            external_data_values=[marker.value],
        ):
            return found
        return None


class UpdateJob(Operation):
    """``PATCH /jobs/{id}``: exactly the fields set on ``update`` are sent (kept so when stored as JSON)."""

    kind: Literal["update_job"] = "update_job"
    job_id: int
    update: JobUpdate

    @field_serializer("update")
    def _only_set(self, update: JobUpdate) -> dict[str, Any]:
        return update.model_dump(mode="json", exclude_unset=True)

    def fields(self) -> dict[str, Any]:
        """The scalar fields the update sets (the ones a read of the job shows back as they were sent)."""
        return {k: getattr(self.update, k) for k in self.update.model_fields_set if k in _JOB_SCALARS}

    async def send(self, client: ServiceTitanClient) -> Job:
        return await self._write(
            client,
            "PATCH",
            "jpm",
            f"jobs/{self.job_id}",
            body=self.update.to_api(exclude_unset=True),
            parse=partial(read_model, Job),
            what=f"updating job {self.job_id}",
        )

    async def applied(self, client: ServiceTitanClient) -> Job | None:
        current = await client.get_job(self.job_id)
        return current if all(getattr(current, k) == v for k, v in self.fields().items()) else None


_JOB_SCALARS = frozenset(
    {
        "customer_id",
        "location_id",
        "business_unit_id",
        "job_type_id",
        "priority",
        "campaign_id",
        "summary",
        "customer_po",
        "sold_by_id",
        "tag_type_ids",
    }
)


class AddJobNote(Operation):
    """``POST /jobs/{id}/notes``. Notes have no id: ``known`` is how many notes with this text the job had
    before (read by ``prepare``), so an identical older note is not mistaken for this one."""

    kind: Literal["add_job_note"] = "add_job_note"
    job_id: int
    text: str
    pin_to_top: bool = False
    known: int | None = None

    async def _same(self, client: ServiceTitanClient) -> list[JobNote]:
        return [note async for note in client.iter_job_notes(self.job_id) if note.text == self.text]

    async def prepare(self, client: ServiceTitanClient) -> AddJobNote:
        if self.known is not None:
            return self
        return self.model_copy(update={"known": len(await self._same(client))})

    async def send(self, client: ServiceTitanClient) -> JobNote:
        return await self._write(
            client,
            "POST",
            "jpm",
            f"jobs/{self.job_id}/notes",
            body={"text": self.text, "pinToTop": self.pin_to_top},
            parse=partial(read_model, JobNote),
            what=f"adding a note to job {self.job_id}",
        )

    async def applied(self, client: ServiceTitanClient) -> JobNote | None:
        same = await self._same(client)
        return max(same, key=lambda note: note.created_on) if len(same) > (self.known or 0) else None


# ---- appointments ----------------------------------------------------------------------------------------


class AddAppointment(Operation):
    """``POST /appointments``: another visit on an existing job. ``known`` holds the job's appointment ids
    before (read by ``prepare``): the new one is a visit at these times that is not among them."""

    kind: Literal["add_appointment"] = "add_appointment"
    appointment: AppointmentCreate
    known: list[int] | None = None

    async def prepare(self, client: ServiceTitanClient) -> AddAppointment:
        if self.known is not None:
            return self
        known = [a.id async for a in client.iter_appointments(job_id=self.appointment.job_id)]
        return self.model_copy(update={"known": known})

    def records(self) -> dict[str, int]:
        return {"job_id": self.appointment.job_id}

    async def send(self, client: ServiceTitanClient) -> Appointment:
        return await self._write(
            client,
            "POST",
            "jpm",
            "appointments",
            body=self.appointment.to_api(),
            parse=partial(read_model, Appointment),
            what=f"adding an appointment to job {self.appointment.job_id}",
        )

    async def applied(self, client: ServiceTitanClient) -> Appointment | None:
        new = self.appointment
        async for found in client.iter_appointments(job_id=new.job_id):
            if found.id not in (self.known or []) and (found.start, found.end) == (new.start, new.end):
                return found
        return None


class RescheduleAppointment(Operation):
    """``PATCH /appointments/{id}/reschedule`` (aware datetimes; sent as UTC)."""

    kind: Literal["reschedule_appointment"] = "reschedule_appointment"
    appointment_id: int
    start: UtcDateTime
    end: UtcDateTime
    arrival_window_start: UtcDateTime | None = None
    arrival_window_end: UtcDateTime | None = None

    async def send(self, client: ServiceTitanClient) -> Appointment:
        if self.end <= self.start:
            raise ValueError("an appointment must end after it starts")
        body: dict[str, Any] = {"start": format_utc(self.start), "end": format_utc(self.end)}
        if self.arrival_window_start is not None:
            body["arrivalWindowStart"] = format_utc(self.arrival_window_start)
        if self.arrival_window_end is not None:
            body["arrivalWindowEnd"] = format_utc(self.arrival_window_end)
        return await self._write(
            client,
            "PATCH",
            "jpm",
            f"appointments/{self.appointment_id}/reschedule",
            body=body,
            parse=partial(read_model, Appointment),
            what=f"rescheduling appointment {self.appointment_id}",
        )

    async def applied(self, client: ServiceTitanClient) -> Appointment | None:
        """At the new start and end (ServiceTitan sets the arrival window with them)."""
        current = await client.get_appointment(self.appointment_id)
        return current if (current.start, current.end) == (self.start, self.end) else None


class SetSpecialInstructions(Operation):
    """``PUT /appointments/{id}/special-instructions``."""

    kind: Literal["set_special_instructions"] = "set_special_instructions"
    appointment_id: int
    text: str

    async def send(self, client: ServiceTitanClient) -> Appointment:
        return await self._write(
            client,
            "PUT",
            "jpm",
            f"appointments/{self.appointment_id}/special-instructions",
            body={"specialInstructions": self.text},
            parse=partial(read_model, Appointment),
            what=f"setting the special instructions of appointment {self.appointment_id}",
        )

    async def applied(self, client: ServiceTitanClient) -> Appointment | None:
        current = await client.get_appointment(self.appointment_id)
        return current if (current.special_instructions or "") == self.text else None


class DeleteAppointment(Operation):
    """``DELETE /appointments/{id}`` (409 for a job's only appointment or one with timesheets)."""

    kind: Literal["delete_appointment"] = "delete_appointment"
    appointment_id: int

    async def send(self, client: ServiceTitanClient) -> None:
        await self._write(
            client,
            "DELETE",
            "jpm",
            f"appointments/{self.appointment_id}",
            parse=_done,
            what=f"deleting appointment {self.appointment_id}",
        )

    async def applied(self, client: ServiceTitanClient) -> bool | None:
        return True if await find_appointment(client, self.appointment_id) is None else None


# ---- status changes --------------------------------------------------------------------------------------


class _StatusChange(Operation):
    """A call that moves a job's or an appointment's status, declared by its class: the ``record`` it
    changes, ``method`` and ``action`` (the path after the record's), the status it ``leaves`` (or, with
    ``negate``, the one it ends), and what it is ``doing`` for the log. Applied when the record's status
    says so; a reason and memo go in the body."""

    record: ClassVar[Literal["job", "appointment"]]
    method: ClassVar[str] = "PUT"
    action: ClassVar[str]
    leaves: ClassVar[str]
    negate: ClassVar[bool] = False
    doing: ClassVar[str]  # with {id}

    def _id(self) -> int:
        return int(getattr(self, f"{self.record}_id"))

    def _body(self) -> dict[str, Any] | None:
        reason = self.model_dump(include={"reason_id", "memo"})
        return {"reasonId": reason["reason_id"], "memo": reason["memo"]} if reason else None

    async def send(self, client: ServiceTitanClient) -> None:
        path, what = f"{self.record}s/{self._id()}/{self.action}", self.doing.format(id=self._id())
        await self._write(client, self.method, "jpm", path, body=self._body(), parse=_done, what=what)

    async def applied(self, client: ServiceTitanClient) -> bool | None:
        if self.record == "job":
            status = (await client.get_job(self._id())).job_status
        else:
            status = (await client.get_appointment(self._id())).status
        return True if (status == self.leaves) != self.negate else None


class _JobStatusChange(_StatusChange):
    record = "job"
    job_id: int


class _AppointmentStatusChange(_StatusChange):
    record = "appointment"
    appointment_id: int


class CancelJob(_JobStatusChange):
    """``PUT /jobs/{id}/cancel`` with an active cancel reason and a memo."""

    kind: Literal["cancel_job"] = "cancel_job"
    reason_id: int
    memo: str
    action, leaves, doing = "cancel", JobStatus.CANCELED, "canceling job {id}"


class RemoveJobCancellation(_JobStatusChange):
    """``PUT /jobs/{id}/remove-cancellation``: bring a canceled job back."""

    kind: Literal["remove_cancellation"] = "remove_cancellation"
    action, leaves, negate = "remove-cancellation", JobStatus.CANCELED, True
    doing = "removing the cancellation of job {id}"


class HoldJob(_JobStatusChange):
    """``PUT /jobs/{id}/hold`` (2025 API) with an active hold reason and a memo."""

    kind: Literal["hold_job"] = "hold_job"
    reason_id: int
    memo: str
    action, leaves, doing = "hold", JobStatus.HOLD, "putting job {id} on hold"


class HoldAppointment(_AppointmentStatusChange):
    """``PUT /appointments/{id}/hold`` with an active hold reason (``/job-hold-reasons``) and a memo."""

    kind: Literal["hold_appointment"] = "hold_appointment"
    reason_id: int
    memo: str
    action, leaves, doing = "hold", AppointmentStatus.HOLD, "putting appointment {id} on hold"


class RemoveAppointmentHold(_AppointmentStatusChange):
    """``DELETE /appointments/{id}/hold`` (409 "Appointment is not on hold" when it is not)."""

    kind: Literal["remove_appointment_hold"] = "remove_appointment_hold"
    method, action, leaves, negate = "DELETE", "hold", AppointmentStatus.HOLD, True
    doing = "taking appointment {id} off hold"


class CompleteJob(_JobStatusChange):
    """``PUT /jobs/{id}/complete`` with ``completedOn`` (409 when it is completed or canceled already, or
    nobody is assigned to it)."""

    kind: Literal["complete_job"] = "complete_job"
    completed_on: UtcDateTime
    action, leaves, doing = "complete", JobStatus.COMPLETED, "completing job {id}"

    def _body(self) -> dict[str, Any] | None:
        return {"completedOn": format_utc(self.completed_on)}


class RemoveJobHold(Operation):
    """A job off hold: ServiceTitan has no call for the job itself, so each of its held appointments is
    taken off hold (``DELETE /appointments/{id}/hold``), and the job leaves Hold with the last of them. Only
    the ones still on hold are sent, so sending it again after an unknown outcome finishes the job."""

    kind: Literal["remove_job_hold"] = "remove_job_hold"
    job_id: int
    appointment_ids: list[int]

    async def _held(self, client: ServiceTitanClient) -> list[int]:
        return [
            a.id
            async for a in client.iter_appointments(job_id=self.job_id)
            if a.id in self.appointment_ids and a.status == AppointmentStatus.HOLD
        ]

    async def send(self, client: ServiceTitanClient) -> None:
        for appointment_id in await self._held(client):
            await RemoveAppointmentHold(appointment_id=appointment_id).send(client)

    async def applied(self, client: ServiceTitanClient) -> bool | None:
        return True if not await self._held(client) else None


class _Confirmation(_AppointmentStatusChange):
    """The customer's confirmation of a visit (``/appointments/{id}/confirmation``): not a status, so it is
    applied when ``isConfirmed`` reads as this call leaves it."""

    action = "confirmation"
    confirmed: ClassVar[bool]

    def _body(self) -> dict[str, Any] | None:
        return None

    async def applied(self, client: ServiceTitanClient) -> bool | None:
        found = await client.get_appointment(self._id())
        return True if found.is_confirmed == self.confirmed else None


class ConfirmAppointment(_Confirmation):
    """``PUT /appointments/{id}/confirmation``: the customer confirmed the visit (409 if it already is)."""

    kind: Literal["confirm_appointment"] = "confirm_appointment"
    confirmed, doing = True, "confirming appointment {id}"


class RemoveAppointmentConfirmation(_Confirmation):
    """``DELETE /appointments/{id}/confirmation`` (409 if it was not confirmed)."""

    kind: Literal["remove_appointment_confirmation"] = "remove_appointment_confirmation"
    method, confirmed, doing = "DELETE", False, "removing the confirmation of appointment {id}"


# ---- dispatch --------------------------------------------------------------------------------------------


class _TechnicianChange(Operation):
    appointment_id: int
    technician_ids: list[int]

    def _in_place(self, on: set[int]) -> bool:
        raise NotImplementedError

    async def applied(self, client: ServiceTitanClient) -> DispatchAppointment | None:
        on = {a.technician_id for a in await technicians_on(client, self.appointment_id)}
        return await _dispatch_view(client, self.appointment_id) if self._in_place(on) else None

    async def _post(self, client: ServiceTitanClient, operation: str, what: str) -> DispatchAppointment:
        return await self._write(
            client,
            "POST",
            "dispatch",
            f"appointment-assignments/{operation}",
            body={"jobAppointmentId": self.appointment_id, "technicianIds": self.technician_ids},
            parse=partial(read_model, DispatchAppointment),
            what=what,
        )


class AssignTechnicians(_TechnicianChange):
    """``POST /appointment-assignments/assign-technicians``."""

    kind: Literal["assign_technicians"] = "assign_technicians"

    def _in_place(self, on: set[int]) -> bool:
        return set(self.technician_ids) <= on

    async def send(self, client: ServiceTitanClient) -> DispatchAppointment:
        what = f"assigning technicians {self.technician_ids} to appointment {self.appointment_id}"
        return await self._post(client, "assign-technicians", what)


class UnassignTechnicians(_TechnicianChange):
    """``POST /appointment-assignments/unassign-technicians``."""

    kind: Literal["unassign_technicians"] = "unassign_technicians"

    def _in_place(self, on: set[int]) -> bool:
        return not set(self.technician_ids) & on

    async def send(self, client: ServiceTitanClient) -> DispatchAppointment:
        what = f"unassigning technicians {self.technician_ids} from appointment {self.appointment_id}"
        return await self._post(client, "unassign-technicians", what)


class ReplaceTechnicians(Operation):
    """Who comes off an appointment and who goes on instead (ServiceTitan has no single call for it): the
    ones coming off are unassigned first, then the new ones assigned, so the new technician never joins while
    the old one stays. Only what is not in place yet is sent, so sending it again after an unknown outcome
    finishes the job; an assignment refused after the unassignment puts the old technicians back."""

    kind: Literal["replace_technicians"] = "replace_technicians"
    appointment_id: int
    off: list[int]
    on: list[int]

    async def send(self, client: ServiceTitanClient) -> DispatchAppointment:
        now = {a.technician_id for a in await technicians_on(client, self.appointment_id)}
        leaving = [t for t in self.off if t in now]
        if leaving:
            await UnassignTechnicians(appointment_id=self.appointment_id, technician_ids=leaving).send(client)
        joining = [t for t in self.on if t not in now]
        if not joining:
            return await _dispatch_view(client, self.appointment_id)
        try:
            return await AssignTechnicians(appointment_id=self.appointment_id, technician_ids=joining).send(
                client
            )
        except OutcomeUnknown:
            raise
        except ServiceTitanError as refused:
            if not leaving:
                raise
            back = AssignTechnicians(appointment_id=self.appointment_id, technician_ids=leaving)
            try:
                await back.send(client)
            except ServiceTitanError as exc:
                raise OutcomeUnknown(
                    f"replacing technicians on appointment {self.appointment_id}: {leaving} came off, "
                    f"{joining} were refused ({refused}) and putting {leaving} back failed ({exc})",
                    status=refused.status,
                ) from exc
            raise

    async def applied(self, client: ServiceTitanClient) -> DispatchAppointment | None:
        now = {a.technician_id for a in await technicians_on(client, self.appointment_id)}
        if now & set(self.off) or not set(self.on) <= now:
            return None
        return await _dispatch_view(client, self.appointment_id)


# Every operation, as a type; AnyOperation tells them apart by `kind` when read back from JSON.
KnownOperation = (
    BookJob
    | UpdateJob
    | CancelJob
    | RemoveJobCancellation
    | HoldJob
    | CompleteJob
    | RemoveJobHold
    | AddJobNote
    | AddAppointment
    | RescheduleAppointment
    | SetSpecialInstructions
    | HoldAppointment
    | RemoveAppointmentHold
    | ConfirmAppointment
    | RemoveAppointmentConfirmation
    | DeleteAppointment
    | AssignTechnicians
    | UnassignTechnicians
    | ReplaceTechnicians
)
AnyOperation = Annotated[KnownOperation, Field(discriminator="kind")]
