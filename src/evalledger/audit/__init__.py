"""The audit log: one row per mutation, written in the mutation's own transaction."""
