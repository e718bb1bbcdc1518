from django.urls import path

from . import views

urlpatterns = [
    path("ateliers/<slug:slug>/synthese/", views.published, name="synthesis"),
]
