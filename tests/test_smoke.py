from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.factories import Operator, declaration_body, driver_body, vehicle_body


async def test_file_and_submit(client: AsyncTestClient[Litestar], operator: Operator) -> None:
    h = operator.headers
    r = await client.post("/drivers", json=driver_body(), headers=h)
    assert r.status_code == 201, r.text
    driver = r.json()
    r = await client.post("/plate-numbers", json=vehicle_body("wx 12-34"), headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["plateNumber"] == "WX1234"
    r = await client.post("/declarations", json=declaration_body(driver["driverId"], ["WX1234"]), headers=h)
    assert r.status_code == 201, r.text
    declaration = r.json()
    assert declaration["declarationStatus"] == "DRAFT"
    r = await client.post(f"/declarations/{declaration['declarationId']}/submit", headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["declarationStatus"] == "SUBMITTED"
