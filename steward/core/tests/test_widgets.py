"""The Python-rendered selects write what Django's own would, escaped."""

from django import forms

from steward.core.widgets import FastSelect, FastSelectMultiple


class Form(forms.Form):
    one = forms.ChoiceField(choices=[("", "Pick"), ("a", "Alpha"), ("<b>", "Bold & <i>")], widget=FastSelect, required=False)
    many = forms.MultipleChoiceField(choices=[("x", "X"), ("y", "Y"), ("z", "Z")], widget=FastSelectMultiple(attrs={"size": 3}))
    grouped = forms.ChoiceField(choices=[("Europe", [("Europe/Berlin", "Berlin")]), ("UTC", "UTC")], widget=FastSelect)


def test_values_and_labels_are_escaped_and_the_value_is_selected():
    html = str(Form(initial={"one": "<b>"})["one"])
    assert 'id="id_one"' in html and 'name="one"' in html
    assert '<option value="&lt;b&gt;" selected>Bold &amp; &lt;i&gt;</option>' in html
    assert '<option value="a">Alpha</option>' in html
    assert "<b>" not in html


def test_several_values_are_selected_in_a_multiple_select():
    html = str(Form(initial={"many": ["x", "z"]})["many"])
    assert "multiple" in html and 'size="3"' in html
    assert '<option value="x" selected>' in html and '<option value="y">' in html and '<option value="z" selected>' in html


def test_groups_render_as_optgroups():
    html = str(Form(initial={"grouped": "Europe/Berlin"})["grouped"])
    assert '<optgroup label="Europe"><option value="Europe/Berlin" selected>Berlin</option></optgroup>' in html


def test_a_bound_form_shows_the_submitted_value_and_validates():
    form = Form(data={"one": "a", "many": ["y"], "grouped": "UTC"})
    assert form.is_valid(), form.errors
    assert '<option value="a" selected>' in str(form["one"])
