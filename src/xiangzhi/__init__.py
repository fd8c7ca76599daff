"""乡治 (xiangzhi): a platform for a county's rule-of-law village work."""

__version__ = "0.1.0"
