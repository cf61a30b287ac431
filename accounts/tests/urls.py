"""A view that uses only what the token says about the caller, for query-count tests."""

from django.urls import include, path
from rest_framework.decorators import api_view, permission_classes

from accounts.permissions import IsPatient
from amrutam.common.contract.envelope import success
from amrutam.urls import urlpatterns as project_urlpatterns


@api_view(["GET"])
@permission_classes([IsPatient])
def whoami(request):
    user = request.user
    return success({"id": str(user.pk), "role": user.role, "active": user.is_active})


urlpatterns = [
    path("api/v1/test/whoami", whoami),
    path("", include(project_urlpatterns)),
]
