"""Select widgets rendered in Python.

Django renders every <option> through the template engine, which costs about a tenth of a
millisecond each: a picker of 800 colleagues or 400 time zones adds 50-100 ms to a page.
These widgets write the same markup directly, escaped, with the same attributes.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.safestring import SafeString, mark_safe


def _esc(value: Any) -> str:
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html.escape(str(value), quote=True)


def _options(choices: Iterable[Any], selected: set[str]) -> Iterable[str]:
    for value, label in choices:
        if isinstance(label, list | tuple):  # an <optgroup>
            yield f'<optgroup label="{_esc(value)}">' + "".join(_options(label, selected)) + "</optgroup>"
            continue
        text = "" if value is None else str(value)
        yield f'<option value="{_esc(text)}"{" selected" if text in selected else ""}>{_esc(label)}</option>'


def options_html(choices: Iterable[Any], selected: Iterable[Any] = ()) -> SafeString:
    """The <option> elements for `choices` (pairs of value and label, or groups of them)."""
    return mark_safe("".join(_options(choices, {str(v) for v in selected})))  # noqa: S308 - parts escaped


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
