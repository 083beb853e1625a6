"""Natural-language processing for resident messages: pure functions, no I/O.

``normalize_text`` -> ``segment`` -> ``Classifier.classify``; see classifier.py
for the scoring formula and urgency.py for the emergency guards.
"""

from .classifier import MAX_ANALYSED_CHARS, Classification, Classifier, TypeSpec
from .normalize import normalize_text
from .segmentation import segment
from .urgency import UrgencyDetector

__all__ = [
    "MAX_ANALYSED_CHARS",
    "Classification",
    "Classifier",
    "TypeSpec",
    "UrgencyDetector",
    "normalize_text",
    "segment",
]
