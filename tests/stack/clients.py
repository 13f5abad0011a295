"""How the stack tests speak to the stack: over HTTP, as a script with a token or as a signed-in browser."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import requests

if TYPE_CHECKING:
    from tests.stack.stack import Stack


class Staff:
    """A staff member using the API with a token, the way a script or an integration would."""

    def __init__(self, stack: Stack, username: str):
        self.stack = stack
        response = requests.post(f"{stack.url}/api/auth/token/",
                                 data={"username": username, "password": stack.world["password"]}, timeout=30)
        assert response.status_code == 200, response.text
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Token {response.json()['token']}"

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.http.get(f"{self.stack.url}{path}", timeout=kwargs.pop("timeout", 30), **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.http.post(f"{self.stack.url}{path}", timeout=kwargs.pop("timeout", 60), **kwargs)

    def upload(self, *, title: str, filename: str, content: bytes, classification: str = "internal",
               kind: str = "contract") -> requests.Response:
        return self.post("/api/documents/", data={"title": title, "kind": kind, "classification": classification},
                         files={"file": (filename, content)})

    def search(self, q: str) -> requests.Response:
        return self.get("/api/search/", params={"q": q})

    def found_documents(self, q: str) -> set[int]:
        response = self.search(q)
        assert response.status_code == 200, response.text
        return {row["document_id"] for row in response.json()["results"]}


def browser_session(stack: Stack, signin_path: str, fields: dict) -> requests.Session:
    """A signed-in browser-like session (CSRF cookie, form post) for the staff UI or the portal."""
    session = requests.Session()
    page = session.get(f"{stack.url}{signin_path}", timeout=30)
    assert page.status_code == 200, page.status_code
    token = session.cookies["csrftoken"]
    response = session.post(f"{stack.url}{signin_path}", data={**fields, "csrfmiddlewaretoken": token},
                            headers={"Referer": f"{stack.url}{signin_path}"}, allow_redirects=False, timeout=30)
    assert response.status_code == 302, (response.status_code, response.text[:500])
    return session


def eventually(check, *, timeout: float = 60, what: str = "condition", interval: float = 0.5):
    """Poll until `check()` returns a truthy value and return it."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"{what}: not reached after {timeout:.0f}s (last: {last!r})")
