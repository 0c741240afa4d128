"""distillgov: governance of AI model distillation.

Detects distillation campaigns in an AI provider's API traffic, produces model-level evidence,
reasons about the conduct under current US law and a proposed regime, and runs that regime's
registry. See ARCHITECTURE.md for how the parts fit.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("distillgov")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
