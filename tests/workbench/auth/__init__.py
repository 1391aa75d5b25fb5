"""Tests of sign-in: local accounts, throttling, two-factor, single sign-on."""
