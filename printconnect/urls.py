from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path

from printconnect.api import portal_urls as api_portal_urls
from printconnect.catalog import portal_urls as catalog_portal_urls
from printconnect.clients.views import home
from printconnect.core.views import healthz
from printconnect.integrations import portal_urls as integration_portal_urls
from printconnect.integrations import staff_connect_views
from printconnect.integrations.webhooks import webhook_receive
from printconnect.orders import portal_urls as order_portal_urls
from printconnect.storefronts import urls as storefront_urls
from printconnect.storefronts import views as storefront_views

# The web admin signs in through allauth's sign-in page, so the same rate limits protect both.
admin.site.login = login_required(admin.site.login)
admin.site.site_header = "printconnect web admin"
admin.site.site_title = "printconnect admin"
admin.site.index_title = "Print shop data"

# Every app's portal pages share the `portal` namespace, so tests/access/test_matrix.py walks them all.
portal_patterns = (
    storefront_urls.urlpatterns
    + catalog_portal_urls.urlpatterns
    + integration_portal_urls.urlpatterns
    + order_portal_urls.urlpatterns
    + api_portal_urls.urlpatterns
)

urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("allauth.urls")),
    path("staff/", include("printconnect.clients.urls")),
    path("staff/integration/", include("printconnect.integrations.urls")),
    path("staff/catalog/", include("printconnect.catalog.urls")),
    path("staff/orders/", include("printconnect.orders.urls")),
    path(
        "staff/clients/<int:pk>/stores/",
        storefront_views.staff_client_stores,
        name="staff_client_stores",
    ),
    path(
        "staff/clients/<int:pk>/stores/connect/woocommerce/",
        staff_connect_views.staff_store_connect_woocommerce,
        name="staff_store_connect_woocommerce",
    ),
    path("portal/", include((portal_patterns, "portal"))),
    path("invitations/<str:token>/", storefront_views.invitation_accept, name="invitation_accept"),
    path("api/", include("printconnect.api.urls")),
    path("staff/api-tokens/", include("printconnect.api.staff_urls")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("webhooks/<str:platform>/<str:store_token>/", webhook_receive, name="webhook_receive"),
]
