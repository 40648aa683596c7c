"""``GET /verify/keys``: the public keys that verify the QR codes of printed declarations."""

from litestar import get
from litestar.datastructures import CacheControlHeader, State

from portal.signing import service
from schemas.signing import VerificationKeys


@get(
    "/verify/keys",
    operation_id="VerificationKeys",
    tags=["Verification"],
    summary="The public keys that sign the declaration QR codes' payloads (no API key: they are public)",
    description="A JSON Web Key Set of Ed25519 keys. The code's payload (the fragment after `#PD1:`) is a"
    " COSE_Sign1 whose protected header names its key by `kid`; a retired key signs nothing new, but the"
    " codes it signed stay verifiable. Save the set to check codes offline (`portal verify-qr --offline`).",
    # Verifiers may keep it a while: a new key signs only the codes printed after it was made.
    cache_control=CacheControlHeader(public=True, max_age=300),
)
async def verification_keys(state: State) -> VerificationKeys:
    return await service.published(state.db_pool)
