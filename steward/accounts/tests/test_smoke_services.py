import pytest
from django.utils import timezone

from steward.accounts import services
from steward.accounts.selectors import accounts_visible_to
from steward.core.audit import verify_chain


@pytest.mark.django_db
def test_interaction_updates_last_touch_and_audits(personas):
    acc = personas.account
    i = services.interaction_create(
        actor=personas.owner, account=acc, data={"kind": "call", "occurred_at": timezone.now(), "subject": "Hello"}
    )
    acc.refresh_from_db()
    assert acc.last_touchpoint_at == i.occurred_at
    assert verify_chain().ok
    assert set(accounts_visible_to(personas.director)) == {acc}
    assert list(accounts_visible_to(personas.outsider)) == []
