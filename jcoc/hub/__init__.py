"""The live hub: the city's state, aggregated, pushed over the `/ws` websocket."""
