from chatserver.app import create_app


async def test_healthz_answers_ok(aiohttp_client, settings):
    client = await aiohttp_client(create_app(settings))
    resp = await client.get("/healthz")
    assert resp.status == 200
    assert await resp.json() == {"status": "ok"}
