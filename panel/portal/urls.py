from django.contrib.auth import views as auth_views
from django.urls import path

from panel.portal.views import dashboard, dns, state

app_name = "portal"

urlpatterns = [
    path("", dashboard.home, name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="portal/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("state/<str:kind>/<int:pk>/", state.state, name="state"),
    path("state/<str:kind>/<int:pk>/retry/", state.retry, name="retry"),
    path("dns/", dns.zones, name="zones"),
    path("dns/new/", dns.zone_new, name="zone_new"),
    path("dns/<int:pk>/", dns.zone, name="zone"),
    path("dns/<int:pk>/delete/", dns.zone_remove, name="zone_delete"),
    path("dns/records/<int:pk>/edit/", dns.record_edit, name="record_edit"),
    path("dns/records/<int:pk>/delete/", dns.record_remove, name="record_delete"),
]
