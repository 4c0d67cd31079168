"""The signed token that authorises a customer's connection to one chat, and nothing else."""

from django.core import signing

from .models import Chat

SALT = "chat.customer-connection"
# A chat's page keeps working for a day: long enough to rate it and reconnect after a drop.
MAX_AGE_SECONDS = 24 * 3600


def chat_token(chat: Chat) -> str:
    return signing.dumps({"c": str(chat.public_id)}, salt=SALT, compress=True)


def chat_from_token(token: str) -> Chat:
    """The chat a genuine, unexpired token names; raises signing.BadSignature or Chat.DoesNotExist."""
    data = signing.loads(token, salt=SALT, max_age=MAX_AGE_SECONDS)
    if not isinstance(data, dict) or not isinstance(data.get("c"), str):
        raise signing.BadSignature("Malformed chat token.")
    return Chat.objects.select_related("customer", "ticket", "agent", "team", "topic").get(
        public_id=data["c"]
    )
