"""Lectures in and out: a lecture built from a script, the web original's timelines imported (with their
media) and exported. Sits beside the demo: above the generators and the store, below the UI."""
