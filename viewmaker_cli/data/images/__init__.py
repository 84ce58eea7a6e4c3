"""Image datasets read from their published file formats; importing this package registers them all."""

from viewmaker_cli.data.images import cifar, corners, image_folder, mnist, stl10, svhn

__all__ = ["cifar", "corners", "image_folder", "mnist", "stl10", "svhn"]
