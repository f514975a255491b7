"""Where moto's server finds CodePipeline's handlers once its backend is grafted: moto's URLs,
answered by our responses."""

from moto.codepipeline import urls as moto_urls

from .responses import CodePipelineResponse

url_bases = moto_urls.url_bases
url_paths = {path: CodePipelineResponse.dispatch for path in moto_urls.url_paths}
