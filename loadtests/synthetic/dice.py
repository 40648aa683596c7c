"""Deterministic drawing for the synthetic fleet: every number comes from a hash of the seed,
a purpose and an index, so any record can be made again without the ones before it."""

import datetime
import functools
import hashlib
import struct
import unicodedata
from collections.abc import Sequence
from typing import TypeVar

from loadtests.synthetic.tables import _DNI_LETTER, _DNI_LETTERS, _UNIQUE, DIGITS, PlateFormat, Template, _template

T = TypeVar("T")
# ---------------------------------------------------------------------------------------------
# Drawing numbers.
# ---------------------------------------------------------------------------------------------

_KEY = struct.Struct("<qbq")
_PHONE = _template("%# ### ## ##")
_DRIVER, _RECORD, _INVALID, _FLEET = 1, 2, 3, 4
# Driver numbers (and so licence numbers) are unique up to this many drivers.
MAX_DRIVERS = 10**8
_MASK64 = (1 << 64) - 1


def _mix(value: int, key: int) -> int:
    mixed = ((value ^ key) * 0x9E3779B97F4A7C15) & _MASK64
    return mixed ^ (mixed >> 29)


def _shuffle(value: int, high: int, low: int, keys: tuple[int, int, int]) -> int:
    """A keyed bijection of range(high * low), so that numbers of neighbouring drivers look unrelated.

    Three rounds of a Feistel network over the digits (value // low, value % low): each round
    shifts one half by a hash of the other, which the next can undo, so no two values collide.
    """
    upper, lower = divmod(value, low)
    upper = (upper + _mix(lower, keys[0])) % high
    lower = (lower + _mix(upper, keys[1])) % low
    upper = (upper + _mix(lower, keys[2])) % high
    return upper * low + lower


class _Dice:
    """Numbers drawn from one 512-bit hash of (seed, purpose, index).

    Hashing is five times cheaper than seeding a ``random.Random`` for each record, and a record
    uses well under half of the bits: each draw takes the remainder of what is left, divides the
    rest, and is as good as uniform while the rest stays far larger than the range drawn from.
    """

    __slots__ = ("_bits",)

    def __init__(self, seed: int, purpose: int, index: int) -> None:
        digest = hashlib.blake2b(_KEY.pack(seed, purpose, index), digest_size=64).digest()
        self._bits = int.from_bytes(digest, "little")

    def below(self, n: int) -> int:
        self._bits, value = divmod(self._bits, n)
        return value

    def pick(self, options: Sequence[T]) -> T:
        self._bits, value = divmod(self._bits, len(options))
        return options[value]

    def fill(self, template: Template, unique: str = "") -> str:
        """A number of the shape ``template`` says; "&" runs take the next digits of ``unique``."""
        out: list[str] = []
        taken = 0
        for options, width in template:
            if options is DIGITS:
                self._bits, value = divmod(self._bits, _POWERS_OF_TEN[width])
                out.append(str(value).zfill(width))
            elif width == 0:
                out.append(options[0])
            elif options is _UNIQUE:
                out.append(unique[taken : taken + width])
                taken += width
            elif options is _DNI_LETTER:
                out.append(_DNI_LETTERS[int("".join(char for char in "".join(out) if char.isdigit())) % 23])
            else:
                self._bits, value = divmod(self._bits, len(options))
                out.append(options[value])
        return "".join(out)


_POWERS_OF_TEN = tuple(10**width for width in range(20))


def _ascii(name: str) -> str:
    """A name as the local part of an e-mail address: lukasz.wisniewski, not łukasz.wiśniewski."""
    spelled = name.translate(_NOT_DECOMPOSING)
    stripped = "".join(char for char in unicodedata.normalize("NFKD", spelled) if not unicodedata.combining(char))
    return "".join(char for char in stripped.lower() if char.isascii() and (char.isalnum() or char == "-"))


# Letters that carry no combining mark to strip.
_NOT_DECOMPOSING = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "æ": "ae", "ß": "ss"})


@functools.lru_cache(maxsize=4096)
def _ascii_cached(name: str) -> str:
    return _ascii(name)


@functools.lru_cache(maxsize=2048)
def _iso(ordinal: int) -> str:
    # Declaration periods fall on few distinct days, so almost all of these are cache hits.
    return datetime.date.fromordinal(ordinal).isoformat()


def _plate(formats: tuple[PlateFormat, ...], keys: tuple[tuple[int, int, int], ...], vehicle: int) -> str:
    count = len(formats)
    number = vehicle // count
    # Rotating the format by the block makes neighbouring vehicles differ in format too.
    index = (vehicle + number) % count
    plate_format = formats[index]
    value = _shuffle(number, plate_format.capacity // plate_format.low, plate_format.low, keys[index])
    # The plate's characters are the digits of ``value`` in the mixed radix of the format.
    parts = []
    for options, width in reversed(plate_format.steps):
        if width == 0:
            parts.append(options[0])
        elif options is DIGITS:
            value, run = divmod(value, _POWERS_OF_TEN[width])
            parts.append(str(run).zfill(width))
        else:
            value, digit = divmod(value, len(options))
            parts.append(options[digit])
    return "".join(reversed(parts))


# ---------------------------------------------------------------------------------------------
# The fleet.
# ---------------------------------------------------------------------------------------------
