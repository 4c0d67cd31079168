from django.urls import path

from . import consumers

websocket_urlpatterns = [
    path("ws/chat/<str:token>/", consumers.CustomerConsumer.as_asgi()),
    path("ws/desk/chat/", consumers.AgentConsumer.as_asgi()),
]
