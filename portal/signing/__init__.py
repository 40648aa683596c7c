"""The signed payload of the declaration PDF's QR code, which an inspector verifies offline.

Like the EU Digital COVID Certificate: the declaration's key facts (number, version, host
country, period, plates; no names, no document numbers) as CBOR, signed as a COSE_Sign1 with
the portal's Ed25519 key, compressed, Base45-encoded and put in the fragment of the
verification URL, so the same code opens the page online and proves itself offline.

``cose`` encodes and verifies (no I/O), ``service`` signs with the current key and rotates
keys, ``api`` publishes the public keys (``GET /verify/keys``), ``scan`` and ``inspection``
are what ``portal verify-qr`` reads and checks a code with.
"""
