"""Portal URLs of the integrations app, mounted with storefronts' under the `portal` namespace (printconnect/urls.py).

Every pattern here must be listed in tests/access/test_matrix.py.
"""

from django.urls import path

from printconnect.integrations import portal_events, portal_products, portal_views, postback_views

urlpatterns = [
    path("stores/connect/woocommerce/", portal_views.store_connect_woocommerce, name="store_connect_woocommerce"),
    path("stores/<int:pk>/credentials/", portal_views.store_credentials, name="store_credentials"),
    path("errors/", portal_events.event_list, name="event_list"),
    path("errors/<int:pk>/resolve/", portal_events.event_resolve_view, name="event_resolve"),
    path("errors/<int:pk>/retry/", portal_events.event_retry_view, name="event_retry"),
    path("settings/postbacks/", postback_views.postback_list, name="postback_list"),
    path("settings/postbacks/add/", postback_views.postback_add, name="postback_add"),
    path("settings/postbacks/<int:pk>/", postback_views.postback_edit, name="postback_edit"),
    path("settings/postbacks/<int:pk>/rotate-secret/", postback_views.postback_rotate, name="postback_rotate"),
    path("settings/postbacks/<int:pk>/delete/", postback_views.postback_delete, name="postback_delete"),
    path("settings/postbacks/<int:pk>/log/", postback_views.postback_log, name="postback_log"),
    path(
        "settings/postbacks/deliveries/<int:pk>/redeliver/",
        postback_views.postback_redeliver,
        name="postback_redeliver",
    ),
]

urlpatterns += [
    path("stores/<int:pk>/products/sync/", portal_products.store_products_sync, name="store_products_sync"),
    path("stores/<int:pk>/products/add/", portal_products.store_product_add, name="store_product_add"),
]
