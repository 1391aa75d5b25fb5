"""Field types the JSON API shares: datetimes are exchanged in UTC with an explicit offset."""
from __future__ import annotations

from datetime import datetime, timezone

import marshmallow as ma


class UtcDateTime(ma.fields.AwareDateTime):
    """ISO 8601 with an offset on the wire, naive UTC inside (how the database stores time).

    Input without an offset is refused: "09:00" means different moments to a client in
    Beijing and to the server, and guessing would snooze a to-do to the wrong hour.
    """

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return super()._serialize(value, attr, obj, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        aware = super()._deserialize(value, attr, data, **kwargs)
        return aware.astimezone(timezone.utc).replace(tzinfo=None)
