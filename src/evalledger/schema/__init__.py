"""The shared schema core: the request-model base and the storable-value rules.

Every domain's schemas, the operation declarations and the database layer use these, so they
live below all of them (no FastAPI, no SQLAlchemy, no domain): a domain imports
``evalledger.schema``, never ``evalledger.api``.
"""
