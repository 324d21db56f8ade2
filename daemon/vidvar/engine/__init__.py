"""The engine: the supervisor and its side tasks, the worker pool, one job run, one
file run (probe, plan, audition, render, measure, publish), the render driver, and the
sinks that tell of what happened."""
