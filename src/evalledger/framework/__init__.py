"""Framework (seed 004): executions with status and timings, metrics, configuration, state."""
