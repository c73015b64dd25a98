"""The governed model: what a model file holds, and how every adapter scores with it."""
