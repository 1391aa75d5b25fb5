"""The sign-in form: Flask-Security's, asked for a username rather than an e-mail address.

Flask-Security refuses the whole sign-in when `next` points off-site ("Invalid redirect
URL"), which leaves someone who followed a doctored link unable to sign in from that page.
Here an off-site `next` is simply dropped: the sign-in goes ahead and lands on the homepage.
Flask-Security still checks whatever `next` it finally redirects to.
"""
from __future__ import annotations

from flask_security.forms import LoginForm
from flask_security.utils import validate_redirect_url

from workbench.auth.next_url import local_path


class WorkbenchLoginForm(LoginForm):
    """Same checks as Flask-Security's LoginForm; one generic message for any failure."""

    def validate_next(self, field) -> None:
        if field.data and not (local_path(field.data) and validate_redirect_url(field.data)):
            field.data = ""
