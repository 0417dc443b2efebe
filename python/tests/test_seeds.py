"""The seeds' own code (../shared/seeds/001, 002, 003), one test per
example, run against aserial with only the import line and the device
URL changed (docs/python.md has the table). Where the seed's text lost
lines (its extraction dropped some), the obvious line is restored and
marked "restored". Peers: socat's pty pair (as seed 001 makes it), `aserial
sim` on a pseudo-terminal, `aserial serve --raw` for serialio's TCP."""
from __future__ import annotations

import asyncio
import os

import pytest

from conftest import Peer, aserial_cli, start_sim


# ---------------------------------------------------------------- fixtures
@pytest.fixture
def socat_pair(tmp_path, peers):
    """Seed 001's `socat -d -d -v pty,rawer,echo=0,link=./reader
    pty,rawer,echo=0,link=./writer`, in a temporary directory."""
    reader, writer = str(tmp_path / "reader"), str(tmp_path / "writer")
    peers.append(Peer(["socat", "-d", "-d", f"pty,rawer,echo=0,link={reader}",
                       f"pty,rawer,echo=0,link={writer}"], ready="starting data transfer loop"))
    return reader, writer


@pytest.fixture
def at_modem(tmp_path, peers):
    return start_sim(peers, str(tmp_path / "ttyUSB0"),
                     {"AT": "OK", "A": "RESULT-A", "ping": "pong", "QUERY": "RESPONSE"})


# ---------------------------------------------------------------- seed 001
@pytest.mark.blocking
def test_seed001_pyserial_measurement_device(at_modem):
    from aserial.sync import Serial  # was: from serial import Serial

    class MeasurementDevice:
        def __init__(self, ser):
            self.ser = ser
            self.idn = None

        def get_identifier(self):
            response_length = 10
            self.ser.write(b"QUERY\n")  # restored
            self.idn = self.ser.read(response_length)  # restored after "self.idn ="

    foo = Serial(at_modem, baudrate=9600, timeout=0.5)  # URL changed
    my_device = MeasurementDevice(foo)
    my_device.get_identifier()
    assert my_device.idn == b"RESPONSE\n"
    foo.close()


def _seed001_protocols(reader_path, writer_path, out):
    import aserial.asyncio as serial_asyncio  # was: import serial_asyncio

    print = out.append  # the seed prints; the test keeps the lines

    class Writer(asyncio.Protocol):
        def connection_made(self, transport):
            """Store the serial transport and schedule the task to send data."""
            self.transport = transport
            print('Writer connection created')
            asyncio.ensure_future(self.send())  # restored
            print('Writer.send() scheduled')

        def connection_lost(self, exc):
            print('Writer closed')

        async def send(self):
            """Send four newline-terminated messages, one byte at a time."""
            message = b'foo\nbar\nbaz\nqux\n'
            for b in message:
                await asyncio.sleep(0.5)
                self.transport.serial.write(bytes([b]))  # restored
                print(f'Writer sent: {bytes([b])}')
            self.transport.close()  # restored

    class Reader(asyncio.Protocol):
        def connection_made(self, transport):
            """Store the serial transport and prepare to receive data."""
            self.transport = transport
            self.buf = bytes()
            self.msgs_recvd = 0
            print('Reader connection created')

        def data_received(self, data):
            """Store characters until a newline is received."""
            self.buf += data
            if b'\n' in self.buf:
                lines = self.buf.split(b'\n')
                self.buf = lines[-1]  # whatever was left over
                for line in lines[:-1]:
                    print(f'Reader received: {line.decode()}')
                    self.msgs_recvd += 1
            if self.msgs_recvd == 4:
                self.transport.close()  # restored

        def connection_lost(self, exc):
            print('Reader closed')

    loop = asyncio.new_event_loop()  # was: asyncio.get_event_loop() (deprecated without a loop)
    reader = serial_asyncio.create_serial_connection(loop, Reader, reader_path, baudrate=115200)
    writer = serial_asyncio.create_serial_connection(loop, Writer, writer_path, baudrate=115200)
    asyncio.ensure_future(reader, loop=loop)  # restored
    print('Reader scheduled')
    asyncio.ensure_future(writer, loop=loop)  # restored
    print('Writer scheduled')
    loop.call_later(10, loop.stop)
    loop.run_forever()  # restored
    loop.close()


