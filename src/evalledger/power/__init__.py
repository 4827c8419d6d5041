"""Power: influence, coalitions and power transfers over a network of weighted relations."""
