"""The registry's transparency log: RFC 6962 Merkle tree, C2SP tlog-tiles, checkpoints and signed notes.

Storage-agnostic on purpose: the service keeps entries and stored hashes in its database and calls
`merkle` and `tiles` with a `read_hashes` function; `verify` reads any tlog-tiles log (a folder, a
URL, or a `MemoryLog`) and trusts only the log's public key.
"""