def test_seed001_reader_writer_protocols(socat_pair):
    out: list = []
    _seed001_protocols(*socat_pair, out)
    got = [line for line in out if line.startswith("Reader received")]
    assert got == [f"Reader received: {m}" for m in ("foo", "bar", "baz", "qux")]
    assert "Writer closed" in out and "Reader closed" in out
    assert sum(1 for line in out if line.startswith("Writer sent")) == 16


def test_seed001_reader_with_queue(socat_pair):
    import aserial.asyncio as serial_asyncio  # was: import serial_asyncio
    from functools import partial

    class Reader(asyncio.Protocol):
        """Receives newline-terminated messages and places them on a queue."""
        def __init__(self, queue):
            self.transport = None
            self.queue = queue
            self.buf = b""  # restored

        def connection_made(self, transport):
            self.transport = transport

        def data_received(self, data):
            """Store received messages on the queue."""
            self.buf += data
            if b'\n' in self.buf:
                lines = self.buf.split(b'\n')
                self.buf = lines[-1]  # whatever was left over
                for line in lines[:-1]:
                    self.queue.put_nowait(line)  # restored

    async def main():
        my_queue = asyncio.Queue()
        reader_with_queue = partial(Reader, my_queue)
        loop = asyncio.get_running_loop()
        reader = serial_asyncio.create_serial_connection(loop, reader_with_queue,
                                                         socat_pair[0], baudrate=115200)
        transport, _ = await reader
        _, w = await serial_asyncio.open_serial_connection(url=socat_pair[1])
        w.write(b"one\ntwo\n")
        assert await asyncio.wait_for(my_queue.get(), 5) == b"one"
        assert await asyncio.wait_for(my_queue.get(), 5) == b"two"
        transport.close()
        w.close()

    asyncio.run(main())


def test_seed001_streams_and_queues(socat_pair):
    import aserial.asyncio as serial_asyncio  # was: import serial_asyncio
    out: list = []
    print = out.append

    async def main(loop):
        reader, _ = await serial_asyncio.open_serial_connection(url=socat_pair[0],
                                                                baudrate=115200)
        print('Reader created')
        _, writer = await serial_asyncio.open_serial_connection(url=socat_pair[1],
                                                                baudrate=115200)
        print('Writer created')
        messages = [b'foo\n', b'bar\n', b'baz\n', b'qux\n']
        sent = send(writer, messages)
        received = recv(reader)
        await asyncio.wait([asyncio.ensure_future(sent), asyncio.ensure_future(received)])
        # (3.11 refuses bare coroutines in asyncio.wait: wrapped in tasks)

    async def send(w, msgs):
        for msg in msgs:
            w.write(msg)  # restored
            print(f'sent: {msg.decode().rstrip()}')
            await asyncio.sleep(0.5)
        w.write(b'DONE\n')  # restored
        print('Done sending')

    async def recv(r):
        while True:
            msg = await r.readuntil(b'\n')
            if msg.rstrip() == b'DONE':
                print('Done receiving')
                break  # restored
            print(f'received: {msg.rstrip().decode()}')

    loop = asyncio.new_event_loop()
    loop.run_until_complete(main(loop))  # restored
    loop.close()
    assert [x for x in out if x.startswith("received")] == [
        "received: foo", "received: bar", "received: baz", "received: qux"]
    assert "Done receiving" in out


# ---------------------------------------------------------------- seed 002
@pytest.mark.anyio
async def test_seed002_open_send_receive(at_modem, capsys):
    from aserial import SerialConfig, open_serial_port  # was: from anyserial import ...

    async def main() -> None:
        config = SerialConfig(baudrate=115_200)
        async with await open_serial_port(at_modem, config) as port:  # URL changed
            await port.send(b"AT\r\n")
            reply = await port.receive(64)
            print(reply)

    await main()
    assert capsys.readouterr().out == "b'OK\\n'\n"


