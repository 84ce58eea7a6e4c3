"""vmk: viewmaker networks (Tamkin, Wu, Goodman, ICLR 2021) — learned views for contrastive pretraining."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("vmk")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["Viewmaker", "__version__"]


def __getattr__(name: str):
    # Lazy, so `vmk --help` does not pay for importing torch.
    if name == "Viewmaker":
        from viewmaker_cli.views.viewmaker import Viewmaker

        return Viewmaker
    raise AttributeError(f"module 'viewmaker_cli' has no attribute {name!r}")
