"""URL map: operations at the root, the API under /api/v1/, the back office at /admin/."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.admin_login import admin_login
from accounts.admin_mfa import mfa_enrol, mfa_verify

from . import views

# A dependency failure is a 503 everywhere, the back office's HTML pages included.
handler500 = "amrutam.views.server_error"

urlpatterns = [
    path("health", views.health, name="health"),
    path("ready", views.ready, name="ready"),
    path("metrics", views.metrics, name="metrics"),
    path("api/schema", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    # Busiest first: the resolver tries each include in turn (none overlap).
    path("api/v1/", include("doctors.urls")),
    path("api/v1/", include("consultations.urls")),
    path("api/v1/", include("payments.urls")),
    path("api/v1/", include("accounts.urls")),
    path("api/v1/", include("audit.urls")),
    path("api/v1/", include("notifications.urls")),
    path("api/v1/", include("consent.urls")),
    path("api/v1/", include("privacy.urls")),
    # Django's admin login behind the failed-login limits (accounts/admin_login.py).
    path("admin/login/", admin_login, name="admin-login"),
    # The second factor of every staff login (accounts/admin_mfa.py).
    path("admin/mfa/verify/", mfa_verify, name="admin-mfa-verify"),
    path("admin/mfa/enrol/", mfa_enrol, name="admin-mfa-enrol"),
    path("admin/", admin.site.urls),
]
