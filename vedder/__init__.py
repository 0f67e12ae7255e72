"""Vedder: trustworthy answers from your warehouse in plain English.

The public API that the CLI and the MCP server call lives here; it is imported
lazily so that ``import vedder`` stays cheap.
"""

from __future__ import annotations

__version__ = "0.1.0"
