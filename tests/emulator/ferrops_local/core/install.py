"""The one way an addition enters moto: its service's backend class, replaced by a subclass.

moto builds each account's and region's backend from the class its `BackendDict` holds, finds the
service's URL handlers in the `urls` module beside that class's module, and lists CloudFormation
resource types by the subclasses of `CloudFormationModel` it can see. So a service package laid
out as moto's own (models.py with the backend and resource models, responses.py, urls.py) is
installed by handing its backend class to `graft`: requests reach its responses, CloudFormation
finds its resource types, and moto's reset (`POST /moto-api/reset`) re-runs its `__init__`, which
clears the state it keeps.
"""

from __future__ import annotations

from moto.cloudformation import parsing
from moto.core.base_backend import BackendDict, BaseBackend, backend_lock


def graft(backends: BackendDict, backend: type[BaseBackend]) -> None:
    """Makes moto build `backend`, a subclass of the service's own backend, in every account and region."""
    if not issubclass(backend, backends.backend):
        raise TypeError(f"{backend.__name__} must subclass {backends.backend.__name__}")
    with backend_lock:
        backends.backend = backend
        # Grafting happens before the first request; a backend built earlier is moto's own class.
        backends.clear()
    # moto caches the resource types it found; the grafted module may have added some.
    parsing.get_model_list.cache_clear()
    parsing.get_model_map.cache_clear()
    parsing.get_name_type_map.cache_clear()
