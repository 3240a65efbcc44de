from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.views import set_language
from solarsite.health import healthz

admin.site.site_header = _("solarsite administration")
admin.site.site_title = _("solarsite administration")

api_v1 = [
    path("", include("monitoring.api_urls")),
    path("", include("accounts.api_urls")),
    path("", include("generation.api_urls")),
    path("", include("events.api_urls")),
    path("", include("economics.api_urls")),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # Pages without our <head> (the admin) make browsers ask for /favicon.ico.
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    # The admin site logs in through our login page, so the login rules apply there too.
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("admin/", admin.site.urls),
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/<version>/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: no inline script on the page.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api/swagger_ui.html"),
        name="swagger-ui",
    ),
    path("accounts/", include("accounts.urls")),
    path("generation/", include("generation.urls")),
    path("events/", include("events.urls")),
    path("economics/", include("economics.urls")),
    path("", include("monitoring.urls")),
]

handler404 = "solarsite.api_errors.not_found"
handler500 = "solarsite.api_errors.server_error"
