"""Transports that move ops between replicas (a shared file, the HTTP server), and the
engine that runs them behind one service object for the TUI."""
