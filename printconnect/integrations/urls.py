"""Staff console: integration pages (under /staff/integration/)."""

from django.urls import path

from printconnect.integrations import postback_views, views

app_name = "integration"

urlpatterns = [
    path("stores/<int:pk>/", views.store_integration, name="store"),
    path("stores/<int:pk>/go-live/", views.store_live, name="store_go_live"),
    path("stores/<int:pk>/test-mode/", views.store_test, name="store_test_mode"),
    path("stores/<int:pk>/credentials/", views.store_credentials_staff, name="store_credentials"),
    path("feeds/<int:pk>/", views.feed_edit, name="feed_edit"),
    path("feeds/<int:pk>/run/", views.feed_run, name="feed_run"),
    path("executions/", views.run_list, name="run_list"),
    path("executions/<int:pk>/", views.run_detail, name="run_detail"),
    path("events/", views.event_list, name="event_list"),
    path("events/<int:pk>/resolve/", views.event_resolve_view, name="event_resolve"),
    path("events/<int:pk>/retry/", views.event_retry_view, name="event_retry"),
    path("clients/<int:pk>/postbacks/", postback_views.client_postbacks, name="client_postbacks"),
    path("clients/<int:pk>/postbacks/add/", postback_views.client_postback_add, name="client_postback_add"),
    path("postbacks/<int:pk>/", postback_views.staff_postback_edit, name="postback_edit"),
    path("postbacks/<int:pk>/rotate-secret/", postback_views.staff_postback_rotate, name="postback_rotate"),
    path("postbacks/<int:pk>/delete/", postback_views.staff_postback_delete, name="postback_delete"),
    path("postbacks/<int:pk>/log/", postback_views.staff_postback_log, name="postback_log"),
    path("deliveries/<int:pk>/redeliver/", postback_views.delivery_redeliver, name="delivery_redeliver"),
]

urlpatterns += [
    path("stores/<int:pk>/products/sync/", views.store_products_sync_staff, name="store_products_sync"),
    path("stores/<int:pk>/products/add/", views.store_product_add_staff, name="store_product_add"),
]
