"""Column types shared by the models: aware UTC datetimes, string-stored enums, and values
encrypted at rest (health data, crypto.py)."""

from datetime import UTC, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.sql import operators
from sqlalchemy.types import TypeDecorator

from .. import crypto


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """An aware UTC datetime on every database (SQLite hands back naive values)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def enum_type(enum: type[StrEnum], name: str) -> sa.Enum:
    """A StrEnum stored as its value in a VARCHAR with a CHECK constraint."""
    return sa.Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum) + 4,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class Sealed(str):
    """Text already encrypted with crypto.encrypt, written to an encrypted column as it is.

    The bulk writer of the scale data encrypts in the generating thread (which has the
    app's keys) and writes from another; its rows carry these."""


class _NotComparable(TypeDecorator.Comparator):
    """SQL cannot compare encrypted values: each encryption of the same text differs, so a
    comparison would silently match nothing. Read the rows and compare in Python."""

    def operate(self, op, *other, **kwargs):
        if op in (operators.is_, operators.is_not) and self.type.null_is_plain:
            return super().operate(op, *other, **kwargs)
        raise TypeError(f"{self.expr} is stored encrypted: SQL cannot compare or sort by it")

    def reverse_operate(self, op, other, **kwargs):
        raise TypeError(f"{self.expr} is stored encrypted: SQL cannot compare or sort by it")


class EncryptedType(TypeDecorator):
    """A value stored as a Fernet token (crypto.py, the configured DATA_ENCRYPTION_KEYS) and
    plain to the code. Rotation (crypto_rotation.py) finds every column of these types."""

    impl = sa.Text
    cache_ok = True
    comparator_factory = _NotComparable
    null_is_plain = True  # NULL is stored as NULL; `IS NULL` works

    def _text(self, value) -> str:
        raise NotImplementedError

    def _value(self, text: str):
        raise NotImplementedError

    def process_bind_param(self, value, dialect) -> str | None:
        if isinstance(value, Sealed):
            return str(value)
        if value is None and self.null_is_plain:
            return None
        text = self._text(value)
        return text if text == "" else crypto.encrypt(text)

    def process_result_value(self, value: str | None, dialect):
        if value is None:
            return None
        return self._value(crypto.decrypt(value) if value else "")

    def seal(self, value) -> str | None:
        """The value as the column stores it, encrypted now: for rows written in bulk by
        another thread (scale_data's writer), which passes a Sealed value on unchanged."""
        stored = self.process_bind_param(value, None)
        return None if stored is None else Sealed(stored)


class EncryptedText(EncryptedType):
    """Free text encrypted at rest. Empty text is stored empty (it says nothing)."""

    cache_ok = True

    def _text(self, value: str) -> str:
        return value

    def _value(self, text: str) -> str:
        return text


class EncryptedEnum(EncryptedType):
    """A StrEnum member encrypted at rest, padded to the longest value so that every member
    encrypts to a token of the same length. The member is checked when written (the
    database cannot check what it cannot read)."""

    cache_ok = True

    def __init__(self, enum: type[StrEnum]) -> None:
        super().__init__()
        self.enum = enum
        self.width = max(len(m.value) for m in enum)

    def _text(self, value) -> str:
        return self.enum(value).value.ljust(self.width)

    def _value(self, text: str):
        return self.enum(text.rstrip(" "))


class EncryptedDateTime(EncryptedType):
    """An aware datetime encrypted at rest, as a fixed-width UTC timestamp. With
    `seal_null`, None is stored encrypted too, as blanks of the same width: whether a row
    has the value cannot be told from the database."""

    cache_ok = True

    WIDTH = len("2025-09-05T00:00:00.000000+00:00")

    def __init__(self, *, seal_null: bool = False) -> None:
        super().__init__()
        self.seal_null = seal_null
        self.null_is_plain = not seal_null

    def _text(self, value: datetime | None) -> str:
        if value is None:
            return " " * self.WIDTH
        if value.tzinfo is None:
            raise ValueError("naive datetime given to an EncryptedDateTime column")
        return value.astimezone(UTC).isoformat(timespec="microseconds")

    def _value(self, text: str) -> datetime | None:
        text = text.strip()
        return datetime.fromisoformat(text).astimezone(UTC) if text else None
