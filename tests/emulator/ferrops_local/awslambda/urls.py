"""Where moto's server finds Lambda's handlers once its backend is grafted: moto's own URLs and
responses, whose Invoke calls the grafted backend."""

from moto.awslambda import urls as moto_urls

url_bases = moto_urls.url_bases
url_paths = moto_urls.url_paths
