from django.contrib.auth import views as auth_views
from django.urls import path

from panel.portal.views import dashboard, dns, invoices, mail, state, systemusers, web

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
    path("websites/", web.sites, name="websites"),
    path("websites/<int:pk>/", web.site, name="website"),
    path("websites/<int:pk>/certificate/", web.certificate, name="website_certificate"),
    path("websites/<int:pk>/delete/", web.site_remove, name="website_delete"),
    path("users/", systemusers.users, name="systemusers"),
    path("users/<int:pk>/", systemusers.user, name="systemuser"),
    path("users/<int:pk>/password/", systemusers.user_password, name="systemuser_password"),
    path("users/<int:pk>/delete/", systemusers.user_remove, name="systemuser_delete"),
    path("users/<int:pk>/keys/new/", systemusers.key_new, name="sshkey_new"),
    path("users/keys/<int:pk>/delete/", systemusers.key_remove, name="sshkey_delete"),
    path("invoices/", invoices.invoices, name="invoices"),
    path("invoices/<int:pk>/", invoices.invoice, name="invoice"),
    path("invoices/<int:pk>/pdf/", invoices.invoice_pdf, name="invoice_pdf"),
    path("mail/", mail.overview, name="mail"),
    path("mail/domains/new/", mail.domain_new, name="maildomain_new"),
    path("mail/domains/<int:pk>/delete/", mail.domain_remove, name="maildomain_delete"),
    path("mail/mailboxes/new/", mail.mailbox_new, name="mailbox_new"),
    path("mail/mailboxes/<int:pk>/", mail.mailbox, name="mailbox"),
    path("mail/mailboxes/<int:pk>/password/", mail.mailbox_password, name="mailbox_password"),
    path("mail/mailboxes/<int:pk>/autoresponder/", mail.mailbox_reply, name="mailbox_reply"),
    path("mail/mailboxes/<int:pk>/delete/", mail.mailbox_remove, name="mailbox_delete"),
    path("mail/addresses/new/", mail.address_new, name="address_new"),
    path("mail/addresses/<int:pk>/edit/", mail.address_edit, name="address_edit"),
    path("mail/addresses/<int:pk>/delete/", mail.address_remove, name="address_delete"),
]