@pytest.mark.anyio
async def test_seed002_open_shortcut(at_modem):
    from aserial import SerialPort  # was: from anyserial import SerialPort
    async with await SerialPort.open(at_modem, baudrate=115_200) as port:
        await port.send(b"ping\n")
        assert await port.receive(64) == b"pong\n"  # (the test's check)


@pytest.mark.anyio
async def test_seed002_read_exact(at_modem):
    from aserial import SerialPort  # was: from anyserial import SerialPort

    async def read_exact(port: SerialPort, n: int) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            buf.extend(await port.receive(n - len(buf)))
        return bytes(buf)

    async with await SerialPort.open(at_modem) as port:
        await port.send(b"QUERY\n")
        assert await read_exact(port, 9) == b"RESPONSE\n"


@pytest.mark.anyio
async def test_seed002_buffered_byte_stream(at_modem):
    from aserial import BufferedByteStream  # was: from anyio.streams.buffered import ...
    from aserial import SerialConfig, open_serial_port
    config = SerialConfig()
    async with await open_serial_port(at_modem, config) as port:
        buffered = BufferedByteStream(port)
        await buffered.send(b"AT\r")
        reply = await buffered.receive_until(b"\n", max_bytes=512)  # the sim ends with \n
        assert reply == b"OK"


@pytest.mark.anyio
async def test_seed002_timeout_by_cancellation(at_modem):
    import anyio
    from aserial import SerialPort
    async with await SerialPort.open(at_modem) as port:
        reply = None
        with anyio.move_on_after(1.0):
            reply = await port.receive(64)
        assert reply is None  # 1 s elapsed before any bytes arrived
        await port.send(b"AT\n")
        assert await port.receive(64) == b"OK\n"  # the port is usable after


@pytest.mark.anyio
async def test_seed002_receive_available(at_modem):
    from aserial import SerialPort
    async with await SerialPort.open(at_modem) as port:
        await port.send(b"QUERY\r\n")
        response = await port.receive_available(limit=4096)
        assert response.startswith(b"RESP")


@pytest.mark.anyio
async def test_seed002_fan_out(tmp_path, peers):
    import anyio
    from aserial import SerialConfig, open_serial_port  # was: from anyserial import ...
    paths = [start_sim(peers, str(tmp_path / f"ttyUSB{i}"), {"A": f"DEV{i}"}) for i in range(3)]

    async def poll_one(path: str, results: dict) -> None:
        async with await open_serial_port(path, SerialConfig(baudrate=115_200)) as port:
            await port.send(b"A\r")
            results[path] = await port.receive(256)

    async def main() -> dict:
        results: dict = {}
        async with anyio.create_task_group() as tg:
            for p in paths:
                tg.start_soon(poll_one, p, results)
        return results

    results = await main()
    assert results == {p: f"DEV{i}\n".encode() for i, p in enumerate(paths)}


@pytest.mark.anyio
async def test_seed002_fan_out_with_per_port_failure(tmp_path, peers):
    import anyio
    from aserial import SerialConfig, open_serial_port
    good = start_sim(peers, str(tmp_path / "ttyUSB0"), {"A": "GOOD"})
    paths = [good, str(tmp_path / "ttyUSB9")]  # the second does not exist

    async def poll_one(path: str, results: dict) -> None:
        try:
            async with await open_serial_port(path, SerialConfig(baudrate=115_200)) as port:
                await port.send(b"A\r")
                results[path] = await port.receive(256)
        except Exception as exc:  # noqa: BLE001 — record per-port failure
            results[path] = exc

    results: dict = {}
    async with anyio.create_task_group() as tg:
        for p in paths:
            tg.start_soon(poll_one, p, results)
    assert results[good] == b"GOOD\n"
    assert isinstance(results[paths[1]], FileNotFoundError)


