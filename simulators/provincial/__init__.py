"""sim-tysfrz: a stand-alone simulator of the Shandong provincial identity system (PROVINCIAL.md §2)."""

from .app import create_app

__all__ = ["create_app"]
