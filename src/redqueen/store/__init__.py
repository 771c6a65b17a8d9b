"""The run store: runs on disk that never lose a result."""

from redqueen.store.run_store import RunMismatchError, RunStore, config_fingerprint

__all__ = ["RunMismatchError", "RunStore", "config_fingerprint"]
