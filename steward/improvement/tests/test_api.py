"""/api/v1/improvement-plans: list with filters and pages, create from a breach, change with ETags,
status, actions, effectiveness; someone else's plan answers 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from steward.api.tests.client import ApiClient
from steward.improvement.tests.helpers import decided

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def test_plans_over_the_api(client, personas):
    (target,) = decided(personas.account, personas.owner, TODAY - dt.timedelta(days=3), breached=1)
    api = ApiClient(client, personas.owner)
    made = api.post("/improvement-plans", {
        "title": "Resolution breach", "problem": "Late", "account_id": str(personas.account.public_id), "source": "breach",
        "case_id": str(target.case.public_id), "target": "resolution", "whys": ["Late reply", "No night shift"],
        "cases": [target.case.number], "before_days": 30, "after_days": 30,
    })
    assert made.status_code == 201, made.json()
    plan = made.json()
    path = f"/improvement-plans/{plan['id']}"
    assert made["Location"].endswith(path) and made["ETag"] == '"1"'
    assert plan["number"].startswith("IP-") and plan["source_case"] == target.case.number and plan["cases"] == [target.case.number]
    refused = api.post("/improvement-plans", {"title": "x", "problem": "y", "metric": "nps"})
    assert refused.status_code == 422 and "metric" in refused.json()["errors"]
    assert api.post("/improvement-plans", {"title": "x", "problem": "y", "cases": ["CS-404"]}).json()["errors"]["cases"]
    assert api.post("/improvement-plans", {"title": "x", "problem": "y", "source": "breach"}).json()["errors"]["source_target"]
    assert api.post("/improvement-plans", {"title": "x", "problem": "y", "colour": "red"}).status_code == 422

    assert api.patch(path, {"title": "Renamed"}, if_match='"7"').status_code == 412
    changed = api.patch(path, {"title": "Renamed", "root_cause_category": "capacity"}, if_match='"1"')
    assert changed.status_code == 200 and changed.json()["title"] == "Renamed" and changed["ETag"] == '"2"'
    assert api.patch(path, {"title": None}).status_code == 422

    action = api.post(f"{path}/actions", {"description": "Hire a night agent", "due_on": (TODAY - dt.timedelta(days=1)).isoformat()})
    assert action.status_code == 201 and action.json()["overdue"] is True
    assert api.post(f"{path}/actions", {"description": "", "due_on": TODAY.isoformat()}).json()["errors"]["description"]
    assert api.post(f"{path}/actions", {"description": "x", "due_on": TODAY.isoformat(), "owner": "nobody"}).json()["errors"]["owner"]
    assert api.get(path).json()["status"] == "in_progress"
    done = api.patch(f"{path}/actions/{action.json()['id']}", {"status": "done"})
    assert done.json()["completed_on"] == TODAY.isoformat() and done.json()["overdue"] is False
    assert [a["status"] for a in api.get(f"{path}/actions").json()] == ["done"]

    moved = api.post(f"{path}/status", {"status": "verifying"})
    assert moved.status_code == 200 and moved.json()["status"] == "verifying"
    wrong = api.post(f"{path}/status", {"status": "open"})
    assert wrong.status_code == 422 and "status" in wrong.json()["errors"]

    effect = api.get(f"{path}/effectiveness").json()
    assert effect["metric"] == "resolution" and effect["change_date"] == TODAY.isoformat()
    assert effect["before"] == {"met": 0, "breached": 1, "pct": "0.0"} or effect["before"]["breached"] == 1
    assert effect["verdict"] == "not_measurable" and effect["provisional"] is True and effect["weeks"]

    page = api.get("/improvement-plans", status="active", limit=1).json()
    assert page["count"] == 1 and page["results"][0]["number"] == plan["number"] and page["results"][0]["open_actions"] == 0
    assert api.get("/improvement-plans", status="closed_effective").json()["count"] == 0
    assert api.get("/improvement-plans", status="galaxy").status_code == 422
    assert api.get("/improvement-plans", owner="me", overdue="false").json()["count"] == 1

    outsider = ApiClient(client, personas.outsider)
    assert outsider.get("/improvement-plans").json()["count"] == 0
    for call in (lambda: outsider.get(path), lambda: outsider.get(f"{path}/actions"), lambda: outsider.get(f"{path}/effectiveness"),
                 lambda: outsider.patch(path, {"title": "x"}), lambda: outsider.post(f"{path}/status", {"status": "open"}),
                 lambda: outsider.post(f"{path}/actions", {"description": "x", "due_on": TODAY.isoformat()})):
        assert call().status_code == 404
    sponsor = ApiClient(client, personas.sponsor)
    assert sponsor.get(path).status_code == 200 and sponsor.patch(path, {"title": "x"}).status_code == 403
