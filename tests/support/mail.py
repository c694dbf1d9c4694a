"""A real SMTP server (aiosmtpd) on a free port, and the mailbox it delivers to."""

from __future__ import annotations

import re
from email import message_from_bytes
from email.message import Message

from aiosmtpd.controller import Controller

from tests.support.services import free_port


class MailBox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"

    def clear(self) -> None:
        self.messages.clear()

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["To"] == address]

    @staticmethod
    def body(message: Message) -> str:
        return message.get_payload(decode=True).decode()

    def link_in_last(self, address: str) -> str:
        body = self.body(self.to(address)[-1])
        return re.search(r"http://localhost(/\S+)", body).group(1)


def start_smtp() -> tuple[Controller, MailBox]:
    box = MailBox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller, box
