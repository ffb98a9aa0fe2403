#!/usr/bin/env python3
"""Loopback TCP relay that delays every chunk by DELAY_MS in each direction.

    relay.py LISTEN_PORTFILE UPSTREAM_PORT [DELAY_MS]

Listens on a free 127.0.0.1 port (written to LISTEN_PORTFILE once ready),
forwards each connection to 127.0.0.1:UPSTREAM_PORT, and holds every chunk
DELAY_MS (default 50) before passing it on, preserving order: a 100 ms round
trip. For tests/bench/probe.sh only.
"""
import asyncio
import os
import sys


async def pump(reader, writer, delay):
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def sender():
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if data is None:
                break
            writer.write(data)
            await writer.drain()
        try:
            writer.write_eof()
        except (OSError, RuntimeError):
            pass

    task = asyncio.create_task(sender())
    try:
        while True:
            data = await reader.read(65536)
            queue.put_nowait((loop.time() + delay, data or None))
            if not data:
                break
        await task
    except (ConnectionError, OSError):
        task.cancel()


def handler(upstream, delay):
    async def run(creader, cwriter):
        try:
            ureader, uwriter = await asyncio.open_connection("127.0.0.1", upstream)
        except OSError:
            cwriter.close()
            return
        await asyncio.gather(pump(creader, uwriter, delay), pump(ureader, cwriter, delay),
                             return_exceptions=True)
        for w in (cwriter, uwriter):
            try:
                w.close()
            except Exception:
                pass
    return run


async def main():
    portfile, upstream = sys.argv[1], int(sys.argv[2])
    delay = (int(sys.argv[3]) if len(sys.argv) > 3 else 50) / 1000.0
    srv = await asyncio.start_server(handler(upstream, delay), "127.0.0.1", 0, backlog=1024)
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % srv.sockets[0].getsockname()[1])
    os.rename(portfile + ".tmp", portfile)
    await srv.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
