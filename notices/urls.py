"""The notification centre (notices.views)."""

from django.urls import path

from . import mailbox, views

app_name = "notices"

urlpatterns = [
    path("", views.NoticeListView.as_view(), name="list"),
    path("<int:pk>/buka/", views.NoticeOpenView.as_view(), name="open"),
    path("<int:pk>/dibaca/", views.NoticeMarkReadView.as_view(), name="mark_read"),
    path("semua-dibaca/", views.NoticeMarkAllReadView.as_view(), name="mark_all_read"),
    path("pengaturan/", views.NoticeSettingsView.as_view(), name="settings"),
    # The e-mails the embedded default wrote as files (staff only).
    path("surel/", mailbox.mailbox, name="mailbox"),
    path("surel/<str:name>/", mailbox.mailbox_message, name="mailbox_message"),
]
