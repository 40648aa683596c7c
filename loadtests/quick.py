"""A quick measurement: create + submit against the same server's plain JSON ``/ping``, in one run.

    python -m loadtests.quick --host http://127.0.0.1:8000 [--users 32] [--seconds 20]

Starts nothing: point it at a running ``portal serve``. Unless PORTAL_LOAD_OPERATOR_ID and
PORTAL_LOAD_API_KEY are set, it registers an operator with ``portal admin create-operator``
(with the same DATABASE_URL as the server). Each scenario runs in locust, headless, for the
same time with the same users; the table gives each one's rate, p50 and p99, and the ratio.
"""

import argparse
import csv
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import msgspec

LOCUSTFILE = Path(__file__).with_name("fleet.py")


def operator_credentials() -> dict[str, str]:
    if os.environ.get("PORTAL_LOAD_OPERATOR_ID") and os.environ.get("PORTAL_LOAD_API_KEY"):
        return {name: os.environ[name] for name in ("PORTAL_LOAD_OPERATOR_ID", "PORTAL_LOAD_API_KEY")}
    printed = subprocess.run(
        [
            sys.executable,
            "-m",
            "portal",
            "admin",
            "create-operator",
            "--name",
            "Load test",
            "--country",
            "PL",
            "--json",
        ],
        check=True,
        capture_output=True,
    ).stdout
    created = msgspec.json.decode(printed)
    return {"PORTAL_LOAD_OPERATOR_ID": created["operatorId"], "PORTAL_LOAD_API_KEY": created["apiKey"]}


def run_scenario(
    user_class: str, host: str, users: int, seconds: int, env: dict[str, str], locustfile: Path = LOCUSTFILE
) -> list[dict[str, str]]:
    with tempfile.TemporaryDirectory() as folder:
        prefix = Path(folder) / "stats"
        subprocess.run(
            [
                sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "--only-summary",
                "-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--host", host,
                "--csv", str(prefix), "--loglevel", "WARNING", user_class,
            ],
            check=False,
            env=env,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        with open(f"{prefix}_stats.csv", newline="") as stats:
            return list(csv.DictReader(stats))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="http://127.0.0.1:8000")
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=20)
    args = parser.parse_args()
    env = os.environ | operator_credentials()
    rows = []
    for user_class in ("PingUser", "FilingUser"):
        for row in run_scenario(user_class, args.host, args.users, args.seconds, env):
            if row["Name"] != "Aggregated" and int(row["Request Count"]):
                rows.append(row)
    baseline = next(float(row["Requests/s"]) for row in rows if row["Name"] == "/ping")
    print(f"{'endpoint':32} {'requests':>9} {'failures':>9} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'vs /ping':>8}")
    for row in rows:
        rate = float(row["Requests/s"])
        print(
            f"{row['Type'] + ' ' + row['Name']:32} {row['Request Count']:>9} {row['Failure Count']:>9} {rate:8.0f}"
            f" {row['50%']:>7} {row['99%']:>7} {rate / baseline:8.0%}"
        )


if __name__ == "__main__":
    main()
