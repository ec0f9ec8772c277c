"""Whether a delegate attended the held workshop (the donor's statement reads it)."""

from __future__ import annotations

from shared.contracts import registration as registration_events
from shared.contracts.envelope import Envelope

from sponsorship.service.ports import Requests


async def when_attendance_recorded_keep_it(
    repo: Requests, envelope: Envelope, event: registration_events.AttendanceRecorded
) -> None:
    """Keep whether the delegate attended the held workshop (the latest word): the donor's statement reads it."""
    await repo.save_attendance(event.ref, event.workshop_id, event.attended, envelope.occurred_at)
