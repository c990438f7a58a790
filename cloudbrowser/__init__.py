"""cloudbrowser: a desktop file manager for S3 and S3-compatible object storage."""

__version__ = "0.1.0"
