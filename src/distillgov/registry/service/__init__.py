"""The registry's decisions as a library: each function checks who may act, decides, and logs it.

The API, the CLI and the tests call these functions; none of them is HTTP-specific. Every write
runs inside `Database.write` and records its decisions with `Context.record`, so the decision and
its log entry commit together or not at all.
"""
