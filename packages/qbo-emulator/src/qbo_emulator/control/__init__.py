"""The ``/_emulator`` control API (``router``) and its typed client (``EmulatorControl``)."""

from qbo_emulator.control.client import EmulatorControl

__all__ = ["EmulatorControl"]
