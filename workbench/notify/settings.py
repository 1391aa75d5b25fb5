"""The notification settings: read once at start-up, checked, and kept as one frozen object.

Every setting is a WORKBENCH_* environment variable (or a key passed to create_app). A value
that cannot work — quiet hours like "25:00-8", an SMS backend nobody wrote, an HTTP gateway
without a URL, a body template that is not JSON — stops start-up with a message naming the
setting, instead of failing later inside a delivery job nobody watches.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, current_app

SMS_BACKENDS = ("log", "http")
DEFAULT_HTTP_TEMPLATE = '{"phone": "{phone}", "text": "{text}"}'

# name → (default, kind). Environment variables override the defaults; create_app's config
# overrides both.
DEFAULTS: dict[str, tuple[object, str]] = {
    "WORKBENCH_SMS_BACKEND": ("log", "str"),
    "WORKBENCH_SMS_HTTP_URL": ("", "str"),
    "WORKBENCH_SMS_HTTP_TEMPLATE": (DEFAULT_HTTP_TEMPLATE, "str"),
    "WORKBENCH_SMS_HTTP_TIMEOUT": (10.0, "float"),
    "WORKBENCH_SMS_MAX_LENGTH": (70, "int"),
    "WORKBENCH_SMS_MAX_SEGMENTS": (3, "int"),
    "WORKBENCH_SMS_QUIET_HOURS": ("22:00-08:00", "str"),
    "WORKBENCH_SMS_RATE_PER_SECOND": (10.0, "float"),
    "WORKBENCH_SMTP_HOST": ("", "str"),
    "WORKBENCH_SMTP_PORT": (25, "int"),
    "WORKBENCH_SMTP_USER": ("", "str"),
    "WORKBENCH_SMTP_PASSWORD": ("", "str"),
    "WORKBENCH_SMTP_STARTTLS": (False, "bool"),
    "WORKBENCH_SMTP_FROM": ("workbench@localhost", "str"),
    "WORKBENCH_SMTP_TIMEOUT": (30.0, "float"),
    "WORKBENCH_REMINDER_DUE_SOON_HOURS": (24, "int"),
    "WORKBENCH_PUBLIC_URL": ("", "str"),
}

_QUIET_HOURS = re.compile(r"^\s*([01]?\d|2[0-3]):([0-5]\d)\s*-\s*([01]?\d|2[0-3]):([0-5]\d)\s*$")


class SettingError(ValueError):
    """A notification setting has a value that cannot work."""


@dataclass(frozen=True)
class QuietHours:
    """SMS are not sent between `start` and `end` (local time); `end` may be the next day."""

    start: time
    end: time

    def contains(self, local: time) -> bool:
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end  # spans midnight, e.g. 22:00-08:00

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class NotifySettings:
    sms_backend: str
    sms_http_url: str
    sms_http_template: object  # the parsed JSON body template
    sms_http_timeout: float
    sms_segment_length: int
    sms_max_segments: int
    quiet_hours: QuietHours | None
    sms_rate_per_second: float
    smtp_host: str
    smtp_port: int
    smtp_user: str
    smtp_password: str
    smtp_starttls: bool
    smtp_from: str
    smtp_timeout: float
    due_soon_hours: int
    public_url: str
    timezone: ZoneInfo

    @property
    def email_enabled(self) -> bool:
        return bool(self.smtp_host)


def parse_quiet_hours(value: str | None) -> QuietHours | None:
    """"22:00-08:00" → QuietHours; empty → None (SMS at any hour)."""
    if value is None or not str(value).strip():
        return None
    match = _QUIET_HOURS.match(str(value))
    if not match:
        raise SettingError(
            f"WORKBENCH_SMS_QUIET_HOURS must look like 22:00-08:00 (HH:MM-HH:MM) or be empty, got {value!r}")
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    if (h1, m1) == (h2, m2):
        raise SettingError(f"WORKBENCH_SMS_QUIET_HOURS starts and ends at the same time: {value!r}")
    return QuietHours(time(h1, m1), time(h2, m2))


def _convert(name: str, value, kind: str):
    if kind == "str":
        return "" if value is None else str(value).strip()
    if kind == "bool":
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in {"1", "true", "yes", "on"}
    try:
        number = int(value) if kind == "int" else float(value)
    except (TypeError, ValueError):
        raise SettingError(f"{name} must be a number, got {value!r}") from None
    if number <= 0:
        raise SettingError(f"{name} must be greater than zero, got {value!r}")
    return number


def apply_defaults(app: Flask) -> None:
    """Fill in every setting not given to create_app from the environment or the default."""
    for name, (default, _kind) in DEFAULTS.items():
        if name not in app.config:
            app.config[name] = os.environ.get(name, default)


def load(app: Flask) -> NotifySettings:
    """Check the settings and return them parsed (raises SettingError naming the setting)."""
    apply_defaults(app)
    values = {name: _convert(name, app.config[name], kind) for name, (_d, kind) in DEFAULTS.items()}
    backend = values["WORKBENCH_SMS_BACKEND"].lower()
    if backend not in SMS_BACKENDS:
        raise SettingError(f"WORKBENCH_SMS_BACKEND must be one of {', '.join(SMS_BACKENDS)}, got {backend!r}")
    if backend == "http" and not values["WORKBENCH_SMS_HTTP_URL"]:
        raise SettingError("WORKBENCH_SMS_BACKEND=http needs WORKBENCH_SMS_HTTP_URL (the gateway's address)")
    try:
        template = json.loads(values["WORKBENCH_SMS_HTTP_TEMPLATE"])
    except ValueError as error:
        raise SettingError(f"WORKBENCH_SMS_HTTP_TEMPLATE must be a JSON body with {{phone}} and {{text}}: {error}") from None
    if backend == "http" and not ("{phone}" in values["WORKBENCH_SMS_HTTP_TEMPLATE"]
                                  and "{text}" in values["WORKBENCH_SMS_HTTP_TEMPLATE"]):
        raise SettingError("WORKBENCH_SMS_HTTP_TEMPLATE must contain both {phone} and {text}")
    if values["WORKBENCH_SMS_MAX_LENGTH"] < 10:
        raise SettingError("WORKBENCH_SMS_MAX_LENGTH must be at least 10 characters")
    zone_name = app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Shanghai"
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingError(f"WORKBENCH_TIMEZONE {zone_name!r} is not a known time zone") from None
    return NotifySettings(
        sms_backend=backend,
        sms_http_url=values["WORKBENCH_SMS_HTTP_URL"],
        sms_http_template=template,
        sms_http_timeout=values["WORKBENCH_SMS_HTTP_TIMEOUT"],
        sms_segment_length=values["WORKBENCH_SMS_MAX_LENGTH"],
        sms_max_segments=values["WORKBENCH_SMS_MAX_SEGMENTS"],
        quiet_hours=parse_quiet_hours(values["WORKBENCH_SMS_QUIET_HOURS"]),
        sms_rate_per_second=values["WORKBENCH_SMS_RATE_PER_SECOND"],
        smtp_host=values["WORKBENCH_SMTP_HOST"],
        smtp_port=values["WORKBENCH_SMTP_PORT"],
        smtp_user=values["WORKBENCH_SMTP_USER"],
        smtp_password=values["WORKBENCH_SMTP_PASSWORD"],
        smtp_starttls=values["WORKBENCH_SMTP_STARTTLS"],
        smtp_from=values["WORKBENCH_SMTP_FROM"],
        smtp_timeout=values["WORKBENCH_SMTP_TIMEOUT"],
        due_soon_hours=values["WORKBENCH_REMINDER_DUE_SOON_HOURS"],
        public_url=values["WORKBENCH_PUBLIC_URL"].rstrip("/"),
        timezone=zone,
    )


EXTENSION_KEY = "workbench.notify"


def install(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = load(app)


def current() -> NotifySettings:
    """The running app's notification settings."""
    return current_app.extensions[EXTENSION_KEY]
