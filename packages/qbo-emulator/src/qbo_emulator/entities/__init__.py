"""The QBO entities the emulator serves, one module per entity (plus shared lines and ledger)."""
