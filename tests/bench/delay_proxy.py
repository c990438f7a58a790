"""A TCP proxy on 127.0.0.1 that holds every chunk for half a round trip, each way: a
server on this machine, answering as one across a network does (the ``latency`` suite).

    python tests/bench/delay_proxy.py TARGET_PORT RTT_MS

prints the port it listens on, then forwards each connection to ``TARGET_PORT``. A chunk
read at time t is written at t + RTT/2 (in order, never earlier): a request reaches the
server half a round trip after it was sent, and its reply the client a round trip after;
bytes that follow each other still stream at the machine's speed. Connecting costs no
round trip here (a real one costs one, and TLS more): every tool keeps its connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time


async def _forward(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float
) -> None:
    held: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def release() -> None:
        while True:
            due, data = await held.get()
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                writer.close()
                return
            writer.write(data)
            await writer.drain()

    releasing = asyncio.create_task(release())
    try:
        while data := await reader.read(65536):
            held.put_nowait((time.monotonic() + delay, data))
    except ConnectionError:
        pass
    held.put_nowait((time.monotonic() + delay, b""))
    with contextlib.suppress(ConnectionError):
        await releasing


async def _serve(target_port: int, rtt_ms: float) -> None:
    half = rtt_ms / 2000

    async def connected(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            server_r, server_w = await asyncio.open_connection("127.0.0.1", target_port)
        except OSError:
            client_w.close()
            return
        await asyncio.gather(
            _forward(client_r, server_w, half), _forward(server_r, client_w, half),
            return_exceptions=True,
        )  # fmt: skip

    server = await asyncio.start_server(connected, "127.0.0.1", 0, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(_serve(int(sys.argv[1]), float(sys.argv[2])))
