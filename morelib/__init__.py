"""morelib: reward models on diversified preference data, MORE re-weighting and calibration.

Reproduces Zeng et al., "On Diversified Preferences of Large Language Model Alignment"
(arXiv 2312.07401). Submodules are imported lazily so that ``import morelib`` stays cheap.
"""

__version__ = "0.1.0"
