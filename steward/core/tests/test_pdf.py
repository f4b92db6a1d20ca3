"""PDF rendering: real WeasyPrint, nothing fetched from the network."""

from __future__ import annotations

import pytest
from django.template import engines

from steward.core import pdf


def test_a_template_renders_to_a_pdf(tmp_path, settings):
    (tmp_path / "doc.html").write_text('{% extends "pdf/base.html" %}{% block body %}<h1>Quote {{ n }}</h1>{% endblock %}')
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], tmp_path]}]
    engines._engines = {}  # type: ignore[attr-defined]  # pick up the test's template directory
    try:
        content = pdf.render_pdf("doc.html", {"n": "Q-1"})
    finally:
        engines._engines = {}  # type: ignore[attr-defined]
    assert content.startswith(b"%PDF-")
    assert len(content) > 1000


def test_rendering_refuses_to_fetch_remote_resources():
    with pytest.raises(pdf._NoFetch):
        pdf._refuse_fetch("http://169.254.169.254/latest/meta-data")
    with pytest.raises(pdf._NoFetch):
        pdf._refuse_fetch("file:///etc/passwd")


def test_the_response_names_the_file_safely():
    response = pdf.pdf_response(b"%PDF-1.7", 'Q-1 "x"/../a.pdf', inline=False)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Q-1--x--..-a.pdf"'
