import pytest

from tests.factories import Operator
from tests.hostile.support import Client, Fleet, new_fleet


@pytest.fixture
async def fleet(client: Client, operator: Operator) -> Fleet:
    return await new_fleet(client, operator)
