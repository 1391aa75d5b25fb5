"""The sign-in form: Flask-Security's, asked for a username rather than an e-mail address."""
from __future__ import annotations

from flask_security.forms import LoginForm


class WorkbenchLoginForm(LoginForm):
    """Same checks as Flask-Security's LoginForm; one generic message for any failure."""
