"""Media generators: local offline ones and HTTP providers (UI-free)."""
