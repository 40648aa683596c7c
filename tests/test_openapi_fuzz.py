"""Schemathesis against the OpenAPI document the application serves: whatever it generates, valid
or not, with the operator's credentials or without, the answer is never a server error.

Schemathesis drives an ASGI application from an event loop of its own, in a thread, and starts the
application's lifespan there. The application of the other tests (the ``app`` fixture) already runs
its lifespan, and its database pool belongs to pytest's event loop, so this file builds a second
application from the same settings: it shares the database and Redis, never a pool or a loop.

``schemathesis.pytest.from_fixture`` does not work with pytest 9 (it reads ``Function._nodeid``,
which pytest 9 removed), so each operation is a parametrized test that runs Hypothesis itself, in
both generation modes: schema-valid requests and schema-breaking ones.
"""

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import asyncpg
import msgspec
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from litestar import Litestar
from litestar.testing import AsyncTestClient
from requests.structures import CaseInsensitiveDict
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from portal.app import create_app
from portal.settings import Settings
from tests.conftest import new_operator, settings_for
from tests.factories import Operator, declaration_body, driver_body, vehicle_body

SCHEMA_PATH = "/schema/openapi.json"
MAX_EXAMPLES = 25
CREDENTIALS = ("x-api-key", "x-operator-id")
# A download link of a PDF is signed, a verification page and its keys are public: they need no key.
UNAUTHENTICATED = ("/schema", "/ping", "/health", "/metrics", "/documents", "/archives", "/verify")
HTTP_METHODS = ("get", "put", "post", "delete", "patch")

FUZZ_SETTINGS = hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    print_blob=False,
    # No shrinking: a failure is reported as the request that failed, and the run stays bounded.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)


def _operations() -> list[tuple[str, str]]:
    """Every operation of the document, read at collection time from an application never started."""
    unstarted = create_app(settings_for("postgresql://collection-only", "redis://collection-only"))
    document = unstarted.openapi_schema.to_schema()
    return [
        (method.upper(), path) for path, item in document["paths"].items() for method in item if method in HTTP_METHODS
    ]


OPERATIONS = _operations()


@pytest.fixture(scope="session")
def fuzz_app(settings: Settings) -> Iterator[Litestar]:
    yield create_app(settings)
    # Close the pools that schemathesis's lifespan opened, before conftest drops the database.
    asgi.shutdown_lifespans()


@pytest.fixture(scope="session")
def api_schema(fuzz_app: Litestar) -> Any:
    return schemathesis.openapi.from_asgi(SCHEMA_PATH, fuzz_app)


@pytest.fixture(scope="session")
async def fuzz_operator(db: asyncpg.Connection) -> Operator:
    """One operator for every generated request: what they create stays under it."""
    return await new_operator(db)


class FuzzFleet(msgspec.Struct, frozen=True):
    driver_id: str
    plate: str


@pytest.fixture(scope="session")
async def fuzz_fleet(client: AsyncTestClient[Litestar], fuzz_operator: Operator) -> FuzzFleet:
    """A driver and a HEAVY goods vehicle of the fuzzing operator, for bodies that must name them."""
    r = await client.post("/drivers", json=driver_body(), headers=fuzz_operator.headers)
    assert r.status_code == 201, r.text
    driver_id = r.json()["driverId"]
    r = await client.post("/plate-numbers", json=vehicle_body(), headers=fuzz_operator.headers)
    assert r.status_code == 201, r.text
    return FuzzFleet(driver_id, r.json()["plateNumber"])


def fuzz(api_schema: Any, method: str, path: str, test: Callable[[schemathesis.Case[Any]], None]) -> None:
    """Run ``test`` on MAX_EXAMPLES generated cases of the operation in each generation mode."""
    operation = api_schema[path][method]
    # Nothing can be made invalid in a request without parameters or body: negative mode finds no case.
    breakable = any(operation.iter_parameters()) or len(operation.body) > 0
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE) if breakable else (GenerationMode.POSITIVE,):

        @FUZZ_SETTINGS
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: schemathesis.Case[Any]) -> None:
            test(case)

        run()


