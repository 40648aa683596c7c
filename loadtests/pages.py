"""Locust scenarios of people on the web pages, and of fleet software doing the same through
the API, for ``portal bench`` to set side by side.

- ``PagesUser`` logs in (``PORTAL_LOAD_EMAIL``, ``PORTAL_LOAD_PASSWORD``: a person of the load
  operator), then lists the declarations, opens one, files one through the form, in turn.
- ``PagesApiUser`` does the same three things through the API, with the operator's key.

Each registers a driver and a lorry of its own through the API first (what a person would
have done on the pages before), so that both file the same declarations.
"""

import os
import re
from collections import deque

from locust import FastHttpUser, between, task
from locust.exception import StopUser

from loadtests.page_forms import as_form, declaration_body
from loadtests.scenarios import filing
from loadtests.scenarios.common import REMEMBERED, Fleet

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_OPENED = re.compile(r'href="/web/declarations/([0-9a-f-]{36})"')


class PagesUser(FastHttpUser):
    wait_time = between(0, 0)

    def on_start(self) -> None:
        self.fleet = Fleet(self.client, filing.WEEK)
        login = self.client.get("/web/login", name="page: log in (form)")
        found = _CSRF.search(login.text or "")
        if found is None:
            raise StopUser
        self.csrf = found.group(1)
        answer = self.client.post(
            "/web/login",
            name="page: log in",
            data={
                "csrf_token": self.csrf,
                "email": os.environ["PORTAL_LOAD_EMAIL"],
                "password": os.environ["PORTAL_LOAD_PASSWORD"],
            },
            allow_redirects=False,
        )
        if answer.status_code != 303:
            raise StopUser
        self.opened: deque[str] = deque(maxlen=REMEMBERED)
        self.form = as_form(declaration_body(self.fleet.driver_id, self.fleet.plate))

    @task
    def list_declarations(self) -> None:
        listed = self.client.get("/web/declarations", name="list")
        self.opened.extend(_OPENED.findall(listed.text or ""))

    @task
    def open_declaration(self) -> None:
        if self.opened:
            self.client.get(f"/web/declarations/{self.opened[-1]}", name="open")

    @task
    def file_declaration(self) -> None:
        with self.client.post(
            "/web/declarations/new",
            name="file",
            data={"csrf_token": self.csrf, **self.form},
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            if answer.status_code == 303:
                answer.success()
            else:
                answer.failure(f"{answer.status_code}")


class PagesApiUser(FastHttpUser):
    wait_time = between(0, 0)

    def on_start(self) -> None:
        self.fleet = Fleet(self.client, filing.WEEK)
        self.opened: deque[str] = deque(maxlen=REMEMBERED)
        self.body = declaration_body(self.fleet.driver_id, self.fleet.plate)

    @task
    def list_declarations(self) -> None:
        listed = self.client.get("/declarations?limit=50", name="list", headers=self.fleet.headers)
        if listed.status_code == 200:
            self.opened.extend(item["declarationId"] for item in listed.json()["items"])

    @task
    def open_declaration(self) -> None:
        if self.opened:
            self.client.get(f"/declarations/{self.opened[-1]}", name="open", headers=self.fleet.headers)

    @task
    def file_declaration(self) -> None:
        self.client.post("/declarations", name="file", headers=self.fleet.headers, json=self.body)
