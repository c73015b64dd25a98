"""The command registry: every governance command declared once, served by HTTP and the CLI."""
