"""``/api/``: what the API offers, as absolute links, so a client (or a person in a
browser) can start from one address."""

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

# Addresses outside the router: the exports, the OpenAPI schema and its browsable docs.
OTHER_ENDPOINTS = {
    "app-errors/export.csv": "app-error-export-csv",
    "app-errors/export.jsonl": "app-error-export-jsonl",
    "schema": "api-schema",
    "docs": "api-docs",
}


@extend_schema(exclude=True)
class ApiIndexView(APIView):
    """Every list and collection action the router serves, then the other endpoints."""

    permission_classes = [IsAdminUser]

    def get(self, request: Request) -> Response:
        from errors.api.urls import router  # the router's urls include this view

        links = {}
        for prefix, viewset, basename in router.registry:
            links[prefix] = reverse(f"{basename}-list", request=request)
            for action in viewset.get_extra_actions():
                if not action.detail:
                    name = f"{basename}-{action.url_name}"
                    links[f"{prefix}/{action.url_path}"] = reverse(name, request=request)
        for label, name in OTHER_ENDPOINTS.items():
            links[label] = reverse(name, request=request)
        return Response(links)
