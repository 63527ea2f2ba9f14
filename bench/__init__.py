"""Benchmarks (run by hand; numbers go into README.md with the command that measured them)."""
