"""The simulated Kota Jambi behind `jcoc demo` / `make run`.

`jambi` holds the seed data (agencies, services, KPIs, cameras), `seed` writes it,
`agencies` and `cameras` simulate the city through the real HTTP API, `runner` ties them to
the server and `cli` is the command.
"""
