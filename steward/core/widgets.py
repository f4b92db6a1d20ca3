"""Select widgets rendered in Python.

Django renders every <option> through the template engine, which costs about a tenth of a
millisecond each: a picker of 800 colleagues or 400 time zones adds 50-100 ms to a page.
These widgets write the same markup directly, escaped, with the same attributes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe


def _options(choices: Iterable[Any], selected: set[str]) -> Iterable[str]:
    for value, label in choices:
        if isinstance(label, list | tuple):  # an <optgroup>
            inner = "".join(_options(label, selected))
            yield format_html('<optgroup label="{}">', value) + mark_safe(inner) + mark_safe("</optgroup>")  # noqa: S308
            continue
        text = "" if value is None else str(value)
        yield (
            f'<option value="{conditional_escape(text)}"{" selected" if text in selected else ""}>'
            f"{conditional_escape(label)}</option>"
        )


class FastSelect(forms.Select):
    """A drop-in `Select` whose options are written in Python."""

    def render(self, name: str, value: Any, attrs: dict | None = None, renderer: Any = None) -> SafeString:
        final_attrs = self.build_attrs(self.attrs, attrs)
        final_attrs["name"] = name
        if self.allow_multiple_selected:
            final_attrs["multiple"] = True
        selected = {str(v) for v in self.format_value(value)}
        body = "".join(_options(self.choices, selected))
        return mark_safe(f"<select{flatatt(final_attrs)}>{body}</select>")  # noqa: S308 - parts escaped above


class FastSelectMultiple(FastSelect, forms.SelectMultiple):
    """A drop-in `SelectMultiple` whose options are written in Python."""

    allow_multiple_selected = True
