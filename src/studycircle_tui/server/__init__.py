"""The self-hostable server: the HTTP API over the same core every client folds with,
and SQLite storage of its own. Imports nothing from the store, sync or tui layers."""
