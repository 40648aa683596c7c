"""The published contract matches the code: the committed JSON Schema files and the OpenAPI document."""

from litestar import Litestar
from litestar.testing import AsyncTestClient

from schemas.export import FOLDER, json_schemas

REGENERATE = "the JSON Schema files are out of date: run `python -m schemas.export` and commit schemas/json"

# The operator paths of the official public interface, spelled as the portal serves them.
OFFICIAL_OPERATOR_PATHS = {
    "/drivers",
    "/drivers/{driver_id}",
    "/plate-numbers",
    "/plate-numbers/{plate_number_id}",
    "/declarations",
    "/declarations/{declaration_id}",
    "/declarations/{declaration_id}/submit",
    "/declarations/{declaration_id}/withdraw",
    "/declarations/{declaration_id}/copy",
}
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def test_committed_json_schemas_match_the_structs() -> None:
    expected = json_schemas()
    for name, content in expected.items():
        path = FOLDER / name
        assert path.exists(), f"schemas/json/{name} is missing: {REGENERATE}"
        assert path.read_bytes() == content, f"schemas/json/{name} differs: {REGENERATE}"


def test_no_stale_json_schema_files() -> None:
    stale = sorted(path.name for path in FOLDER.glob("*.json") if path.name not in json_schemas())
    assert not stale, f"no Struct produces {stale}: {REGENERATE}"


async def test_openapi_lists_official_paths_with_operation_ids(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200, response.text
    paths = response.json()["paths"]
    missing = OFFICIAL_OPERATOR_PATHS - paths.keys()
    assert not missing, f"OpenAPI lacks official paths {sorted(missing)}"
    operation_ids = []
    for path, item in paths.items():
        for method in HTTP_METHODS & item.keys():
            operation_id = item[method].get("operationId")
            assert operation_id, f"{method.upper()} {path} has no operationId"
            operation_ids.append(operation_id)
    # Generated clients name their functions after operationIds: duplicates would collide.
    assert len(operation_ids) == len(set(operation_ids)), sorted(operation_ids)
