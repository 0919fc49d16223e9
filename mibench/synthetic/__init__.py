"""Closed-form ground truth: samplers, MI-preserving transforms and the task catalogue."""

from mibench.synthetic.gaussian import gaussian_pairs
from mibench.synthetic.registry import catalogue, families, get_task, list_tasks

__all__ = ["catalogue", "families", "gaussian_pairs", "get_task", "list_tasks"]
