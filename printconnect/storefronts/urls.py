"""Portal URLs. Every pattern here must be listed in tests/access/test_matrix.py."""

from django.urls import path

from printconnect.storefronts import views

app_name = "portal"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("stores/", views.store_list, name="store_list"),
    path("stores/add/", views.store_add, name="store_add"),
    path("stores/<int:pk>/", views.store_detail, name="store_detail"),
    path("stores/<int:pk>/edit/", views.store_edit, name="store_edit"),
    path("settings/users/", views.user_list, name="user_list"),
    path("settings/users/invite/", views.user_invite, name="user_invite"),
    path("settings/users/<int:pk>/", views.member_edit, name="member_edit"),
    path("settings/users/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path("settings/invitations/<int:pk>/resend/", views.invitation_resend_view, name="invitation_resend"),
    path("settings/invitations/<int:pk>/cancel/", views.invitation_cancel_view, name="invitation_cancel"),
]
