"""Where moto's server finds EventBridge's handlers once its backend is grafted: moto's own."""

from moto.events.urls import url_bases, url_paths

__all__ = ["url_bases", "url_paths"]
