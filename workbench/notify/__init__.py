"""Notifications: in-app, e-mail and SMS behind one notify() call."""
