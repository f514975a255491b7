"""Where moto's server finds AWS Config's handlers once its backend is grafted: moto's URLs,
answered by our responses."""

from moto.config import urls as moto_urls

from .responses import ConfigResponse

url_bases = moto_urls.url_bases
url_paths = {path: ConfigResponse.dispatch for path in moto_urls.url_paths}
