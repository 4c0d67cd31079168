from django.urls import path

from . import views

app_name = "quality"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("reviews/<int:pk>/", views.review, name="review"),
    path("reviews/<int:pk>/score/", views.score, name="score"),
    path("reviews/<int:pk>/appeal/", views.appeal, name="appeal"),
    path("reviews/<int:pk>/decide/", views.decide, name="decide"),
]
