"""A QuickBooks Online emulator (Intuit OAuth + Accounting API) and Aforo stub services.

Entry points: ``qbsync.emulator.app.create_emulator_app``, ``qbsync.emulator.server``
(``serve_in_thread``, ``run``) and ``qbsync.emulator.control.EmulatorControl``.
"""
