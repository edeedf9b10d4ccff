from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

# Errors Django itself answers (unknown URLs, oversized bodies, crashes) keep the API's error shape under /api/.
handler400 = "panel.core.api.exceptions.handler400"
handler403 = "panel.core.api.exceptions.handler403"
handler404 = "panel.core.api.exceptions.handler404"
handler500 = "panel.core.api.exceptions.handler500"

admin.site.site_header = "Baton staff panel"
admin.site.site_title = "Baton"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("api/", include("panel.accounts.api.urls")),
    path("api/", include("panel.servers.api.urls")),
    path("api/", include("panel.provisioning.api.urls")),
    path("api/", include("panel.dns.api.urls")),
    path("api/", include("panel.names.api.urls")),
    path("api/", include("panel.mail.api.urls")),
    path("api/", include("panel.systemusers.api.urls")),
    path("api/", include("panel.web.api.urls")),
    path("api/", include("panel.orders.api.urls")),
    path("api/", include("billing.api.urls")),
    path("api-auth/", include("rest_framework.urls", namespace="rest_framework")),
    path("", include("panel.portal.urls")),
]
