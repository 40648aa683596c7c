"""What the OpenAPI document says beyond the handlers' signatures: every error status an
operation can answer, each with the one error body (``schemas.errors.ErrorBody``), and the
refusal codes with their English messages."""

from typing import Any

from litestar.openapi import OpenAPIConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.plugins import RedocRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

from portal.refusals import CODES, MESSAGES
from schemas.errors import ErrorBody

_WHY = {
    400: "Malformed: a body that is not JSON, a bad query parameter, path or header",
    401: "No valid API key (x-api-key), or the id header is missing",
    403: "The API key belongs to another operator or authority than the id header names",
    404: "No such object, or not yours (another's object answers 404, never 403)",
    409: "A conflict with what is stored: an overlap, the declaration's status, a duplicate",
    413: "The body is larger than the limit",
    415: "The body is not JSON",
    422: "A well-formed body that breaks a rule: every failing field is named",
    429: "Too many requests from this client address: Retry-After says when to try again",
    503: "A service the portal needs is unavailable",
}
# What every operation of a kind can answer.
AUTHENTICATED = (400, 401, 403)
WITH_BODY = (400, 413, 415, 422)


def errors(*statuses: int) -> dict[int, ResponseSpec]:
    """The ``responses`` of an operation that can refuse with ``statuses``."""
    return {
        status: ResponseSpec(data_container=ErrorBody, description=_WHY[status], generate_examples=False)
        for status in sorted(set(statuses))
    }


def _codes_table() -> str:
    rows = "\n".join(f"| `{code}` | {MESSAGES[code]} |" for code in CODES)
    return (
        "\n\n## Refusals\n\nEvery error answer is `{message, errors: [{field, code, params, message}]}`. `field` is"
        " the JSON path of the field (`declarationVehiclePlateNumberHeavy[1]`), a header or query parameter, or"
        " empty for the request as a whole; `code` is one of those below, stable; `params` hold the values its"
        " message names, so that a page can say it in another language.\n\n| code | message |\n| --- | --- |\n" + rows
    )


def config(description: str, version: str) -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Posting declaration portal",
        version=version,
        description=description + _codes_table(),
        path="/schema",
        render_plugins=[RedocRenderPlugin(path="/"), SwaggerRenderPlugin(path="/swagger")],
        components=Components(
            security_schemes={
                "apiKey": SecurityScheme(type="apiKey", name="x-api-key", security_scheme_in="header"),
                "operatorId": SecurityScheme(type="apiKey", name="x-operator-id", security_scheme_in="header"),
                "authorityId": SecurityScheme(type="apiKey", name="x-authority-id", security_scheme_in="header"),
            }
        ),
    )


__all__: list[Any] = ["AUTHENTICATED", "WITH_BODY", "config", "errors"]
