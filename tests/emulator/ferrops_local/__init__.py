"""ferrops' local AWS: moto's server, plus what moto lacks, laid out as moto's own services.

- core/: what the additions share: settings, the lock, the install helper (`graft`), the error
  base class, validation against botocore's model, time and paging, invoking a function as a
  service does.
- awslambda/: Lambda's Invoke running each deployed function's own zip under a Runtime API,
  as its execution role, with Lambda's asynchronous retries and its logs in CloudWatch Logs.
- codepipeline/, config/, events/, ssm/: one package per service, each as moto's: models.py (the
  service's backend, subclassing moto's, with all the state the addition keeps, and its
  CloudFormation resource types), responses.py (the operations it answers), urls.py (where
  moto's server finds them), exceptions.py (one class per error code), and workers.py for the
  work that runs in the background (pipeline executions, the SSM agent, event delivery).
- control/: the `/_ferrops/` API for tests and the demo, and the request log.
- server.py: the command line and the WSGI app (`python -m ferrops_local`).
"""

from moto.awslambda.models import lambda_backends
from moto.codepipeline.models import codepipeline_backends
from moto.config.models import config_backends
from moto.events.models import events_backends
from moto.ssm.models import ssm_backends

from .awslambda.models import LambdaBackend
from .codepipeline.models import CodePipelineBackend
from .config.models import ConfigBackend
from .core.install import graft
from .events.models import EventsBackend
from .ssm.models import SimpleSystemManagerBackend


def install() -> None:
    """Grafts every addition onto moto. Call before the first request."""
    graft(lambda_backends, LambdaBackend)
    graft(codepipeline_backends, CodePipelineBackend)
    graft(config_backends, ConfigBackend)
    graft(events_backends, EventsBackend)
    graft(ssm_backends, SimpleSystemManagerBackend)
