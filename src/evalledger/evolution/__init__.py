"""Evolution (seed 004): agents with lineage, generations, fitness metrics, state snapshots."""
