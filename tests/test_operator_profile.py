"""The operator's profile: read, replaced, printed on the PDF, refused when bad."""

from tests.documents.reading import text
from tests.documents.test_print import printed
from tests.factories import Operator
from tests.helpers import Client, submitted

PROFILE = {
    "vatNumber": "PL5260250995",
    "registerNumber": "KRS 0000012345",
    "addressStreet": "ul. Marszałkowska 1",
    "addressPostCode": "00-001",
    "addressCity": "Warszawa",
    "addressCountry": "PL",
    "email": "office@example.com",
    "phone": "+48 22 123 45 67",
    "language": "pl",
    "weeklyDriverEmail": True,
    "transportManagerFirstName": "Zofia",
    "transportManagerLastName": "Wiśniewska",
    "transportManagerCpcNumber": "CPC-PL-778899",
}


async def test_the_profile_is_kept_and_printed(client: Client, operator: Operator) -> None:
    empty = await client.get("/operator-profile", headers=operator.headers)
    assert empty.status_code == 200, empty.text
    assert empty.json()["profile"]["vatNumber"] is None
    assert empty.json()["operatorId"] == str(operator.operator_id)
    answer = await client.put("/operator-profile", json=PROFILE, headers=operator.headers)
    assert answer.status_code == 200, answer.text
    kept = answer.json()["profile"]
    assert {key: kept[key] for key in PROFILE} == PROFILE
    assert (await client.get("/operator-profile", headers=operator.headers)).json()["profile"] == kept

    declaration = await submitted(client, operator)
    words = text(await printed(client, operator, declaration["declarationId"], "en"))
    for printed_value in ("PL5260250995", "Marszałkowska", "Wiśniewska", "CPC-PL-778899"):
        assert printed_value in words


async def test_a_bad_profile_is_refused_and_nothing_changes(client: Client, operator: Operator) -> None:
    await client.put("/operator-profile", json=PROFILE, headers=operator.headers)
    answer = await client.put(
        "/operator-profile",
        json=PROFILE | {"email": "not an address", "language": "xx", "addressCountry": "Poland", "colour": "red"},
        headers=operator.headers,
    )
    assert answer.status_code == 422, answer.text
    assert {error["field"] for error in answer.json()["errors"]} >= {"email", "language", "addressCountry"}
    assert (await client.get("/operator-profile", headers=operator.headers)).json()["profile"]["email"] == PROFILE[
        "email"
    ]
