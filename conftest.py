"""Suite-wide fixtures: the access personas every channel is tested with."""

import importlib
import os
from dataclasses import dataclass

import pytest

os.environ.setdefault("STEWARD_TESTING", "1")


@pytest.fixture(autouse=True, scope="session")
def _serialise_live_server_on_shared_sqlite() -> None:
    """One request at a time when the live server shares the test's in-memory SQLite connection.

    The live server answers each browser connection on its own thread, and with an in-memory SQLite
    database every thread uses the test's single connection. Two requests at once (a page's scripts and
    styles load in parallel) then interleave on that one connection, and a read can come back with
    another query's rows (a login lookup once returned "2 users" and the request failed). PostgreSQL and
    file databases give each thread its own connection and are left alone.
    """
    import threading

    from django.core.servers.basehttp import ThreadedWSGIServer
    from django.test.testcases import LiveServerThread

    class SerialisedWSGIServer(ThreadedWSGIServer):
        def set_app(self, application):
            if not self.connections_override:
                return super().set_app(application)
            lock = threading.Lock()

            def serialised(environ, start_response):
                with lock:
                    return application(environ, start_response)

            return super().set_app(serialised)

    LiveServerThread.server_class = SerialisedWSGIServer


@pytest.fixture(autouse=True)
def _immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


# Rows the data migrations put in (tiers, opportunity stages, approval rules). A transactional test (browser
# tests, concurrency tests) ends with a flush that empties them, so such tests put them back first.
DEFAULT_DATA = [
    ("accounts.Tier", "steward.accounts.migrations.0003_default_tiers", "create_tiers"),
    ("pipeline.OpportunityStage", "steward.pipeline.migrations.0003_default_stages", "add_stages"),
    ("quotes.ApprovalRule", "steward.quotes.migrations.0002_default_rules", "add_rules"),
]


@pytest.fixture(autouse=True)
def _default_data_after_flush(request):
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or bool(
        {"live_server", "transactional_db"} & set(request.fixturenames)
    )
    if not transactional:
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps

    for label, module, function in DEFAULT_DATA:
        if not apps.get_model(label).objects.exists():
            getattr(importlib.import_module(module), function)(apps, None)


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