@pytest.mark.anyio
async def test_seed002_discovery(monkeypatch):
    from aserial import find_serial_port, list_serial_ports  # was: from anyserial import ...
    from aserial import open_serial_port
    root = os.path.join(os.path.dirname(__file__), "..", "..", "test", "discover", "fixtures",
                        "ftdi-ft232r")
    monkeypatch.setenv("ASERIAL_SYSFS_ROOT", os.path.join(root, "sys"))
    monkeypatch.setenv("ASERIAL_DEV_ROOT", os.path.join(root, "dev"))
    seen = []
    for info in await list_serial_ports():
        seen.append((info.device, info.vid, info.pid, info.serial_number))
    assert any(v == 0x0403 and p == 0x6001 for _, v, p, _ in seen), seen
    ftdi = await find_serial_port(vid=0x0403, pid=0x6001)
    if ftdi is None:
        raise RuntimeError("FT232R not connected")
    with pytest.raises(Exception):  # the fixture's device node is a plain file
        async with await open_serial_port(ftdi.device) as port:
            ...


@pytest.mark.anyio
async def test_seed002_testing_pair():
    from aserial.testing import serial_port_pair  # was: from anyserial.testing import ...

    async def main() -> None:
        a, b = serial_port_pair()
        try:
            await a.send(b"hello")
            assert await b.receive(5) == b"hello"
        finally:
            await a.aclose()
            await b.aclose()

    await main()


@pytest.mark.blocking
def test_seed002_sync_wrapper(at_modem):
    from aserial.sync import SerialPort  # was: from anyserial.sync import SerialPort
    with SerialPort.open(at_modem, baudrate=115_200) as port:  # URL changed
        port.send(b"AT\r\n")
        reply = port.receive(64, timeout=1.0)
    assert reply == b"OK\n"


# ---------------------------------------------------------------- seed 003
@pytest.fixture
def raw_tcp_instrument(tmp_path, peers):
    """An instrument behind `aserial serve --raw`: what ser2net's raw TCP gives."""
    dev = start_sim(peers, str(tmp_path / "scpi"), {"*IDN?": "ACME,SCPI,1,2"}, eol="\\r")
    p = Peer([aserial_cli(), "serve", dev, "--listen", "127.0.0.1:0", "--raw"])
    peers.append(p)
    line = p.wait_for("serving")
    return int(line.split(" on ")[1].split()[0].rsplit(":", 1)[1])


@pytest.mark.anyio
async def test_seed003_asyncio_write_readline(raw_tcp_instrument):
    from aserial.serialio import Serial  # was: from serialio.aio.tcp import Serial

    async def main():
        sl = Serial('127.0.0.1', raw_tcp_instrument, eol=b'\r')  # host/port changed
        # Assuming a SCPI complient on the other end we can ask for:
        reply = await sl.write_readline(b'*IDN?\n')
        await sl.close()  # (the test closes what it opened)
        return reply

    assert await main() == b"ACME,SCPI,1,2"


@pytest.mark.anyio
async def test_seed003_custom_eol_per_call(raw_tcp_instrument):
    from aserial.serialio import Serial  # was: from serialio.aio.tcp import Serial
    sl = Serial('127.0.0.1', raw_tcp_instrument)
    assert await sl.write_readline(b'*IDN?\n', eol=b'\r') == b"ACME,SCPI,1,2"
    await sl.close()


@pytest.mark.blocking
def test_seed003_classic_sync(raw_tcp_instrument):
    from aserial.serialio import SyncSerial as Serial  # was: from serialio.sio.tcp import Serial
    sl = Serial('127.0.0.1', raw_tcp_instrument, eol=b'\r')
    reply = sl.write_readline(b'*IDN?\n')
    assert reply == b"ACME,SCPI,1,2"
    sl.close()


@pytest.mark.blocking
def test_seed003_concurrent_futures(raw_tcp_instrument):
    from aserial.serialio import SyncSerial as Serial  # was: from serialio.sio.tcp import Serial
    sl = Serial('127.0.0.1', raw_tcp_instrument, eol=b'\r', resolve_futures=False)
    reply = sl.write_readline(b'*IDN?\n').result()
    assert reply == b"ACME,SCPI,1,2"
    sl.close()
