"""The ServiceNow import page: upload an incident log for an account, see what it would give, import it.

The page parses the form and calls `imports.servicenow_preview`, the same service the API and the
`import_servicenow` command call; the preview writes nothing. A log without row errors is kept on the
server (`import_uploads`) and the preview offers to import it; confirming calls
`imports.servicenow_import` on that same file and shows what was saved.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from django import forms
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST

from steward.accounts.selectors import accounts_visible_to
from steward.core.errors import ApplicationError, NotFound, PermissionDenied
from steward.core.htmx import form_errors_from
from steward.core.widgets import FastSelect
from steward.sla import import_uploads, imports, services
from steward.sla.choices import CaseEventKind
from steward.sla.models import SlaPolicy

PREVIEW_CASES = 25


class ServiceNowImportForm(forms.Form):
    """The log, the account its incidents belong to, the zone its times were written in, a policy."""

    file = forms.FileField(label="Incident log (CSV)", help_text="A ServiceNow incident audit log: one row per update, with its header row.")
    # The service resolves the account through visibility (404 for one the user does not see), so the
    # field takes any text and the select only offers the user's accounts.
    account = forms.CharField(max_length=100, widget=FastSelect, help_text="Every incident of the log becomes a case of this account.")
    time_zone = forms.ChoiceField(initial="UTC", help_text="The zone the log's times were written in; they are stored in UTC.")
    policy = forms.ChoiceField(
        required=False, label="SLA policy",
        help_text="Empty: each case goes under the policy that matches it when it opens, as a new case would.",
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        accounts = accounts_visible_to(user).order_by("name").values_list("public_id", "name")
        self.fields["account"].widget.choices = [("", "Choose an account"), *((str(pk), name) for pk, name in accounts)]
        cast(forms.ChoiceField, self.fields["time_zone"]).choices = [(z, z) for z in services.time_zones()]
        policies = SlaPolicy.objects.filter(current_version__gt=0, is_active=True).order_by("position", "id").values_list("public_id", "name")
        cast(forms.ChoiceField, self.fields["policy"]).choices = [("", "The matching policy of each case"), *((str(pk), name) for pk, name in policies)]


def _labelled(counts: Mapping[str, int]) -> dict[str, int]:
    """Event counts by the kind's label ("Status changed") rather than its stored value."""
    return {CaseEventKind(kind).label.lower() if kind in CaseEventKind.values else kind: n for kind, n in counts.items()}


def _may_import_somewhere(user: Any) -> bool:
    return bool(user.is_active and (services.can_configure_sla(user) or not user.is_read_only))


@require_http_methods(["GET", "POST"])
def servicenow_import(request: HttpRequest) -> HttpResponse:
    """Upload a ServiceNow incident log for an account: incidents, events, dates and row errors."""
    user: Any = request.user
    if not _may_import_somewhere(user):
        raise Http404
    initial = {"account": request.GET.get("account", ""), "time_zone": "UTC"}
    form = ServiceNowImportForm(request.POST or None, request.FILES or None, user=user, initial=initial)
    context: dict[str, Any] = {"nav": "cases", "form": form, "max_mb": imports.MAX_UPLOAD_BYTES // (1024 * 1024)}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > imports.MAX_UPLOAD_BYTES:
            form.add_error("file", f"At most {context['max_mb']} MB per file.")
        else:
            try:
                account = imports.import_account(actor=user, reference=form.cleaned_data["account"])
                policy = imports.import_policy(reference=form.cleaned_data["policy"])
                content = upload.read()
                preview = imports.servicenow_preview(
                    actor=user, account=account, content=content, time_zone=form.cleaned_data["time_zone"], policy=policy
                )
            except NotFound as exc:
                raise Http404(exc.message) from exc
            except PermissionDenied as exc:
                raise DjangoPermissionDenied(exc.message) from exc
            except ApplicationError as exc:
                form_errors_from(form, exc)
            else:
                if preview.can_import:
                    context["token"] = import_uploads.keep(
                        user=user, account=str(account.public_id), content=content, time_zone=form.cleaned_data["time_zone"],
                        policy=str(policy.public_id) if policy is not None else "", file_name=upload.name or "",
                    )
                context.update(
                    preview=preview, file_name=upload.name, event_kinds=_labelled(preview.events_by_kind), sample=preview.cases[:PREVIEW_CASES],
                    errors_shown=preview.errors[: imports.MAX_PROBLEMS_SHOWN], warnings_shown=preview.warnings[: imports.MAX_PROBLEMS_SHOWN],
                )
                return render(request, "sla/import_preview.html", context)
    status = 422 if form.errors else 200
    return render(request, "sla/import_servicenow.html", context, status=status)


@require_POST
def servicenow_import_confirm(request: HttpRequest) -> HttpResponse:
    """Import the log the user checked (named by the preview's token) and show what was saved."""
    user: Any = request.user
    if not _may_import_somewhere(user):
        raise Http404
    try:
        kept = import_uploads.take(request.POST.get("token", ""), user=user)
        account = imports.import_account(actor=user, reference=kept.account)
        policy = imports.import_policy(reference=kept.policy)
        result = imports.servicenow_import(
            actor=user, account=account, content=kept.content, time_zone=kept.time_zone, policy=policy, file_name=kept.file_name
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from exc
    except ApplicationError as exc:
        form = ServiceNowImportForm(user=user, initial={"time_zone": "UTC"})
        problems = [m for messages in exc.field_errors.values() for m in messages] or [exc.message]
        context = {"nav": "cases", "form": form, "max_mb": imports.MAX_UPLOAD_BYTES // (1024 * 1024), "import_errors": problems}
        return render(request, "sla/import_servicenow.html", context, status=422)
    import_uploads.discard(kept)
    context = {"nav": "cases", "result": result, "account": account, "file_name": kept.file_name}
    return render(request, "sla/import_result.html", context)
