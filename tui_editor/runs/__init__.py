"""Run engines and the event subscription (UI-free)."""
