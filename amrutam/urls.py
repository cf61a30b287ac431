"""URL map: operations at the root, the API under /api/v1/, the back office at /admin/."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.admin_login import admin_login

from . import views

admin.site.site_header = "Amrutam clinic back office"
admin.site.site_title = "Amrutam clinic back office"
admin.site.index_title = "Clinic administration"

urlpatterns = [
    path("health", views.health, name="health"),
    path("ready", views.ready, name="ready"),
    path("metrics", views.metrics, name="metrics"),
    path("api/schema", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    # Busiest first: the resolver tries each include in turn (none overlap).
    path("api/v1/", include("doctors.urls")),
    path("api/v1/", include("consultations.urls")),
    path("api/v1/", include("accounts.urls")),
    path("api/v1/", include("audit.urls")),
    path("api/v1/", include("consent.urls")),
    path("api/v1/", include("privacy.urls")),
    # Django's admin login behind the failed-login limits (accounts/admin_login.py).
    path("admin/login/", admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
]
