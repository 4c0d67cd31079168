from django.urls import path

from . import views

app_name = "chat"

urlpatterns = [
    path("chat/", views.start, name="start"),
    path("chat/c/<str:token>/", views.room, name="room"),
    path("chat/c/<str:token>/upload/", views.upload, name="upload"),
    path("chat/c/<str:token>/files/<int:pk>/", views.customer_file, name="customer_file"),
    path("chat/c/<str:token>/transcript/", views.transcript, name="transcript"),
    path("desk/chat/", views.console, name="console"),
    path("desk/chat/<uuid:public_id>/articles/", views.console_articles, name="console_articles"),
]
