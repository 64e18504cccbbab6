"""cicd-audit: what a consultancy really runs across client AWS accounts and team repositories."""

from audit._version import __version__
from audit.errors import AuditError, CollectionError, ConfigError, NotBuiltError

__all__ = sorted(["AuditError", "CollectionError", "ConfigError", "NotBuiltError", "__version__"])
