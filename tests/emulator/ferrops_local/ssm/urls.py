"""Where moto's server finds SSM's handlers once its backend is grafted: moto's URLs, answered by
our responses."""

from moto.ssm import urls as moto_urls

from .responses import SimpleSystemManagerResponse

url_bases = moto_urls.url_bases
url_paths = {path: SimpleSystemManagerResponse.dispatch for path in moto_urls.url_paths}
