"""The current request's id, readable from services and log records without passing the request around."""

from contextvars import ContextVar

_request_id: ContextVar[str] = ContextVar("request_id", default="")


def current_request_id() -> str:
    return _request_id.get()


def set_request_id(value: str):
    return _request_id.set(value)


def reset_request_id(token) -> None:
    _request_id.reset(token)


# How the current request reached us when not through the pages: "token:<prefix>" for an API token. Audit events
# written during the request name it, so a token's acts are its owner's, and can be told apart.
_channel: ContextVar[str] = ContextVar("channel", default="")


def current_channel() -> str:
    return _channel.get()


def set_channel(value: str):
    return _channel.set(value)


def reset_channel(token) -> None:
    _channel.reset(token)
