"""Pure statistics shared by the domains (no database, no I/O).

* :mod:`.intervals`: Wilson and mean intervals from SQL aggregates;
* comparing two runs (docs/statistics.md): :mod:`.align` (pairing samples on (sample id,
  epoch)), :mod:`.paired` (McNemar, Wilcoxon), :mod:`.clustered` (clustered standard
  errors, each run's mean), :mod:`.bootstrap` (the seeded cluster bootstrap),
  :mod:`.multiple` (Holm), :mod:`.compare` (``compare``: two runs -> ``Comparison``),
  :mod:`.gate` (``gate``: the CI regression verdict), :mod:`.ranking` (``rank_models``,
  ``bradley_terry``: models on one task).
"""
