from django.urls import path

from printconnect.catalog import views

app_name = "catalog"

urlpatterns = [
    path("products/", views.product_list, name="product_list"),
    path("products/new/", views.product_create, name="product_create"),
    path("products/<int:pk>/", views.product_edit, name="product_edit"),
    path("products/<int:pk>/deactivate/", views.product_deactivate, name="product_deactivate"),
    path("products/<int:pk>/reactivate/", views.product_reactivate, name="product_reactivate"),
    path("carriers/", views.carrier_list, name="carrier_list"),
    path("carriers/new/", views.carrier_create, name="carrier_create"),
    path("carriers/<int:pk>/", views.carrier_edit, name="carrier_edit"),
    path("carriers/<int:pk>/deactivate/", views.carrier_deactivate, name="carrier_deactivate"),
    path("carriers/<int:pk>/reactivate/", views.carrier_reactivate, name="carrier_reactivate"),
    path("shipping-methods/", views.method_list, name="method_list"),
    path("shipping-methods/new/", views.method_create, name="method_create"),
    path("shipping-methods/<int:pk>/", views.method_edit, name="method_edit"),
    path("shipping-methods/<int:pk>/deactivate/", views.method_deactivate, name="method_deactivate"),
    path("shipping-methods/<int:pk>/reactivate/", views.method_reactivate, name="method_reactivate"),
    path("shipping-methods/<int:pk>/rates/", views.rate_create, name="rate_create"),
    path("shipping-methods/<int:pk>/rates/<int:rate_pk>/", views.rate_edit, name="rate_edit"),
    path("shipping-methods/<int:pk>/rates/<int:rate_pk>/delete/", views.rate_delete, name="rate_delete"),
    path("stores/<int:pk>/products/", views.store_products, name="store_products"),
    path("stores/<int:pk>/catalog-search/", views.catalog_search, name="catalog_search"),
    path("variants/<int:pk>/connect/", views.variant_connect, name="variant_connect"),
    path("variants/<int:pk>/disconnect/", views.variant_disconnect, name="variant_disconnect"),
]
