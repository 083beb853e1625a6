"""gridbot (网格助手): an assistant for grid governance group chats."""

__version__ = "0.1.0"
