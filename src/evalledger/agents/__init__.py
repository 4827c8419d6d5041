"""The agent-metrics domain: custody test results and the per-agent metrics they drive."""
