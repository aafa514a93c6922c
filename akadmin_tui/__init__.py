"""akadmin: a keyboard-driven terminal console for the Akuiteo Administration console."""

__version__ = "0.1.0"
