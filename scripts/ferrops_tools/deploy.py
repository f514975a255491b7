"""scripts/deploy's parameters for one template: the stage file's, with `Stage` and the --param
overrides, kept to those the template declares, so one stage file serves every template.

Usage: python -m ferrops_tools.deploy TEMPLATE STAGE_FILE STAGE [KEY=VALUE ...]
Prints one KEY=VALUE line per parameter.
"""

from __future__ import annotations

import json
import sys

import yaml


class TemplateLoader(yaml.SafeLoader):
    """YAML as CloudFormation writes it: the short-form functions (!Ref, !Sub, !GetAtt ...) read
    as the plain values they tag, which is all a look at the template's sections needs."""


def _untagged(loader: yaml.SafeLoader, _suffix: str, node: yaml.Node):
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)


TemplateLoader.add_multi_constructor("!", _untagged)


def declared(template: str) -> set[str]:
    """The names of the parameters `template` declares."""
    try:
        with open(template) as f:
            body = yaml.load(f, Loader=TemplateLoader)
    except (OSError, yaml.YAMLError) as e:
        sys.exit(f"{template}: {e}")
    if not isinstance(body, dict):
        sys.exit(f"{template}: not a CloudFormation template (no top-level mapping)")
    return set(body.get("Parameters") or {})


def parameters(template: str, stage_file: str, stage: str, overrides: list[str]) -> dict[str, str]:
    try:
        with open(stage_file) as f:
            params = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"{stage_file}: {e}")
    if not isinstance(params, dict):
        sys.exit(f"{stage_file}: must be a JSON object of parameter names to values")
    params["Stage"] = stage
    for o in overrides:
        k, sep, v = o.partition("=")
        if not sep:
            sys.exit(f"--param {o}: expected KEY=VALUE")
        params[k] = v
    wanted = declared(template)
    return {k: v for k, v in params.items() if k in wanted}


def main() -> None:
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    template, stage_file, stage, *overrides = sys.argv[1:]
    for k, v in parameters(template, stage_file, stage, overrides).items():
        print(f"{k}={v}")


if __name__ == "__main__":
    main()
