"""Building blocks of request schemas: safe text, aware times, strict bodies."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import AfterValidator, AwareDatetime, ConfigDict
from pydantic_core import PydanticCustomError


def _no_nul(value: str) -> str:
    # PostgreSQL refuses NUL in text; refusing it here keeps the answer a 422, not a 500.
    if "\x00" in value:
        raise PydanticCustomError("nul_character", "Text cannot contain NUL characters.")
    return value


def _utc(value: dt.datetime) -> dt.datetime:
    try:
        return value.astimezone(dt.UTC)
    except OverflowError as exc:
        raise PydanticCustomError("datetime_range", "This date and time is out of range.") from exc


Text = Annotated[str, AfterValidator(_no_nul)]
"""A string without NUL characters."""

When = Annotated[AwareDatetime, AfterValidator(_utc)]
"""A date and time with a time zone, converted to UTC."""


class Payload(Schema):
    """A request body: unknown fields are refused, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True)


def optional(description: str | None = None) -> Any:
    """A field that may be left out but is never null: left out keeps the default or current value."""
    return Field(None, description=description)
