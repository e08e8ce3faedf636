"""The durable history store (issue 10): tiered numeric history per (hardware_id, status, key).

- blockcodec.py: *pure*, one block of samples <-> compact bytes;
- tiers.py: *pure*, the tiering core (blocks, per-minute/per-hour rollups, retention, budget,
  level changes, range queries), over a Repository;
- memory_repo.py: *pure*, the in-memory Repository (memory-only mode and the unit tests);
- sqlite_repo.py: the SQLite Repository and its file faults;
- worker.py: the one thread that owns the core and the database.
"""
