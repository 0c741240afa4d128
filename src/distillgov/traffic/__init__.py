"""API traffic: the canonical exchange schema, readers into the normalized store, and the simulator."""
