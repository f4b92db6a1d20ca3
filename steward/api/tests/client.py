"""A test client that calls /api/v1 as one user with a bearer token, as an API client would."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from steward.users.models import User
from steward.users.services import api_token_create

BASE = "/api/v1"


class ApiClient:
    """JSON requests to the API with `Authorization: Bearer <key>` for `user`."""

    def __init__(self, client: Client, user: User | None, *, key: str | None = None):
        if key is None and user is not None:
            _, key = api_token_create(user=user, name="tests")
        self.client = client
        self.headers = {"Authorization": f"Bearer {key}"} if key else {}

    def _h(self, if_match: str | None) -> dict[str, str]:
        return {**self.headers, **({"If-Match": if_match} if if_match is not None else {})}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(BASE + path, params, headers=self.headers)

    def post(self, path: str, body: Any = None, *, raw: str | bytes | None = None) -> Any:
        data = raw if raw is not None else json.dumps(body)
        return self.client.post(BASE + path, data, content_type="application/json", headers=self.headers)

    def patch(self, path: str, body: Any = None, *, if_match: str | None = None, raw: str | None = None) -> Any:
        data = raw if raw is not None else json.dumps(body)
        return self.client.patch(BASE + path, data, content_type="application/json", headers=self._h(if_match))

    def put(self, path: str, body: Any = None, *, if_match: str | None = None) -> Any:
        return self.client.put(BASE + path, json.dumps(body), content_type="application/json", headers=self._h(if_match))

    def delete(self, path: str, *, if_match: str | None = None) -> Any:
        return self.client.delete(BASE + path, headers=self._h(if_match))
