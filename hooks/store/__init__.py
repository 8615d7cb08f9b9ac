"""Stores: feedback and the JWT replay store."""
