"""The emulated coordinator's serial port: MT framing over a TCP socket or a pty.

zigpy-znp reaches the emulator exactly as it reaches a stick behind ser2net
(`socket://127.0.0.1:PORT`) or on a serial device (a pty path), so its whole serial
layer (serialx, framing, checksums) is exercised. Frames are counted in both
directions: the proof that traffic really crossed that layer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import tty
from collections.abc import Callable

from zigpy_znp.exceptions import InvalidFrame
from zigpy_znp.frames import GeneralFrame, TransportFrame

from harness.sim.zstack import ZStackEmulator

LOGGER = logging.getLogger(__name__)
SOF = 0xFE


class MtStream:
    """Splits a byte stream into MT frames for the emulator and frames its answers."""

    def __init__(self, emulator: ZStackEmulator, write: Callable[[bytes], None]) -> None:
        self.emulator = emulator
        self._write = write
        self._buffer = bytearray()
        self.frames_in = 0
        self.frames_out = 0
        self.bad_frames = 0
        # While a chunk from the host is being answered, the answers (an SRSP and the
        # callbacks it queued) are gathered and written once at its end: one write, and one
        # chunk for the host to read, instead of one per frame. Same octets, same order.
        self._held: list[bytes] | None = None
        emulator.connect_host(self.send)

    def send(self, frame: GeneralFrame) -> None:
        self.frames_out += 1
        octets = TransportFrame(frame).serialize()
        if self._held is not None:
            self._held.append(octets)
        else:
            self._write(octets)

    def feed(self, data: bytes) -> None:
        self._held = []
        try:
            self._feed(data)
        finally:
            held, self._held = self._held, None
            if held:
                self._write(b"".join(held))

    def _feed(self, data: bytes) -> None:
        self._buffer += data
        while True:
            start = self._buffer.find(SOF)
            if start < 0:
                # Bootloader-skip bytes and line noise: dropped, as a stick would.
                self._buffer.clear()
                return
            del self._buffer[:start]
            if len(self._buffer) < 5 or len(self._buffer) < self._buffer[1] + 5:
                return
            try:
                frame, rest = TransportFrame.deserialize(bytes(self._buffer))
            except InvalidFrame:
                self.bad_frames += 1
                del self._buffer[:1]
                continue
            del self._buffer[: len(self._buffer) - len(rest)]
            self.frames_in += 1
            self.emulator.handle_frame(frame.payload)

    def close(self) -> None:
        self.emulator.disconnect_host()


class _TcpPort(asyncio.Protocol):
    def __init__(self, server: MtServer) -> None:
        self._server = server
        self._stream: MtStream | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._stream = self._server.open_stream(transport.write)

    def data_received(self, data: bytes) -> None:
        assert self._stream is not None
        self._stream.feed(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._stream is not None:
            self._server.close_stream(self._stream)


class MtServer:
    """Serves one emulator on a loopback TCP port or a pty; one host at a time."""

    def __init__(self, emulator: ZStackEmulator) -> None:
        self.emulator = emulator
        self.streams: list[MtStream] = []  # every connection served, for the counters
        self._server: asyncio.Server | None = None
        self._pty_master: int | None = None
        self._pty_link: str | None = None
        self.path: str | None = None

    @property
    def frames_in(self) -> int:
        return sum(s.frames_in for s in self.streams)

    @property
    def frames_out(self) -> int:
        return sum(s.frames_out for s in self.streams)

    @property
    def bad_frames(self) -> int:
        """Frames that began with SOF but failed their checksum: bytes corrupted on the line."""
        return sum(s.bad_frames for s in self.streams)

    def open_stream(self, write: Callable[[bytes], None]) -> MtStream:
        stream = MtStream(self.emulator, write)
        self.streams.append(stream)
        return stream

    def close_stream(self, stream: MtStream) -> None:
        stream.close()

    async def start_tcp(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._server = await asyncio.get_running_loop().create_server(lambda: _TcpPort(self), host, port)
        bound = self._server.sockets[0].getsockname()
        self.path = f"socket://{bound[0]}:{bound[1]}"
        return self.path

    def start_pty(self, link: str | None = None) -> str:
        """A pseudo-terminal: zigpy-znp (or ser2net) opens the slave path as it would
        /dev/ttyACM0; with `link`, through a symlink of that name (a stable path a lab's
        ser2net.yaml or a profile can name), removed again on close."""
        master, slave = os.openpty()
        tty.setraw(slave)
        self._pty_master = master
        self.path = os.ttyname(slave)
        if link is not None:
            with contextlib.suppress(FileNotFoundError):
                if os.path.islink(link):
                    os.unlink(link)  # a stale link of an emulator that was killed
            os.symlink(self.path, link)
            self._pty_link = link
            self.path = link
        os.set_blocking(master, False)
        loop = asyncio.get_running_loop()
        stream = self.open_stream(lambda data: os.write(master, data))

        def readable() -> None:
            with contextlib.suppress(BlockingIOError, OSError):
                stream.feed(os.read(master, 4096))

        loop.add_reader(master, readable)
        self._pty_slave = slave  # kept open so the master never sees a hang-up
        return self.path

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None
        if self._pty_master is not None:
            asyncio.get_running_loop().remove_reader(self._pty_master)
            os.close(self._pty_master)
            os.close(self._pty_slave)
            self._pty_master = None
        if self._pty_link is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._pty_link)
            self._pty_link = None
        for stream in self.streams:
            stream.close()
