"""E-mail through SMTP with the standard library (smtplib, email.message).

Sent only from delivery jobs, never from a request, so a slow mail server slows nobody down.
"""
from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from workbench.notify.settings import NotifySettings


@dataclass(frozen=True)
class EmailResult:
    ok: bool
    detail: str = ""
    permanent: bool = False


def build_message(settings: NotifySettings, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2] or None)
    message.set_content(body)  # UTF-8, so Chinese text arrives intact
    return message


def send(settings: NotifySettings, to: str, subject: str, body: str) -> EmailResult:
    """Hand one message to the SMTP server. Refused recipients are permanent failures; a
    server that cannot be reached or answers 4xx is worth trying again later."""
    message = build_message(settings, to, subject, body)
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as error:
        return EmailResult(False, f"recipient refused: {_codes(error.recipients)}", permanent=True)
    except smtplib.SMTPResponseException as error:
        permanent = 500 <= error.smtp_code < 600
        return EmailResult(False, f"SMTP {error.smtp_code}: {_text(error.smtp_error)}", permanent=permanent)
    except (smtplib.SMTPException, OSError) as error:
        return EmailResult(False, f"mail server unreachable: {type(error).__name__}: {error}"[:300])
    return EmailResult(True, f"accepted by {settings.smtp_host}")


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _codes(recipients: dict) -> str:
    return "; ".join(f"{address} {code} {_text(reason)}" for address, (code, reason) in recipients.items())[:300]
