"""aserial: serial ports for asyncio, uvloop, trio and blocking code.

A native package over libaserial (the C library: its loop, its
transports, its request/reply queue), in the shapes Python users know:

**anyserial's shape** (any runtime, through sniffio; anyio works on top)::

    import anyio
    from aserial import SerialConfig, open_serial_port

    async def main():
        async with await open_serial_port("/dev/ttyUSB0", SerialConfig(baudrate=115_200)) as port:
            await port.send(b"AT\\r\\n")
            print(await port.receive(64))

    anyio.run(main)

``receive(max_bytes)`` never returns b""; the end raises
SerialDisconnectedError. Also ``receive_exactly``, ``receive_until``,
``receive_available``, ``configure`` (atomic), ``capabilities()``
(tri-state with reasons); the port is an anyio ByteStream.

**Request/reply** (serialio's shape, through the C library's query queue)::

    reply = await port.query(b"*IDN?\\n", eol=b"\\r\\n", timeout=1.0)
    reply = await port.write_readline(b"*IDN?\\n")
    frame = await port.receive_frame(Framer.cobs())
    async for frame in port.frames(Framer.slip()): ...

``aserial.serialio.Serial(host, port, eol=...)`` (and ``SyncSerial``) keep
serialio's own names.

**pyserial-asyncio's shape**: ``aserial.asyncio.open_serial_connection``
and ``create_serial_connection`` (streams, protocols and transports).

**Blocking**: ``aserial.sync.SerialPort`` with per-call timeouts; the GIL
is released while it waits. ``aserial.sync.Serial`` is pyserial's Serial.

**Testing**: ``aserial.testing.serial_port_pair()``, ``FaultPlan``,
``instrument()``. **Discovery**: ``list_serial_ports()``,
``find_serial_port(vid=, pid=, serial_number=)``, ``hotplug()``.

URLs: a tty path, ``usb:VID:PID[:SERIAL]``, ``rfc2217://HOST:PORT``,
``tcp://HOST:PORT``, ``ws://HOST:PORT/PATH``, the ``+tls`` forms,
``pty:``, ``mock://NAME``; a query adds settings (``?baud=9600``).

Cancellation is the runtime's: asyncio.timeout, asyncio.wait_for,
anyio.move_on_after and trio cancel scopes cancel the C operation and
leave the port usable. Errors are SerialError subclasses that are also the
built-ins people catch (FileNotFoundError, PermissionError, TimeoutError,
ConnectionError, ValueError), with the C library's message.
docs/python.md in the source tree has the rest.
"""
from __future__ import annotations

from . import _aserial
from ._errors import (BusyResourceError, ConfigurationError, FrameTooLongError,
                      SerialCancelledError, SerialClosedError, SerialConnectionRefusedError,
                      SerialDisconnectedError, SerialError, SerialNotFoundError,
                      SerialPermissionError, SerialProtocolError, SerialTimeoutError,
                      UnsupportedFeatureError)
from ._config import FlowControl, Parity, SerialConfig, StopBits
from ._framer import Framer
from ._port import (BufferedByteStream, Capabilities, Capability, LineEvent, LineEvents,
                    ModemLines, SerialPort, open_serial_port)
from ._discovery import Hotplug, HotplugEvent, PortInfo, find_serial_port, hotplug, list_serial_ports

__version__ = "0.1.0"

__all__ = [
    "SerialPort", "open_serial_port", "SerialConfig", "Parity", "StopBits", "FlowControl",
    "Framer", "BufferedByteStream", "Capabilities", "Capability", "ModemLines", "PortInfo",
    "Hotplug", "HotplugEvent", "LineEvent", "LineEvents",
    "list_serial_ports", "find_serial_port", "hotplug",
    "SerialError", "SerialNotFoundError", "SerialPermissionError", "BusyResourceError",
    "SerialTimeoutError", "SerialDisconnectedError", "SerialClosedError",
    "SerialConnectionRefusedError", "ConfigurationError", "UnsupportedFeatureError",
    "FrameTooLongError", "SerialProtocolError", "SerialCancelledError",
]
