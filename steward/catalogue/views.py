"""Catalogue pages: the product list, a product with its substitutes, and the product form."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from steward.catalogue import selectors, services
from steward.catalogue.forms import ProductForm
from steward.core.errors import ApplicationError, NotFound
from steward.core.htmx import form_errors_from, render_page_or_partial

PAGE_SIZE = 50


def _product_or_404(request, public_id):
    try:
        return selectors.product_get(user=request.user, public_id=public_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def product_list(request):
    """The catalogue: search, filter by family and status, sort, paginate."""
    get = request.GET
    active = {"1": True, "0": False}.get(get.get("active", ""))
    filters = selectors.ProductFilters(q=get.get("q", "")[:100], family=get.get("family", ""), active=active)
    sort = get.get("sort", "sku") if get.get("sort", "sku") in selectors.PRODUCT_SORTS else "sku"
    page = Paginator(selectors.product_list(user=request.user, filters=filters, sort=sort), PAGE_SIZE).get_page(get.get("page"))
    params = {k: v for k, v in get.items() if k != "page" and v}
    context = {
        "nav": "products", "page": page, "filters": filters, "active": get.get("active", ""), "sort": sort,
        "families": selectors.product_families(request.user),
        "base_query": urlencode({k: v for k, v in params.items() if k != "sort"}), "page_query": urlencode(params),
        "can_edit": services.can_edit_catalogue(request.user),
    }
    return render_page_or_partial(request, "catalogue/product_list.html", "catalogue/partials/product_table.html", context)


def product_detail(request, public_id):
    product = _product_or_404(request, public_id)
    return render(request, "catalogue/product_detail.html", {
        "nav": "products", "product": product, "substitutes": selectors.substitutes_for(product),
        "substitute_for": sorted(product.substitute_for.all(), key=lambda p: p.sku),
        "can_edit": services.can_edit_catalogue(request.user),
    })


def _save(request, form: ProductForm, product=None):
    try:
        if product is None:
            return services.product_create(actor=request.user, data=form.service_data(), substitutes=form.cleaned_data["substitutes"])
        return services.product_update(
            actor=request.user, product=product, data=form.service_data(), substitutes=form.cleaned_data["substitutes"],
            expected_version=form.cleaned_data.get("version"),
        )
    except ApplicationError as exc:
        form_errors_from(form, exc)
        return None


@require_http_methods(["GET", "POST"])
def product_create(request):
    if not services.can_edit_catalogue(request.user):
        raise Http404
    form = ProductForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and (product := _save(request, form)):
        messages.success(request, f"{product.sku} was added to the catalogue.")
        return redirect("catalogue:detail", public_id=product.public_id)
    return render(request, "catalogue/product_form.html", {"nav": "products", "form": form}, status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def product_edit(request, public_id):
    product = _product_or_404(request, public_id)
    if not services.can_edit_catalogue(request.user):
        raise Http404
    form = ProductForm(request.POST or None, instance=product)
    if request.method == "POST" and form.is_valid() and _save(request, form, product):
        messages.success(request, "Changes saved.")
        return redirect("catalogue:detail", public_id=product.public_id)
    return render(request, "catalogue/product_form.html", {"nav": "products", "form": form, "product": product}, status=422 if form.errors else 200)


@require_POST
def product_delete(request, public_id):
    product = _product_or_404(request, public_id)
    try:
        services.product_delete(actor=request.user, product=product)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("catalogue:detail", public_id=product.public_id)
    messages.success(request, f"{product.sku} was removed from the catalogue.")
    return redirect("catalogue:list")
