from steward.api.router import api

__all__ = ["api"]
