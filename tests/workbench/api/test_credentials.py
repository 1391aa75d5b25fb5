"""The token-issuing rules without HTTP: credentials, the api.use permission, two-factor."""
from __future__ import annotations

import pytest
from flask import current_app

from tests.support.factories import PASSWORD, make_user
from workbench.api import credentials
from workbench.errors import NotAllowed
from workbench.extensions import db


def _enable_two_factor(user) -> str:
    """Give the user an authenticator secret as the two-factor setup page would."""
    factory = current_app.extensions["security"].totp_factory
    secret = factory.generate_totp_secret()
    user.tf_totp_secret = secret
    user.tf_primary_method = "authenticator"
    db.session.commit()
    return secret


def _current_code(secret: str) -> str:
    return current_app.extensions["security"].totp_factory.generate_totp_password(secret)


def test_a_right_password_gives_a_token_of_that_user(world):
    with current_app.test_request_context():
        issued = credentials.issue_token("am1", PASSWORD)
    assert issued.user.id == world.am1.id
    assert issued.token and issued.max_age > 0


def test_a_wrong_password_is_refused_as_bad_credentials(world):
    with pytest.raises(credentials.BadCredentials) as refused:
        credentials.issue_token("am1", "wrong")
    assert refused.value.status_code == 401


def test_an_unknown_user_is_refused_with_the_same_message_as_a_wrong_password(world):
    with pytest.raises(credentials.BadCredentials) as unknown:
        credentials.issue_token("nobody", "wrong")
    with pytest.raises(credentials.BadCredentials) as wrong:
        credentials.issue_token("am1", "wrong")
    assert str(unknown.value.message) == str(wrong.value.message)


def test_a_deactivated_account_is_refused_like_a_wrong_password(world):
    world.am1.active = False
    db.session.commit()
    with pytest.raises(credentials.BadCredentials):
        credentials.issue_token("am1", PASSWORD)


def test_an_account_without_api_use_is_not_allowed(world):
    make_user("knowledge_admin", world.county, "curator")
    db.session.commit()
    with pytest.raises(NotAllowed):
        credentials.issue_token("curator", PASSWORD)


def test_a_two_factor_account_needs_its_code(world):
    _enable_two_factor(world.am1)
    with pytest.raises(credentials.BadCredentials) as refused:
        credentials.issue_token("am1", PASSWORD)
    assert refused.value.field == "code"


def test_a_two_factor_account_with_a_wrong_code_is_refused(world):
    _enable_two_factor(world.am1)
    with pytest.raises(credentials.BadCredentials) as refused:
        credentials.issue_token("am1", PASSWORD, code="000000x")
    assert refused.value.field == "code"


def test_a_two_factor_account_with_the_current_code_gets_a_token(world):
    secret = _enable_two_factor(world.am1)
    with current_app.test_request_context():
        issued = credentials.issue_token("am1", PASSWORD, code=_current_code(secret))
    assert issued.user.id == world.am1.id


@pytest.mark.app_config(WORKBENCH_ADMIN_2FA_REQUIRED=True)
def test_an_admin_who_must_use_two_factor_but_has_not_set_it_up_is_not_allowed(world):
    with pytest.raises(NotAllowed):
        credentials.issue_token("admin", PASSWORD)