def test_document_lists_the_operator_api(api_schema: Any) -> None:
    served = {(operation.method.upper(), operation.path) for operation in _ok(api_schema)}
    assert set(OPERATIONS) == served
    assert {("POST", "/drivers"), ("POST", "/plate-numbers"), ("POST", "/declarations")} <= served


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def refusals_before_authentication(case: schemathesis.Case[Any]) -> set[int]:
    """What a request without credentials may get: 401, or 404 for a path that matches no route
    (an id that is not a UUID). Authentication runs before the query or the body is read."""
    allowed = {401}
    if not all(_is_uuid(value) for value in (case.path_parameters or {}).values()):
        allowed.add(404)
    if "host" in {name.lower() for name in case.headers or {}}:
        allowed.add(400)  # a generated Host header that is not a host name: refused before anything
    return allowed


def _ok(api_schema: Any) -> list[Any]:
    return [result.ok() for result in api_schema.get_all_operations()]


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_server_error_with_credentials(api_schema: Any, fuzz_operator: Operator, method: str, path: str) -> None:
    def test(case: schemathesis.Case[Any]) -> None:
        case.call_and_validate(headers=fuzz_operator.headers, checks=[not_a_server_error])

    fuzz(api_schema, method, path, test)


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_server_error_without_credentials(api_schema: Any, method: str, path: str) -> None:
    open_to_all = path.startswith(UNAUTHENTICATED)

    def test(case: schemathesis.Case[Any]) -> None:
        # Generated requests may carry made-up credentials (the document declares them): drop them.
        headers = {name: value for name, value in (case.headers or {}).items() if name.lower() not in CREDENTIALS}
        case.headers = CaseInsensitiveDict(headers)
        response = case.call_and_validate(checks=[not_a_server_error])
        if open_to_all:
            return
        assert response.status_code in refusals_before_authentication(case), (
            f"{case.method} {case.formatted_path}: {response.text[:300]}"
        )

    fuzz(api_schema, method, path, test)


# Bodies the portal accepts, and the path parameters that go with them.
VALID: dict[tuple[str, str], Callable[[FuzzFleet], tuple[dict[str, Any], dict[str, str]]]] = {
    ("POST", "/drivers"): lambda fleet: (driver_body(), {}),
    ("PUT", "/drivers/{driver_id}"): lambda fleet: (driver_body(), {"driver_id": fleet.driver_id}),
    ("POST", "/plate-numbers"): lambda fleet: (vehicle_body(), {}),
    ("POST", "/declarations"): lambda fleet: (declaration_body(fleet.driver_id, [fleet.plate]), {}),
}


@pytest.mark.parametrize(("method", "path"), VALID, ids=[f"{m} {p}" for m, p in VALID])
def test_no_server_error_for_one_generated_field_in_a_valid_body(
    api_schema: Any, fuzz_operator: Operator, fuzz_fleet: FuzzFleet, method: str, path: str
) -> None:
    """Generated bodies rarely pass every rule (Latin names, real country codes, registered plates),
    so most stop at validation. Here each generated field goes alone into a body that passes, so
    the values the rules let through reach the services and the database."""
    answers: list[int] = []

    def test(case: schemathesis.Case[Any]) -> None:
        if not isinstance(case.body, dict):
            return
        for name, value in list(case.body.items()):
            body, path_parameters = VALID[method, path](fuzz_fleet)
            case.body = body | {name: value}
            case.path_parameters = path_parameters or case.path_parameters
            answers.append(
                case.call_and_validate(headers=fuzz_operator.headers, checks=[not_a_server_error]).status_code
            )

    fuzz(api_schema, method, path, test)
    assert {200, 201} & set(answers), "no generated field was accepted: the services were never reached"


# What an integrator checks of every answer: not a server error, a status the document lists for
# the operation, its content type, a body that fits the schema documented for that status.
CONFORMANCE = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_every_answer_is_the_one_the_document_describes(
    api_schema: Any, fuzz_operator: Operator, method: str, path: str
) -> None:
    """Schemathesis with the conformance checks on and the credentials held fixed: every status
    the operation answers is in the document, with the body and content type documented for it."""
    found: list[str] = []

    def test(case: schemathesis.Case[Any]) -> None:
        try:
            case.call_and_validate(headers=fuzz_operator.headers, checks=CONFORMANCE)
        except Exception as failure:  # every failure of every case, not only the first
            found.append(f"{case.method} {case.formatted_path}: {str(failure).strip().splitlines()[0][:300]}")

    fuzz(api_schema, method, path, test)
    assert found == [], "\n".join(dict.fromkeys(found))
