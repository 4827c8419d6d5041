"""Evaluation runs: what harnesses (Inspect AI, lm-evaluation-harness, promptfoo, OpenAI evals)
and SDK callers ran, with their samples, per-scorer scores and reported metrics."""
