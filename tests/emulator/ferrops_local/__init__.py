"""ferrops' local AWS: moto server plus the operations moto lacks, grafted onto its backends."""

from . import cloudformation, codepipeline, config, ssm


def install() -> None:
    """Grafts every addition onto moto. Call before the first request."""
    codepipeline.install()
    config.install()
    ssm.install()
    cloudformation.install()
