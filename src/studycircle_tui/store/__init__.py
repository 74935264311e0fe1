"""The local replica on disk: SQLite in the user data directory."""
