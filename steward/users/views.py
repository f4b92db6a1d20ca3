"""Login, logout, password change and the user's own API tokens."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_http_methods, require_POST

from steward.core.errors import ApplicationError
from steward.users import services
from steward.users.forms import ApiTokenForm, LoginForm


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    template_name = "users/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "users/password_change.html"
    success_url = reverse_lazy("dashboard")
    extra_context = {"nav": "password"}

    def form_valid(self, form):
        messages.success(self.request, "Your password was changed.")
        return super().form_valid(form)


@require_http_methods(["GET", "POST"])
def api_tokens(request):
    """List the user's tokens and issue a new one (its key is shown once)."""
    form = ApiTokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            _, new_key = services.api_token_create(user=request.user, name=form.cleaned_data["name"])
            form = ApiTokenForm()
        except ApplicationError as exc:
            form.add_error("name", exc.message)
    tokens = request.user.api_tokens.filter(revoked_at__isnull=True)
    return render(request, "users/api_tokens.html", {"form": form, "tokens": tokens, "new_key": new_key, "nav": "tokens"})


@require_POST
def api_token_revoke(request, public_id):
    """Revoke one of the user's tokens."""
    try:
        services.api_token_revoke(user=request.user, token_public_id=public_id)
        messages.success(request, "Token revoked: it no longer works.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("api_tokens")
