"""The pure core: op schema, clock and ids, the reducer and the state it builds.

Nothing in here does I/O or imports the layers above it (store, sync, server, tui);
``tests/test_core_purity.py`` holds that line.
"""
