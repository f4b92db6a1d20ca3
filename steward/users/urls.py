from django.contrib.auth import views as auth_views
from django.urls import path

from steward.users import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("me/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("me/tokens/", views.api_tokens, name="api_tokens"),
    path("me/tokens/<uuid:public_id>/revoke/", views.api_token_revoke, name="api_token_revoke"),
]
