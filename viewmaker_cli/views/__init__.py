"""Views: the learned viewmaker, and the baselines it is compared with."""

from viewmaker_cli.views.noise import NoiseViews
from viewmaker_cli.views.viewmaker import Viewmaker, project_to_budget, rescale_to_budget

__all__ = ["NoiseViews", "Viewmaker", "project_to_budget", "rescale_to_budget"]
