from django.urls import path

from printconnect.clients import views

app_name = "staff"

urlpatterns = [
    path("clients/", views.client_list, name="client_list"),
    path("clients/new/", views.client_create, name="client_create"),
    path("clients/<int:pk>/", views.client_detail, name="client_detail"),
    path("clients/<int:pk>/edit/", views.client_edit, name="client_edit"),
    path("clients/<int:pk>/settings/", views.client_settings, name="client_settings"),
    path(
        "clients/<int:pk>/invitations/<int:invitation_pk>/resend/",
        views.client_invitation_resend,
        name="client_invitation_resend",
    ),
]
