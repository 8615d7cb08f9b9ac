"""The staging API for SMART apps and interoperability test harnesses (``hooks.api.routes``)."""

from hooks.api.routes import install

__all__ = ["install"]
