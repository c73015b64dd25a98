"""The auditor console: server-rendered pages under ``/console``."""
