"""The app served to people who have only an SSH client or a browser."""
