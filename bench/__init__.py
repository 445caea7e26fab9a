"""`make bench`: the system's costs and overheads, measured on moto, each against a floor of the same run.

Every timing is a ratio against a floor measured in the same process and the same minute, so the
figures mean the same on a slow or a busy machine. Counts (requests, capacity units, writes per
item) are exact. See BENCHMARKS.md for the method and the latest figures.
"""
