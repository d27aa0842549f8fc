import asyncio

import pytest

from jcoc.bus import Bus, RedisBus, create_bus


async def test_memory_bus_delivers_to_subscribers_of_the_channel() -> None:
    bus = Bus()
    async with bus.subscribe("status") as status_sub, bus.subscribe("kpi") as kpi_sub:
        await bus.publish("status", {"service": "atcs", "status": "down"})
        event = await asyncio.wait_for(status_sub.get(), 1)
        assert event.message == {"service": "atcs", "status": "down"}
        assert kpi_sub.queue.empty()


async def test_slow_subscriber_queue_is_bounded_and_drops_are_counted() -> None:
    bus = Bus()
    async with bus.subscribe("status", maxsize=3) as sub:
        for i in range(10):
            await bus.publish("status", {"n": i})
        assert sub.queue.qsize() == 3
        assert sub.dropped == 7
        assert bus.stats.dropped == 7
        # The newest survive: the live state wants the latest, not the oldest.
        assert [(await sub.get()).message["n"] for _ in range(3)] == [7, 8, 9]


@pytest.mark.redis
async def test_redis_bus_crosses_processes(redis_server) -> None:
    a, b = create_bus(redis_server.url), create_bus(redis_server.url)
    assert isinstance(a, RedisBus)
    await a.start()
    await b.start()
    try:
        async with b.subscribe("incident") as sub:
            for _ in range(100):
                if b.connected:
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.1)
            await a.publish("incident", {"id": 7, "status": "open"})
            event = await asyncio.wait_for(sub.get(), 5)
        assert event.channel == "incident"
        assert event.message == {"id": 7, "status": "open"}
    finally:
        await a.stop()
        await b.stop()


@pytest.mark.redis
async def test_redis_bus_reconnects_after_redis_restarts() -> None:
    from tests import services

    with services.redis() as server:
        bus = RedisBus(server.url)
        await bus.start()  # returns once connected (or after its first attempt failed)
        try:
            assert bus.connected and bus.connections == 1
            await asyncio.to_thread(services.stop_redis, server)
            await _until(lambda: not bus.connected)
            errors = bus.stats.errors
            await asyncio.wait_for(bus.publish("status", {"n": 1}), 1)  # fails fast, counted
            assert bus.stats.errors > errors
            await asyncio.to_thread(services.start_redis, server)
            await _until(lambda: bus.connected)
            assert bus.connections == 2
            async with bus.subscribe("status") as sub:
                await bus.publish("status", {"n": 2})
                event = await asyncio.wait_for(sub.get(), 5)
            assert event.message == {"n": 2}
        finally:
            await bus.stop()


async def _until(condition, timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached"
        await asyncio.sleep(0.05)


async def test_memory_bus_publish_many_delivers_in_order_to_that_channel_only() -> None:
    bus = Bus()
    async with bus.subscribe("status") as status_sub, bus.subscribe("kpi") as kpi_sub:
        await bus.publish_many("status", [{"n": i} for i in range(5)])
        assert [(await status_sub.get()).message["n"] for _ in range(5)] == [0, 1, 2, 3, 4]
        assert kpi_sub.queue.empty()
    assert bus.stats.published == 5


@pytest.mark.redis
async def test_redis_bus_publish_many_crosses_processes_in_order(redis_server) -> None:
    a, b = RedisBus(redis_server.url), RedisBus(redis_server.url)
    await a.start()
    await b.start()
    try:
        async with b.subscribe("status") as sub:
            await _until(lambda: a.connected and b.connected)
            await a.publish_many("status", [{"service": "atcs", "n": i} for i in range(50)])
            got = [(await asyncio.wait_for(sub.get(), 5)).message for _ in range(50)]
        assert got == [{"service": "atcs", "n": i} for i in range(50)]
        assert a.stats.published == 50 and a.stats.errors == 0
    finally:
        await a.stop()
        await b.stop()
