"""Send and receive multiprocessing.Connection frames on a parser process's socket from the event loop, never blocking it."""

from __future__ import annotations

import asyncio
import socket
import struct

_HEADER = struct.Struct("!i")  # multiprocessing.connection's frame: a signed 4-byte big-endian length, then the bytes
_CHUNK = 1 << 20


class ParserSocket:
    """The parent's end of one parser process's Connection, for the event loop. Every send and receive uses
    MSG_DONTWAIT and waits for readiness on the loop instead, so the descriptor itself stays blocking for the
    threads that use the same Connection with send_bytes and recv_bytes."""

    def __init__(self, fileno: int) -> None:
        self._socket = socket.socket(fileno=fileno)  # a duplicate of the Connection's descriptor: closed by close()

    async def send_frames(self, *payloads: bytes) -> None:
        """Each payload as one frame, as Connection.send_bytes sends it. Raises OSError when the process is gone."""
        data = b"".join(part for payload in payloads for part in (_HEADER.pack(len(payload)), payload))
        view = memoryview(data)
        while view:
            try:
                view = view[self._socket.send(view[:_CHUNK], socket.MSG_DONTWAIT):]
            except BlockingIOError:
                await self._ready(writing=True)

    async def receive_frame(self, max_bytes: int) -> bytes:
        """One frame's bytes. EOFError when the process closed its end; OSError over `max_bytes` (as
        Connection.recv_bytes does), or for a frame of the 8-byte length form, which no answer under it needs."""
        (size,) = _HEADER.unpack(await self._receive_exactly(_HEADER.size))
        if size < 0 or size > max_bytes:
            raise OSError("bad message length")
        return await self._receive_exactly(size)

    def close(self) -> None:
        self._socket.close()

    async def _receive_exactly(self, size: int) -> bytes:
        received = bytearray()
        while len(received) < size:
            try:
                chunk = self._socket.recv(min(size - len(received), _CHUNK), socket.MSG_DONTWAIT)
            except BlockingIOError:
                await self._ready(writing=False)
                continue
            if not chunk:
                raise EOFError("the parser process closed its end")
            received += chunk
        return bytes(received)

    async def _ready(self, *, writing: bool) -> None:
        """Until the socket can be written (or read): one wake of the event loop, no thread."""
        loop = asyncio.get_running_loop()
        ready = loop.create_future()

        def wake() -> None:
            if not ready.done():
                ready.set_result(None)

        descriptor = self._socket.fileno()
        if writing:
            loop.add_writer(descriptor, wake)
        else:
            loop.add_reader(descriptor, wake)
        try:
            await ready
        finally:
            if writing:
                loop.remove_writer(descriptor)
            else:
                loop.remove_reader(descriptor)
