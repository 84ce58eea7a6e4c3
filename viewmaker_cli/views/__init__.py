"""Learned views: the viewmaker network and its l1-budget projection."""

from viewmaker_cli.views.viewmaker import Viewmaker, project_to_budget

__all__ = ["Viewmaker", "project_to_budget"]
