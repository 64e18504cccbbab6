"""cicd-audit: what a consultancy really runs across client AWS accounts and team repositories."""

from audit._version import __version__
from audit.errors import AuditError, CollectionError, ConfigError, SnapshotError

__all__ = ["AuditError", "CollectionError", "ConfigError", "SnapshotError", "__version__"]
