"""The local AWS's own API, under `/_ferrops/`, beside moto's `/moto-api/`: what a test or the
demo needs that AWS has no call for (registering an instance, invoking a Config rule, reading
what happened)."""
