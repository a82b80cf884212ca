"""Portal URLs of the api app (Settings > API tokens), mounted under the `portal` namespace. Every pattern here must
be listed in tests/access/test_matrix.py."""

from django.urls import path

from printconnect.api import token_views

urlpatterns = [
    path("settings/api-tokens/", token_views.api_token_list, name="api_token_list"),
    path("settings/api-tokens/<int:pk>/revoke/", token_views.api_token_revoke_view, name="api_token_revoke"),
    path("settings/api-tokens/infigo-shipping-rates.js", token_views.api_infigo_script, name="api_infigo_script"),
]
