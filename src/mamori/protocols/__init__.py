"""Pure wire-protocol code, one module per spec."""
