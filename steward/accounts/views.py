"""Account pages: list, 360 with its tabs, and the forms for every record on an account."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_http_methods, require_POST

from steward.accounts import choices, exports, selectors, services
from steward.accounts.engine.cadence import touchpoint_status
from steward.accounts.forms import (
    AccountForm,
    BulkUpdateForm,
    ContactForm,
    InteractionForm,
    TaskForm,
    TeamMemberForm,
)
from steward.accounts.models import Account, Tier
from steward.core.errors import ApplicationError, NotFound
from steward.core.extensions import account_tabs
from steward.core.htmx import form_errors_from, render_page_or_partial
from steward.core.paging import DeepPaginator
from steward.core.widgets import options_html
from steward.users.models import Region, User
from steward.users.selectors import users_assignable

PAGE_SIZE = 25


def _get_or_404(getter, **kwargs):
    try:
        return getter(**kwargs)
    except NotFound as exc:
        raise Http404(exc.message) from exc


# List ---------------------------------------------------------------------------------------


def _filters_from(request) -> selectors.AccountFilters:
    get = request.GET
    return selectors.AccountFilters(
        q=get.get("q", "")[:100],
        tier=get.get("tier", ""),
        stage=get.get("stage", "") if get.get("stage", "") in choices.LifecycleStage.values else "",
        region=get.get("region", ""),
        owner=get.get("owner", ""),
        overdue=get.get("overdue") == "1",
        single_threaded=get.get("single_threaded") == "1",
    )


def _sort_from(request) -> str:
    sort = request.GET.get("sort", "name")
    return sort if sort in selectors.ACCOUNT_SORTS else "name"


def account_list(request):
    """The portfolio as a table: filter, search, sort, paginate."""
    now = timezone.now()
    filters = _filters_from(request)
    sort = _sort_from(request)
    qs = selectors.account_list(user=request.user, filters=filters, sort=sort, now=now)
    paginator = DeepPaginator(qs, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    tiers = {t.pk: t for t in Tier.objects.all()}
    rows = []
    for account in page.object_list:
        status = touchpoint_status(last_touch=account.last_touchpoint_at, cadence_days=tiers[account.tier_id].touchpoint_cadence_days, now=now)
        rows.append((account, status))
    params = {k: v for k, v in request.GET.items() if k != "page" and v}
    base_query = urlencode({k: v for k, v in params.items() if k != "sort"})
    context = {
        "nav": "overdue" if filters.overdue else "accounts",
        "page": page,
        "rows": rows,
        "filters": filters,
        "sort": sort,
        "base_query": base_query,
        "page_query": urlencode(params),
        "tiers": tiers.values(),
        "stages": choices.LifecycleStage.choices,
        "regions": Region.objects.all(),
        "owner_options": options_html(
            [("", "All owners")]
            + [
                (username, f"{first} {last}".strip() or username)
                for username, first, last in users_assignable(request.user)
                .filter(role__in=["manager", "executive", "director", "operations"])
                .values_list("username", "first_name", "last_name")
            ],
            selected=[filters.owner],
        ),
        "can_create": not request.user.is_read_only,
        "bulk_form": BulkUpdateForm(actor=request.user) if not request.user.is_read_only else None,
        "now": now,
    }
    return render_page_or_partial(request, "accounts/account_list.html", "accounts/partials/account_table.html", context)


def account_list_export(request):
    """Every account the list shows for these filters, as CSV."""
    return exports.account_export(request, _filters_from(request), _sort_from(request))


@require_POST
def account_bulk_update(request):
    """Apply one change (owner, stage, tier) to the selected accounts; audited per account."""
    form = BulkUpdateForm(request.POST, actor=request.user)
    back = request.POST.get("next") or "accounts:list"
    if not form.is_valid() or not form.changes():
        messages.error(request, "Select accounts and at least one change (owner, stage or tier).")
        return redirect(back)
    ids = [value for value in form.cleaned_data["accounts"] if _is_uuid(value)]
    accounts = list(selectors.accounts_visible_to(request.user).filter(public_id__in=ids))
    try:
        if len(accounts) != len(set(ids)):
            raise NotFound("Some selected accounts no longer exist or are not visible to you; nothing was changed.")
        count = services.accounts_bulk_update(actor=request.user, accounts=accounts, data=form.changes())
        messages.success(request, f"Updated {count} account{'s' if count != 1 else ''}.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect(back)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def account_autocomplete(request):
    """Visible accounts matching the typed name, for pickers (e.g. the parent account)."""
    term = request.GET.get("q") or request.GET.get("parent_search", "")
    accounts = selectors.accounts_autocomplete(user=request.user, term=term[:100])
    return render(request, "accounts/partials/account_picks.html", {"accounts": accounts})


# Account 360 --------------------------------------------------------------------------------


def _account_context(request, account: Account, tab: str) -> dict:
    now = timezone.now()
    extra_tabs = [
        {
            "key": t.key, "label": t.label, "url": reverse(t.url_name, args=[account.public_id]),
            "count": t.count(account, request.user) if t.count else None, "count_means": t.count_means,
        }
        for t in account_tabs()
    ]
    return {
        "extra_tabs": extra_tabs,
        "nav": "accounts",
        "account": account,
        "tab": tab,
        "now": now,
        "touch": touchpoint_status(last_touch=account.last_touchpoint_at, cadence_days=account.tier.touchpoint_cadence_days, now=now),
        "ancestors": list(reversed(selectors.account_ancestors(user=request.user, account=account))),
        "can_edit": not request.user.is_read_only,
        "counts": {
            "contacts": account.contacts.filter(status=choices.ContactStatus.ACTIVE).count(),
            "tasks": account.tasks.filter(done=False).count(),
        },
    }


def account_tab_context(request, public_id, tab: str) -> dict:
    """The account (404 when not visible) and the shared 360 header context, for a tab served by another app."""
    account = _get_or_404(selectors.account_get, user=request.user, public_id=public_id)
    return _account_context(request, account, tab)


def account_detail(request, public_id):
    """Account 360, overview tab: key facts, team, subsidiaries, recent interactions, open tasks."""
    account = _get_or_404(selectors.account_get, user=request.user, public_id=public_id)
    context = _account_context(request, account, "overview")
    context.update(
        team=account.team_members.select_related("user").order_by("role"),
        children=selectors.account_children(user=request.user, account=account)[:50],
        recent=account.interactions.select_related("created_by").prefetch_related("contacts")[:5],
        open_tasks=account.tasks.filter(done=False).select_related("assignee").order_by("due_date", "id")[:8],
        stakeholders=selectors.stakeholder_map(account=account, now=context["now"]),
        team_form=TeamMemberForm(actor=request.user),
    )
    return render(request, "accounts/account_overview.html", context)


def account_contacts(request, public_id):
    """Account 360, contacts tab: the stakeholder map (org chart) and the contact table."""
    account = _get_or_404(selectors.account_get, user=request.user, public_id=public_id)
    context = _account_context(request, account, "contacts")
    context["stakeholders"] = selectors.stakeholder_map(account=account, now=context["now"])
    return render(request, "accounts/account_contacts.html", context)


def account_timeline(request, public_id):
    """Account 360, timeline tab: interactions, tasks and the audit trail merged by time."""
    account = _get_or_404(selectors.account_get, user=request.user, public_id=public_id)
    before = parse_datetime(request.GET.get("before", "") or "") if request.GET.get("before") else None
    kind = request.GET.get("kind", "")
    entries = selectors.account_timeline(account=account, limit=30, before=before)
    if kind in {"interaction", "task", "audit"}:
        entries = [e for e in entries if e.kind == kind]
    context = _account_context(request, account, "timeline")
    context.update(entries=entries, next_before=entries[-1].at.isoformat() if len(entries) >= 30 else None, kind=kind)
    if request.htmx and before:
        return render(request, "accounts/partials/timeline_entries.html", context)
    return render(request, "accounts/account_timeline.html", context)


def account_tasks(request, public_id):
    """Account 360, tasks tab: open tasks first, then recently done."""
    account = _get_or_404(selectors.account_get, user=request.user, public_id=public_id)
    context = _account_context(request, account, "tasks")
    today = timezone.localdate()
    context.update(
        open_tasks=account.tasks.filter(done=False).select_related("assignee").order_by("due_date", "id"),
        done_tasks=account.tasks.filter(done=True).select_related("assignee").order_by("-done_at")[:20],
        task_form=TaskForm(actor=request.user),
        today=today,
    )
    return render(request, "accounts/account_tasks.html", context)


# Account forms ------------------------------------------------------------------------------


def _resolve_parent(request, form: AccountForm) -> Account | None:
    parent_id = form.cleaned_data.get("parent")
    if not parent_id:
        return None
    try:
        return selectors.parent_for(user=request.user, account=form.instance if form.instance.pk else None, public_id=parent_id)
    except NotFound:
        form.add_error("parent", "No such account.")
        return None


@require_http_methods(["GET", "POST"])
def account_create(request):
    """New account form."""
    if request.user.is_read_only:
        raise Http404
    form = AccountForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        parent = _resolve_parent(request, form)
        if not form.errors:
            try:
                account = services.account_create(actor=request.user, data=form.service_data(parent))
                messages.success(request, f"{account.name} was created.")
                return redirect("accounts:detail", public_id=account.public_id)
            except ApplicationError as exc:
                form_errors_from(form, exc)
    return render(request, "accounts/account_form.html", {"form": form, "nav": "accounts"}, status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def account_edit(request, public_id):
    """Edit an account; a concurrent edit is refused, not overwritten."""
    account = _get_or_404(selectors.account_get, user=request.user, public_id=public_id)
    if request.user.is_read_only:
        raise Http404
    form = AccountForm(request.POST or None, instance=account, actor=request.user)
    if request.method == "POST" and form.is_valid():
        parent = _resolve_parent(request, form)
        if not form.errors:
            try:
                services.account_update(
                    actor=request.user, account=account, data=form.service_data(parent), expected_version=form.cleaned_data.get("version")
                )
                messages.success(request, "Changes saved.")
                return redirect("accounts:detail", public_id=account.public_id)
            except ApplicationError as exc:
                form_errors_from(form, exc)
    return render(request, "accounts/account_form.html", {"form": form, "account": account, "nav": "accounts"}, status=422 if form.errors else 200)


@require_POST
def account_delete(request, public_id):
    """Delete an account after confirmation."""
    account = _get_or_404(selectors.account_get, user=request.user, public_id=public_id)
    try:
        services.account_delete(actor=request.user, account=account)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("accounts:detail", public_id=account.public_id)
    messages.success(request, f"{account.name} was deleted.")
    return redirect("accounts:list")


@require_POST
def team_member_add(request, public_id):
    """Add a colleague to the account team."""
    account = _get_or_404(selectors.account_get, user=request.user, public_id=public_id)
    form = TeamMemberForm(request.POST, actor=request.user)
    if form.is_valid():
        try:
            services.team_member_add(actor=request.user, account=account, user=form.cleaned_data["user"], role=form.cleaned_data["role"])
            messages.success(request, f"{form.cleaned_data['user']} joined the account team.")
        except ApplicationError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, "Pick a colleague and a role.")
    return redirect("accounts:detail", public_id=account.public_id)


@require_POST
def team_member_remove(request, public_id, user_public_id):
    """Take a colleague off the account team."""
    account = _get_or_404(selectors.account_get, user=request.user, public_id=public_id)
    user = User.objects.filter(public_id=user_public_id).first()
    try:
        if user is None:
            raise NotFound("No such colleague.")
        services.team_member_remove(actor=request.user, account=account, user=user)
        messages.success(request, f"{user} left the account team.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("accounts:detail", public_id=account.public_id)


# Contacts -----------------------------------------------------------------------------------


def contact_detail(request, public_id):
    """A contact: details, place in the org chart and the interactions they took part in."""
    contact = _get_or_404(selectors.contact_get, user=request.user, public_id=public_id)
    return render(
        request,
        "accounts/contact_detail.html",
        {
            "nav": "accounts",
            "contact": contact,
            "account": contact.account,
            "reports": contact.direct_reports.order_by("last_name"),
            "interactions": contact.interactions.select_related("created_by").order_by("-occurred_at")[:25],
            "can_edit": not request.user.is_read_only,
        },
    )


@require_http_methods(["GET", "POST"])
def contact_create(request, public_id):
    """Add a contact to an account."""
    account = _get_or_404(selectors.account_get, user=request.user, public_id=public_id)
    form = ContactForm(request.POST or None, account=account)
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.contact_create(actor=request.user, account=account, data=form.service_data())
            messages.success(request, f"{contact} was added.")
            return redirect("accounts:contacts", public_id=account.public_id)
        except ApplicationError as exc:
            form_errors_from(form, exc)
    return render(request, "accounts/contact_form.html", {"form": form, "account": account, "nav": "accounts"}, status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def contact_edit(request, public_id):
    """Edit a contact (e.g. mark them as having left the company)."""
    contact = _get_or_404(selectors.contact_get, user=request.user, public_id=public_id)
    form = ContactForm(request.POST or None, instance=contact, account=contact.account)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_update(actor=request.user, contact=contact, data=form.service_data(), expected_version=form.cleaned_data.get("version"))
            messages.success(request, "Changes saved.")
            return redirect("accounts:contact", public_id=contact.public_id)
        except ApplicationError as exc:
            form_errors_from(form, exc)
    return render(
        request, "accounts/contact_form.html", {"form": form, "account": contact.account, "contact": contact, "nav": "accounts"},
        status=422 if form.errors else 200,
    )


@require_POST
def contact_delete(request, public_id):
    """Remove a contact."""
    contact = _get_or_404(selectors.contact_get, user=request.user, public_id=public_id)
    try:
        services.contact_delete(actor=request.user, contact=contact)
        messages.success(request, f"{contact} was removed.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("accounts:contacts", public_id=contact.account.public_id)


# Interactions -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def interaction_create(request, public_id):
    """Log an interaction on an account."""
    account = _get_or_404(selectors.account_get, user=request.user, public_id=public_id)
    form = InteractionForm(request.POST or None, account=account, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.interaction_create(
                actor=request.user, account=account, data=form.service_data(),
                contacts=form.cleaned_data["contacts"], users=form.cleaned_data["users"],
            )
            messages.success(request, "Interaction logged.")
            return redirect("accounts:timeline", public_id=account.public_id)
        except ApplicationError as exc:
            form_errors_from(form, exc)
    return render(request, "accounts/interaction_form.html", {"form": form, "account": account, "nav": "accounts"}, status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def interaction_edit(request, public_id):
    """Correct a logged interaction."""
    interaction = _get_or_404(selectors.interaction_get, user=request.user, public_id=public_id)
    account = interaction.account
    form = InteractionForm(request.POST or None, instance=interaction, account=account, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.interaction_update(
                actor=request.user, interaction=interaction, data=form.service_data(),
                contacts=form.cleaned_data["contacts"], users=form.cleaned_data["users"],
                expected_version=form.cleaned_data.get("version"),
            )
            messages.success(request, "Interaction updated.")
            return redirect("accounts:timeline", public_id=account.public_id)
        except ApplicationError as exc:
            form_errors_from(form, exc)
    return render(
        request, "accounts/interaction_form.html", {"form": form, "account": account, "interaction": interaction, "nav": "accounts"},
        status=422 if form.errors else 200,
    )


@require_POST
def interaction_delete(request, public_id):
    """Delete a logged interaction."""
    interaction = _get_or_404(selectors.interaction_get, user=request.user, public_id=public_id)
    try:
        services.interaction_delete(actor=request.user, interaction=interaction)
        messages.success(request, "Interaction deleted.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("accounts:timeline", public_id=interaction.account.public_id)


# Tasks --------------------------------------------------------------------------------------


def my_tasks(request):
    """The user's open tasks, overdue first."""
    today = timezone.localdate()
    show_done = request.GET.get("done") == "1"
    tasks = selectors.my_tasks(user=request.user, today=today, include_done=show_done)
    page = Paginator(tasks, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/my_tasks.html", {"nav": "tasks", "page": page, "today": today, "show_done": show_done})


@require_POST
def task_create(request, public_id):
    """Add a task to an account (from the tasks tab)."""
    account = _get_or_404(selectors.account_get, user=request.user, public_id=public_id)
    form = TaskForm(request.POST, actor=request.user)
    if form.is_valid():
        try:
            services.task_create(actor=request.user, account=account, data=form.service_data())
            messages.success(request, "Task added.")
            return redirect("accounts:tasks", public_id=account.public_id)
        except ApplicationError as exc:
            form_errors_from(form, exc)
    context = _account_context(request, account, "tasks")
    context.update(
        open_tasks=account.tasks.filter(done=False).select_related("assignee").order_by("due_date", "id"),
        done_tasks=account.tasks.filter(done=True).select_related("assignee").order_by("-done_at")[:20],
        task_form=form,
        today=timezone.localdate(),
    )
    return render(request, "accounts/account_tasks.html", context, status=422)


@require_http_methods(["GET", "POST"])
def task_edit(request, public_id):
    """Edit a task."""
    task = _get_or_404(selectors.task_get, user=request.user, public_id=public_id)
    form = TaskForm(request.POST or None, instance=task, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.task_update(actor=request.user, task=task, data=form.service_data(), expected_version=form.cleaned_data.get("version"))
            messages.success(request, "Task saved.")
            return redirect("accounts:tasks", public_id=task.account.public_id)
        except ApplicationError as exc:
            form_errors_from(form, exc)
    return render(request, "accounts/task_form.html", {"form": form, "task": task, "account": task.account, "nav": "tasks"}, status=422 if form.errors else 200)


@require_POST
def task_toggle(request, public_id):
    """Mark a task done or open again; with HTMX, answer the updated row."""
    task = _get_or_404(selectors.task_get, user=request.user, public_id=public_id)
    try:
        task = services.task_update(actor=request.user, task=task, data={"done": not task.done})
    except ApplicationError as exc:
        if request.htmx:
            return HttpResponse(exc.message, status=exc.status_code)
        messages.error(request, exc.message)
    if request.htmx:
        return render(request, "accounts/partials/task_row.html", {"task": task, "today": timezone.localdate(), "show_account": request.POST.get("show_account") == "1"})
    return redirect(request.POST.get("next") or "accounts:my_tasks")


@require_POST
def task_delete(request, public_id):
    """Delete a task."""
    task = _get_or_404(selectors.task_get, user=request.user, public_id=public_id)
    try:
        services.task_delete(actor=request.user, task=task)
        messages.success(request, "Task deleted.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("accounts:tasks", public_id=task.account.public_id)


