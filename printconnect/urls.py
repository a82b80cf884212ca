from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path

from printconnect.clients.views import home
from printconnect.core.views import healthz
from printconnect.integrations.webhooks import webhook_receive
from printconnect.storefronts import views as storefront_views

# The web admin signs in through allauth's sign-in page, so the same rate limits protect both.
admin.site.login = login_required(admin.site.login)
admin.site.site_header = "printconnect web admin"
admin.site.site_title = "printconnect admin"
admin.site.index_title = "Print shop data"

urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("allauth.urls")),
    path("staff/", include("printconnect.clients.urls")),
    path("staff/integration/", include("printconnect.integrations.urls")),
    path(
        "staff/clients/<int:pk>/stores/",
        storefront_views.staff_client_stores,
        name="staff_client_stores",
    ),
    path("portal/", include("printconnect.storefronts.urls")),
    path("invitations/<str:token>/", storefront_views.invitation_accept, name="invitation_accept"),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("webhooks/<str:platform>/<str:store_token>/", webhook_receive, name="webhook_receive"),
]
