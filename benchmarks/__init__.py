"""Benchmarks: commands that print tables (speed targets live here, never in timed tests).

Run ``python -m benchmarks`` for the list, ``python -m benchmarks NAME [args]`` to run one.
"""
