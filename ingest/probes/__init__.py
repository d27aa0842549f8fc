"""Active probes: HTTP(S) and TCP checks of services that cannot push (like Uptime Kuma)."""
