"""The JSON API under /api/v1/ (token auth) and its documentation. Every pattern is in openapi.py's document
(tests/api/test_openapi.py checks)."""

from django.urls import path

from printconnect.api import views

app_name = "api"

urlpatterns = [
    path("v1/orders/", views.order_list, name="order_list"),
    path("v1/orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("v1/orders/<int:pk>/status", views.order_status, name="order_status"),
    path("v1/orders/<int:pk>/shipments", views.order_shipments, name="order_shipments"),
    path("v1/print-files/<int:pk>/download", views.print_file_download, name="print_file_download"),
    path("v1/shipping-rates", views.shipping_rates, name="shipping_rates"),
    path("v1/openapi.json", views.openapi_json, name="openapi"),
    path("docs/", views.api_docs, name="docs"),
]
