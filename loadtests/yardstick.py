"""The locust user of the yardstick app (loadtests/minimal_app.py): one POST, one row."""

from locust import FastHttpUser, between, task


class MinimalInsertUser(FastHttpUser):
    wait_time = between(0, 0)

    @task
    def insert(self) -> None:
        self.client.post("/rows", json={"name": "yardstick"})
