"""Staff console: API tokens of every client and staff-wide ones (under /staff/api-tokens/)."""

from django.urls import path

from printconnect.api import token_views

app_name = "staff_api"

urlpatterns = [
    path("", token_views.staff_token_list, name="token_list"),
    path("<int:pk>/revoke/", token_views.staff_token_revoke, name="token_revoke"),
    path("infigo-shipping-rates.js", token_views.staff_infigo_script, name="infigo_script"),
]
