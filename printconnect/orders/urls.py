"""Staff console: a store's Shipping settings and held orders (under /staff/orders/)."""

from django.urls import path

from printconnect.orders import views

app_name = "staff_orders"

urlpatterns = [
    path("stores/<int:pk>/shipping/", views.staff_store_shipping, name="store_shipping"),
    path("<int:pk>/reprocess/", views.staff_order_reprocess, name="order_reprocess"),
    path("items/<int:pk>/print-file/", views.staff_order_item_print_file, name="order_item_print_file"),
    path("print-files/<int:pk>/download/", views.staff_print_file_download, name="print_file_download"),
]
