"""Admin API of outbound webhooks: endpoints and their delivery log (ADMIN only)."""

from __future__ import annotations

from typing import Any

from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from amrutam.common.contract.envelope import success
from amrutam.common.drf.validation import validated
from amrutam.common.exceptions import NotFound
from amrutam.common.permissions import IsAdmin

from . import openapi as doc
from . import selectors, webhooks
from .models import WebhookEndpoint
from .serializers import (
    DeliveryOutputSerializer,
    WebhookCreateInputSerializer,
    WebhookOutputSerializer,
    WebhookUpdateInputSerializer,
)


def _endpoint(webhook_id: Any) -> WebhookEndpoint:
    endpoint = selectors.webhook_get(webhook_id=webhook_id)
    if endpoint is None:
        raise NotFound("No such webhook.")
    return endpoint


class WebhookListApi(GenericAPIView):
    permission_classes = [IsAuthenticated, IsAdmin]
    list_name = "webhooks"

    @doc.webhook_list
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.webhook_list())
        return self.get_paginated_response(WebhookOutputSerializer(page, many=True).data)

    @doc.webhook_create
    def post(self, request: Request) -> Response:
        data = validated(WebhookCreateInputSerializer, request.data)
        created = webhooks.webhook_create(
            url=data["url"],
            events=data["events"],
            is_active=data["isActive"],
            created_by=request.user,
        )
        webhook = {**WebhookOutputSerializer(created.endpoint).data, "secret": created.secret}
        return success({"webhook": webhook}, status=201)


class WebhookDetailApi(APIView):
    permission_classes = [IsAuthenticated, IsAdmin]

    @doc.webhook_retrieve
    def get(self, request: Request, webhook_id: Any) -> Response:
        return success({"webhook": WebhookOutputSerializer(_endpoint(webhook_id)).data})

    @doc.webhook_update
    def patch(self, request: Request, webhook_id: Any) -> Response:
        endpoint = _endpoint(webhook_id)
        data = validated(WebhookUpdateInputSerializer, request.data)
        names = {"url": "url", "events": "events", "isActive": "is_active"}
        endpoint = webhooks.webhook_update(
            endpoint=endpoint,
            updated_by=request.user,
            **{names[key]: value for key, value in data.items()},
        )
        return success({"webhook": WebhookOutputSerializer(endpoint).data})

    @doc.webhook_destroy
    def delete(self, request: Request, webhook_id: Any) -> Response:
        webhooks.webhook_delete(endpoint=_endpoint(webhook_id), deleted_by=request.user)
        return Response(status=204)


class WebhookDeliveryListApi(GenericAPIView):
    permission_classes = [IsAuthenticated, IsAdmin]
    list_name = "deliveries"

    @doc.delivery_list
    def get(self, request: Request, webhook_id: Any) -> Response:
        endpoint = _endpoint(webhook_id)
        page = self.paginate_queryset(selectors.delivery_list_for(endpoint=endpoint))
        return self.get_paginated_response(DeliveryOutputSerializer(page, many=True).data)
