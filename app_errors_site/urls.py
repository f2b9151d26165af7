"""This site's addresses: the dashboard at the root, the API under ``api/``, the admin and
the staff login. A host project mounts the same two includes under prefixes of its own."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/", include("errors.api.urls")),
    path("", include("dashboard.urls")),
]
