"""API routes of this app, mounted under /api/v1/."""

from django.urls import path

from accounts import api, mfa_api

urlpatterns = [
    path("auth/register", api.RegisterApi.as_view(), name="auth-register"),
    path("auth/login", api.LoginApi.as_view(), name="auth-login"),
    path("auth/token/refresh", api.TokenRefreshApi.as_view(), name="auth-token-refresh"),
    path("auth/logout", api.LogoutApi.as_view(), name="auth-logout"),
    path("auth/me", api.MeApi.as_view(), name="auth-me"),
    path("auth/password", api.PasswordChangeApi.as_view(), name="auth-password"),
    path("auth/mfa/totp/setup", mfa_api.MFASetupApi.as_view(), name="auth-mfa-totp-setup"),
    path("auth/mfa/totp/confirm", mfa_api.MFAConfirmApi.as_view(), name="auth-mfa-totp-confirm"),
    path("auth/mfa/totp", mfa_api.MFARemoveApi.as_view(), name="auth-mfa-totp"),
    path("auth/mfa/verify", mfa_api.MFAVerifyApi.as_view(), name="auth-mfa-verify"),
]
