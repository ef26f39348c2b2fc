"""PerLoop: one async client per event loop, closed on that loop."""

from __future__ import annotations

import asyncio

from extractor.backends._loop import PerLoop


class Client:
    def __init__(self, log: list[str]) -> None:
        self.log, self.loop = log, asyncio.get_running_loop()
        log.append("made")

    async def close(self) -> None:
        assert asyncio.get_running_loop() is self.loop  # closed where it was made
        self.log.append("closed")


def per_loop(log: list[str]) -> PerLoop[Client]:
    async def close(client: Client) -> None:
        await client.close()

    return PerLoop(lambda: Client(log), close)


def test_one_resource_per_loop_reused_within_it():
    log: list[str] = []
    clients = per_loop(log)

    async def twice() -> tuple[Client, Client]:
        return clients.get(), clients.get()

    first, again = asyncio.run(twice())
    assert first is again
    (other, _) = asyncio.run(twice())
    assert other is not first
    assert log == ["made", "closed", "made", "closed"]


def test_aclose_closes_once_and_a_later_get_makes_a_new_one():
    log: list[str] = []
    clients = per_loop(log)

    async def use() -> None:
        first = clients.get()
        await clients.aclose()
        await clients.aclose()  # nothing left: no second close
        assert clients.get() is not first
        await clients.aclose()

    asyncio.run(use())
    assert log == ["made", "closed", "made", "closed"]


def test_aclose_from_another_loop_leaves_the_resource_alone():
    log: list[str] = []
    clients = per_loop(log)
    loop = asyncio.new_event_loop()
    try:
        async def get() -> None:
            clients.get()

        loop.run_until_complete(get())
        asyncio.run(clients.aclose())  # a different loop: not its resource
        assert log == ["made"]
        loop.run_until_complete(clients.aclose())
        assert log == ["made", "closed"]
    finally:
        loop.close()


def test_aclose_with_nothing_made_is_a_no_op():
    asyncio.run(per_loop([]).aclose())


def test_two_live_loops_keep_one_each_and_close_their_own():
    """extract_many's loop in a helper thread beside the caller's own loop."""
    import threading

    log: list[str] = []
    clients = per_loop(log)
    inside = threading.Event()
    release = threading.Event()
    seen: dict[str, Client] = {}

    async def hold(name: str) -> None:
        seen[name] = clients.get()
        inside.set()
        while not release.is_set():
            await asyncio.sleep(0.01)
        assert clients.get() is seen[name]  # the other loop did not replace it

    helper = threading.Thread(target=asyncio.run, args=(hold("helper"),))
    helper.start()
    inside.wait(5)

    async def main() -> None:
        seen["main"] = clients.get()
        release.set()
        await asyncio.to_thread(helper.join, 5)
        assert clients.get() is seen["main"]

    asyncio.run(main())
    assert seen["main"] is not seen["helper"]
    assert log.count("made") == 2 and log.count("closed") == 2
