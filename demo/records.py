"""Plain stand-ins for the source system's records: a job and a staff member."""

import dataclasses
import datetime
import decimal
import uuid


@dataclasses.dataclass
class DemoJob:
    id: uuid.UUID
    job_number: int
    name: str
    client: str
    status: str
    quoted: decimal.Decimal
    created_at: datetime.datetime
