"""The account behind verified claims, without HTTP: the core's default claim mapping and
the rules of `sso.user_for_claims` (match by issuer + subject, link, create, refuse)."""
from __future__ import annotations

import pytest

from tests.support.factories import make_user
from workbench.auth import sso
from workbench.auth.hooks import workbench_resolve_sso_user
from workbench.extensions import db

ISSUER = "https://portal.corp.example"


def claims(**values):
    base = {"iss": ISSUER, "sub": "s-1", "preferred_username": "Zhou", "name": "Zhou Jie",
            "org_unit_code": "G1", "roles": ["account_manager"]}
    base.update(values)
    return {key: value for key, value in base.items() if value is not None}


def test_default_mapping_reads_unit_roles_and_profile(app):
    identity = workbench_resolve_sso_user(claims=claims(email="zhou@corp.example", phone_number="138"))

    assert identity.username == "Zhou"
    assert identity.org_unit_code == "G1"
    assert identity.roles == ("account_manager",)
    assert identity.display_name == "Zhou Jie"
    assert identity.email == "zhou@corp.example"
    assert identity.phone == "138"


@pytest.mark.parametrize("value, expected", [
    ("lead; city_manager", ("lead", "city_manager")),
    ("lead,,", ("lead",)),
    ([" lead ", ""], ("lead",)),
    (None, ("account_manager",)),
    ([], ("account_manager",)),
    (42, ("account_manager",)),
])
def test_default_mapping_accepts_roles_as_list_or_separated_string(app, value, expected):
    assert workbench_resolve_sso_user(claims=claims(roles=value)).roles == expected


def test_default_mapping_passes_without_a_unit(app):
    assert workbench_resolve_sso_user(claims=claims(org_unit_code=None)) is None


def test_default_mapping_falls_back_to_the_subject_as_username(app):
    assert workbench_resolve_sso_user(claims=claims(preferred_username=None)).username == "s-1"


@pytest.mark.app_config(WORKBENCH_OIDC_UNIT_CLAIM="dept", WORKBENCH_OIDC_ROLES_CLAIM="groups")
def test_default_mapping_follows_the_configured_claim_names(app):
    identity = workbench_resolve_sso_user(claims=claims(org_unit_code=None, dept="X1", groups="lead"))

    assert identity.org_unit_code == "X1"
    assert identity.roles == ("lead",)


def test_new_person_gets_an_account_in_the_claimed_unit(world):
    user = sso.user_for_claims(claims())

    assert user.username == "zhou"
    assert user.password is None
    assert user.sso_subject == f"{ISSUER}|s-1"
    assert user.org_unit_id == world.grid1.id


def test_same_subject_at_another_issuer_is_another_person(world):
    first = sso.user_for_claims(claims())
    db.session.commit()

    with pytest.raises(sso.SsoRefused) as refused:
        sso.user_for_claims(claims(iss="https://other-portal.example"))

    # Same username, but the account is linked to the first issuer: not taken over.
    assert refused.value.reason == "username_taken"
    assert first.sso_subject == f"{ISSUER}|s-1"


def test_email_already_used_by_another_account_is_not_copied(world):
    world.am1.email = "shared@corp.example"
    db.session.commit()

    user = sso.user_for_claims(claims(email="shared@corp.example"))

    assert user.email is None


def test_inactive_prepared_account_is_refused(world):
    prepared = make_user("account_manager", world.grid1, "zhou", password=None)
    prepared.active = False
    db.session.commit()

    with pytest.raises(sso.SsoRefused) as refused:
        sso.user_for_claims(claims())

    assert refused.value.reason == "inactive"


def test_inactive_linked_account_is_refused_before_any_mapping(world):
    user = sso.user_for_claims(claims())
    user.active = False
    db.session.commit()

    # Even claims that map nowhere report the real reason: the account is disabled.
    with pytest.raises(sso.SsoRefused) as refused:
        sso.user_for_claims(claims(org_unit_code="NOWHERE"))

    assert refused.value.reason == "inactive"


def test_claims_without_a_subject_are_refused(world):
    with pytest.raises(sso.SsoRefused) as refused:
        sso.user_for_claims(claims(sub=None))

    assert refused.value.reason == "provider"


def test_unit_that_is_archived_does_not_count(world):
    world.grid1.active = False
    db.session.commit()

    with pytest.raises(sso.SsoRefused) as refused:
        sso.user_for_claims(claims())

    assert refused.value.reason == "unknown_unit"
