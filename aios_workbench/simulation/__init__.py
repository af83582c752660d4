"""Scenario simulation: Monte-Carlo draws over governed history (what decision apps ask "what if" with).

`montecarlo.py` holds the vectorised bootstrap; `wb.simulate` (kernel/simulate.py) reads the history through
the governed query path first, so a simulation sees exactly the rows and values its caller may read."""

from aios_workbench.simulation.montecarlo import Simulation, bootstrap

__all__ = ["Simulation", "bootstrap"]
