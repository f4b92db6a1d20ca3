"""Login, lockout, logout, password change, API tokens and reporting lines."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from steward.core.models import AuditEvent
from steward.users import lockout
from steward.users.models import ApiToken, LoginAttempt
from steward.users.selectors import user_ids_in_scope
from steward.users.services import api_token_authenticate, api_token_create
from steward.users.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _login(client, username, password, ip="10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_login_and_logout(client):
    UserFactory(username="ana")
    response = _login(client, "ana", PASSWORD)
    assert response.status_code == 302 and response.url == reverse("dashboard")
    assert client.get(reverse("dashboard")).status_code == 200
    client.post(reverse("logout"))
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302 and reverse("login") in response.url


def test_passwords_are_stored_with_argon2():
    user = UserFactory(username="ana")
    assert user.password.startswith("argon2")


def test_a_wrong_password_says_so_without_naming_which_part(client):
    UserFactory(username="ana")
    response = _login(client, "ana", "wrong")
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()


def test_repeated_failures_lock_the_user_at_that_address_even_with_the_right_password(client, settings):
    settings.LOGIN_LOCKOUT_THRESHOLD = 3
    UserFactory(username="ana")
    for _ in range(3):
        _login(client, "ana", "wrong")
    response = _login(client, "ana", PASSWORD)
    assert response.status_code == 200
    assert "Too many failed attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_lockout_does_not_lock_the_user_out_from_another_address(client, settings):
    settings.LOGIN_LOCKOUT_THRESHOLD = 3
    UserFactory(username="ana")
    for _ in range(3):
        _login(client, "ana", "wrong", ip="10.0.0.66")
    assert _login(client, "ana", PASSWORD, ip="10.0.0.2").status_code == 302


def test_an_address_spraying_many_usernames_is_locked(client, settings):
    settings.LOGIN_LOCKOUT_THRESHOLD = 2
    UserFactory(username="ana")
    for n in range(6):
        _login(client, f"guess{n}", "wrong", ip="10.9.9.9")
    assert lockout.is_locked(username="ana", ip_address="10.9.9.9")
    assert _login(client, "ana", PASSWORD, ip="10.9.9.9").status_code == 200


def test_the_lockout_ends_after_the_window(settings):
    settings.LOGIN_LOCKOUT_THRESHOLD = 2
    settings.LOGIN_LOCKOUT_WINDOW_SECONDS = 600
    for _ in range(2):
        lockout.record_attempt(username="ana", ip_address="10.0.0.1", succeeded=False)
    assert lockout.is_locked(username="ana", ip_address="10.0.0.1")
    later = timezone.now() + dt.timedelta(seconds=601)
    assert not lockout.is_locked(username="ana", ip_address="10.0.0.1", now=later)


def test_a_success_resets_the_count(settings):
    settings.LOGIN_LOCKOUT_THRESHOLD = 3
    for succeeded in (False, False, True, False, False):
        lockout.record_attempt(username="ana", ip_address="10.0.0.1", succeeded=succeeded)
    assert not lockout.is_locked(username="ana", ip_address="10.0.0.1")


def test_old_attempts_are_pruned():
    LoginAttempt.objects.create(username="x", ip_address="10.0.0.1", attempted_at=timezone.now() - dt.timedelta(days=2))
    lockout.record_attempt(username="ana", ip_address="10.0.0.1", succeeded=False)
    assert list(LoginAttempt.objects.values_list("username", flat=True)) == ["ana"]


def test_password_change(client):
    user = UserFactory(username="ana")
    client.force_login(user)
    url = reverse("password_change")
    bad = client.post(url, {"old_password": "nope", "new_password1": "x", "new_password2": "y"})
    assert bad.status_code == 200
    assert "old password was entered incorrectly" in bad.content.decode()
    ok = client.post(url, {"old_password": PASSWORD, "new_password1": "a-much-longer-one-77", "new_password2": "a-much-longer-one-77"})
    assert ok.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-much-longer-one-77")


def test_a_token_is_issued_once_stored_hashed_and_revocable_from_the_page(client):
    user = UserFactory(username="ana")
    client.force_login(user)
    response = client.post(reverse("api_tokens"), {"name": "reporting script"})
    page = response.content.decode()
    token = ApiToken.objects.get(user=user)
    key = next(word for word in page.replace("<", " ").replace(">", " ").split() if word.startswith("stw_"))
    assert token.key_hash != key and key not in token.key_hash
    assert api_token_authenticate(key) == user
    assert key not in client.get(reverse("api_tokens")).content.decode()  # shown once
    client.post(reverse("api_token_revoke", args=[token.public_id]))
    assert api_token_authenticate(key) is None
    assert AuditEvent.objects.filter(object_type="users.apitoken").count() == 2


def test_a_token_needs_a_name(client):
    client.force_login(UserFactory())
    response = client.post(reverse("api_tokens"), {"name": "  "})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_nobody_can_revoke_someone_elses_token(client):
    owner, other = UserFactory(), UserFactory()
    token, key = api_token_create(user=owner, name="mine")
    client.force_login(other)
    client.post(reverse("api_token_revoke", args=[token.public_id]))
    assert api_token_authenticate(key) == owner


def test_scope_follows_the_reporting_line_transitively():
    director = UserFactory()
    manager = UserFactory(manager=director)
    rep = UserFactory(manager=manager)
    peer = UserFactory(manager=director)
    outsider = UserFactory()
    assert user_ids_in_scope(director) == {director.pk, manager.pk, rep.pk, peer.pk}
    assert user_ids_in_scope(manager) == {manager.pk, rep.pk}
    assert user_ids_in_scope(rep) == {rep.pk}
    assert outsider.pk not in user_ids_in_scope(director)


def test_a_reporting_line_cannot_loop():
    director = UserFactory()
    manager = UserFactory(manager=director)
    rep = UserFactory(manager=manager)
    director.manager = rep
    with pytest.raises(ValidationError) as excinfo:
        director.full_clean()
    assert "manager" in excinfo.value.message_dict
    director.manager = director
    with pytest.raises(ValidationError):
        director.full_clean()


def test_the_admin_refuses_a_looping_reporting_line(client):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    director = UserFactory(username="dir")
    manager = UserFactory(username="mgr", manager=director)
    client.force_login(admin)
    url = reverse("admin:users_user_change", args=[director.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, list | tuple)}
    data.update(
        username="dir", manager=manager.pk, role=director.role, date_joined_0="2026-01-01", date_joined_1="00:00:00",
        first_name=director.first_name, last_name=director.last_name, email=director.email, is_active="on",
    )
    data.pop("password", None)
    data.pop("last_login", None)
    data.pop("date_joined", None)
    response = client.post(url, data)
    assert response.status_code == 200
    assert "circular" in response.content.decode()
    director.refresh_from_db()
    assert director.manager_id is None
