"""The demo fleet: a synthetic consultancy on an in-process moto server (see docs/fleet.md)."""
