"""Suite-wide fixtures: the access personas every channel is tested with."""

import os
from dataclasses import dataclass

import pytest

os.environ.setdefault("STEWARD_TESTING", "1")


@pytest.fixture(autouse=True)
def _immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@dataclass
class Personas:
    """Owner, teammate, manager (of the owner), director (of the manager), outsider, sponsor, admin."""

    director: object
    manager: object
    owner: object
    teammate: object
    outsider: object
    sponsor: object
    admin: object
    account: object


@pytest.fixture
def personas(db):
    from steward.accounts.tests.factories import AccountFactory, TeamMemberFactory
    from steward.users.choices import Role
    from steward.users.tests.factories import UserFactory

    director = UserFactory(username="director", role=Role.DIRECTOR)
    manager = UserFactory(username="manager", role=Role.MANAGER, manager=director)
    owner = UserFactory(username="owner", role=Role.EXECUTIVE, manager=manager)
    teammate = UserFactory(username="teammate", role=Role.OPERATIONS)
    outsider = UserFactory(username="outsider", role=Role.MANAGER)
    sponsor = UserFactory(username="sponsor", role=Role.SPONSOR)
    admin = UserFactory(username="admin", role=Role.ADMIN)
    account = AccountFactory(name="Acme Logistics", owner=owner, executive_sponsor=sponsor)
    TeamMemberFactory(account=account, user=teammate)
    return Personas(director, manager, owner, teammate, outsider, sponsor, admin, account)
