"""Accounts: local sign-in (Flask-Security-Too), single sign-on (OIDC), roles and permissions."""
