"""Seat allocation: who gets which scarce session seat (``seats``: the problem from the
data and the policy; ``solver``: the optimisation)."""
