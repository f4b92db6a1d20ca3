"""The product catalogue through pages, API and services: who edits, bad input, audit, substitutes."""

import pytest
from django.urls import reverse

from steward.api.tests.client import ApiClient
from steward.catalogue import selectors, services
from steward.catalogue.models import Product
from steward.core.errors import PermissionDenied
from steward.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def pallets(personas):
    std = services.product_create(actor=personas.admin, data={"sku": "pal-1200", "name": "Euro pallet", "family": "Pallets", "list_price": "12.50", "unit_cost": "7.00"})
    alt = services.product_create(actor=personas.admin, data={"sku": "PAL-1200-R", "name": "Recycled pallet", "family": "Pallets", "list_price": "9.80"})
    services.product_update(actor=personas.admin, product=std, data={}, substitutes=[alt])
    return std, alt


def test_create_normalises_the_sku_audits_and_links_substitutes(pallets):
    std, alt = pallets
    assert std.sku == "PAL-1200"
    assert selectors.substitutes_for(std) == [alt]
    assert list(alt.substitute_for.all()) == [std]
    update = AuditEvent.objects.filter(object_type="catalogue.product", action="update").get()
    assert update.before["substitutes"] == [] and update.after["substitutes"] == ["PAL-1200-R"]


def test_inactive_substitutes_are_not_suggested(pallets, personas):
    std, alt = pallets
    services.product_update(actor=personas.admin, product=alt, data={"is_active": False})
    assert selectors.substitutes_for(std) == []


@pytest.mark.parametrize("who", ["owner", "manager", "sponsor"])
def test_only_admins_directors_and_operations_change_the_catalogue(pallets, personas, who, client):
    with pytest.raises(PermissionDenied):
        services.product_create(actor=getattr(personas, who), data={"sku": "X", "name": "X", "list_price": 1})
    client.force_login(getattr(personas, who))
    assert client.get(reverse("catalogue:list")).status_code == 200
    assert client.get(reverse("catalogue:create")).status_code == 404
    assert client.get(reverse("catalogue:edit", args=[pallets[0].public_id])).status_code == 404


def test_the_operations_manager_edits_through_the_form(pallets, personas, client):
    std, alt = pallets
    client.force_login(personas.teammate)  # an operations manager
    form = client.get(reverse("catalogue:edit", args=[std.public_id])).context["form"]
    data = {name: form[name].value() for name in form.fields if form[name].value() not in (None, [])}
    data.update(list_price="13.00", substitutes=[alt.pk], is_active="on")
    response = client.post(reverse("catalogue:edit", args=[std.public_id]), data)
    assert response.status_code == 302, response.context["form"].errors
    std.refresh_from_db()
    assert str(std.list_price) == "13.00" and std.version == 3


def test_bad_input_names_the_field_and_saves_nothing(personas, client):
    client.force_login(personas.admin)
    response = client.post(reverse("catalogue:create"), {"sku": "bad sku!", "name": "", "list_price": "-1", "currency": "EURO", "unit": "each"})
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert {"sku", "name", "list_price", "currency"} <= set(errors)
    assert not Product.objects.exists()


def test_a_product_cannot_substitute_itself(pallets, personas):
    std, _ = pallets
    with pytest.raises(Exception, match="cannot substitute itself"):
        services.product_update(actor=personas.admin, product=std, data={}, substitutes=[std])


def test_the_list_filters_searches_and_sorts(pallets, personas, client):
    services.product_create(actor=personas.admin, data={"sku": "SVC-ONB", "name": "Onboarding service", "family": "Services", "list_price": "1500", "unit": "day"})
    client.force_login(personas.owner)
    page = client.get(reverse("catalogue:list"), {"family": "Pallets", "sort": "-price"})
    rows = [p.sku for p in page.context["page"].object_list]
    assert rows == ["PAL-1200", "PAL-1200-R"]
    assert [p.sku for p in client.get(reverse("catalogue:list"), {"q": "onboard"}).context["page"].object_list] == ["SVC-ONB"]
    detail = client.get(reverse("catalogue:detail", args=[pallets[0].public_id])).content.decode()
    assert "Recycled pallet" in detail


def test_api_crud_with_etags_and_substitutes_by_sku(pallets, personas, client):
    api = ApiClient(client, personas.admin)
    created = api.post("/products", {"sku": "pal-800", "name": "Half pallet", "list_price": "8", "substitutes": ["PAL-1200"]})
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["sku"] == "PAL-800" and body["list_price"] == "8.00" and body["substitutes"] == ["PAL-1200"]
    path = f"/products/{body['id']}"
    assert api.patch(path, {"list_price": "8.5"}, if_match='"1"').status_code == 200
    stale = api.patch(path, {"list_price": "9"}, if_match='"1"')
    assert stale.status_code == 412
    assert api.get(path).json()["list_price"] == "8.50"
    bad = api.post("/products", {"sku": "X-1", "name": "X", "list_price": "1", "substitutes": ["NOPE"]})
    assert bad.status_code == 422 and "substitutes" in bad.json()["errors"]
    assert api.delete(path, if_match='"2"').status_code == 204
    listing = api.get("/products", family="Pallets").json()
    assert listing["count"] == 2


def test_api_refuses_writes_to_account_managers(pallets, personas, client):
    api = ApiClient(client, personas.owner)
    assert api.get("/products").status_code == 200
    assert api.post("/products", {"sku": "X-1", "name": "X", "list_price": "1"}).status_code == 403
    assert api.patch(f"/products/{pallets[0].public_id}", {"name": "Y"}).status_code == 403


def test_the_product_list_reads_in_a_fixed_number_of_queries(personas, client, django_assert_max_num_queries):
    for n in range(30):
        services.product_create(actor=personas.admin, data={"sku": f"P-{n}", "name": f"P {n}", "list_price": n})
    client.force_login(personas.owner)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("catalogue:list")).status_code == 200
    api = ApiClient(client, personas.owner)
    with django_assert_max_num_queries(8):
        assert api.get("/products", limit=30).status_code == 200
