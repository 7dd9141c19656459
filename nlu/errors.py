"""Errors of the NLU package.

NLUError
 ├── ModelNotFound       no model at the given place, or no CURRENT version
 ├── BadModelFile        unreadable, tampered with, or holds untrusted types
 ├── IncompatibleModel   built with other library versions or another format
 └── DataError           training or evaluation data is missing or malformed
"""

from __future__ import annotations

__all__ = ["BadModelFile", "DataError", "IncompatibleModel", "ModelNotFound", "NLUError"]


class NLUError(Exception):
    """Root of the NLU package's own errors."""


class ModelNotFound(NLUError):
    """No model is installed where one was looked for; train one with `chatbot train`."""


class BadModelFile(NLUError):
    """A model file cannot be loaded safely: corrupt, tampered with, or untrusted types."""


class IncompatibleModel(NLUError):
    """A model was built by another version of scikit-learn/skops or another model format."""


class DataError(NLUError):
    """Training or evaluation data is missing or malformed; the message says where."""
