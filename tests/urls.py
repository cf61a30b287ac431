"""Views that raise on purpose, to test the error envelope end to end."""

from django.urls import include, path
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny, IsAuthenticated

from amrutam.common.contract.envelope import success
from amrutam.common.drf.validation import validated
from amrutam.urls import urlpatterns as project_urlpatterns


class EchoSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=5)
    count = serializers.IntegerField()


@api_view(["POST"])
@permission_classes([AllowAny])
def echo(request):
    data = validated(EchoSerializer, request.data)
    return success({"echo": data})


@api_view(["GET"])
@permission_classes([IsAuthenticated])
def private(request):
    return success({"ok": True})


@api_view(["GET"])
@permission_classes([AllowAny])
def boom(request):
    raise RuntimeError("secret detail: SELECT * FROM accounts_user")


def plain_boom(request):
    raise RuntimeError("secret detail from a plain view")


urlpatterns = [
    path("api/v1/test/echo", echo),
    path("api/v1/test/private", private),
    path("api/v1/test/boom", boom),
    path("plain-boom", plain_boom),
    path("", include(project_urlpatterns)),
]
