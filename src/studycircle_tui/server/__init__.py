"""The self-hostable server: the HTTP API over the same core every client folds with, and
its own storage (SQLite by default, or PostgreSQL for several processes: see storage).
Imports nothing from the store, sync or tui layers."""
