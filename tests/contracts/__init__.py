"""Contract tests of the domain's ports: what every implementation, fake or real, must do.

Each ``<Port>Contract`` class states one port's contract (``domain.ports.protocols``) as tests and
asks for the implementation through abstract fixtures; a test module subclasses it once per
implementation (``tests/unit/test_port_contracts.py`` for the fakes and the adapters that need
no I/O). A new adapter is done when a subclass of its port's contract passes.
"""
