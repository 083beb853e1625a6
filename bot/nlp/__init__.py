"""Natural-language processing for resident messages: pure functions, no I/O.

``normalize_text`` -> ``segment`` -> ``Classifier.classify``: keyword evidence
(keywords.py) and the learned model (model.py, trained by training.py on the
corpus in corpus/) decide; urgency.py holds the emergency rules. See
docs/classifier.md.
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
