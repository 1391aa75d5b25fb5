"""A real SMTP server for the e-mail tests: aiosmtpd on loopback, each accepted message
written to a directory as one .eml file. Recipients whose address starts with "refuse" are
refused with 550, like a mailbox that does not exist.

    python -m tests.workbench.notify.smtp_sink PORT DIRECTORY
"""
from __future__ import annotations

import asyncio
import sys
import uuid
from pathlib import Path

from aiosmtpd.controller import Controller


class WriteToDirectory:
    def __init__(self, directory: Path):
        self.directory = directory

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower().startswith("refuse"):
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        name = self.directory / f"{uuid.uuid4().hex}.eml"
        temporary = name.with_suffix(".tmp")
        temporary.write_bytes(envelope.original_content or envelope.content)
        temporary.rename(name)  # a reader never sees half a message
        return "250 Message accepted"


def main() -> None:
    port, directory = int(sys.argv[1]), Path(sys.argv[2])
    directory.mkdir(parents=True, exist_ok=True)
    controller = Controller(WriteToDirectory(directory), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"smtp sink listening on 127.0.0.1:{port}", flush=True)
    try:
        asyncio.run(asyncio.Event().wait())
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
