"""The notification centre (notices.views)."""

from django.urls import path

app_name = "notices"

urlpatterns: list = []
