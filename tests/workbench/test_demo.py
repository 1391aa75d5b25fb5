"""`workbench demo` prepares a working install: schema, demo accounts that can sign in, and
each with customers and to-dos of their own; running it again changes nothing."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from workbench import create_app
from workbench.auth.models import User
from workbench.customers.models import Customer
from workbench.extensions import db
from workbench.inbox.models import TodoItem
from workbench.org.scope import acting_as


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("demo")
    env = {**os.environ, "WORKBENCH_DATA_DIR": str(data_dir)}
    env.pop("WORKBENCH_DATABASE_URL", None)
    for _ in range(2):  # the second run must find the data and leave it alone
        result = subprocess.run([sys.executable, "-m", "workbench.cli", "demo", "--no-serve"],
                                env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
    assert "already present" in result.stdout
    return data_dir


def test_demo_accounts_sign_in_and_have_their_own_work(demo_dir):
    app = create_app({"DATA_DIR": str(demo_dir), "WTF_CSRF_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{demo_dir / 'workbench.db'}"})
    for username in ("admin", "lead", "am1", "am2"):
        client = app.test_client()
        response = client.post("/login", data={"username": username, "password": "workbench"})
        assert response.status_code == 302, username
        assert client.get("/").status_code == 200
    with app.app_context():
        users = {u.username: u for u in db.session.execute(select(User)).scalars()}
        assert {"province_admin", "system_admin"} <= users["admin"].role_names
        assert users["lead"].role_names == {"lead"}
        assert users["am1"].org_unit.path.startswith(users["lead"].org_unit.path)
        assert users["am2"].org_unit.path.startswith(users["lead"].org_unit.path)
        for name in ("am1", "am2"):
            with acting_as(users[name].scope):
                assert db.session.execute(select(func.count(Customer.id))).scalar_one() >= 5
                assert db.session.execute(
                    select(func.count(TodoItem.id)).where(TodoItem.owner_id == users[name].id)).scalar_one() >= 5
        assert db.session.execute(select(func.count(User.id))).scalar_one() == 12
