"""The registry's HTTP API (FastAPI): thin routes over `distillgov.registry.service`."""
