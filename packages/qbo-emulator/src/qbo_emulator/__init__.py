"""A QuickBooks Online emulator (Intuit OAuth + Accounting API) and Aforo stub services.

Entry points: ``qbo_emulator.app.create_emulator_app``, ``qbo_emulator.server``
(``serve_in_thread``, ``run``) and ``qbo_emulator.control.EmulatorControl``.
"""
