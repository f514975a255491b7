"""CloudFormation resources moto accepts but does not create: pipelines and Config rules.

moto finds resource types through the direct subclasses of `CloudFormationModel`, so each
addition subclasses it and maps the template's properties onto the service's own API call.
"""

from __future__ import annotations

import json
from typing import Any

from moto.cloudformation import parsing
from moto.core.common_models import CloudFormationModel


def _camel(value: Any, keep: frozenset[str] = frozenset()) -> Any:
    """Template properties (PascalCase) to the CodePipeline API's member names (camelCase)."""
    if isinstance(value, list):
        return [_camel(v, keep) for v in value]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            name = k[:1].lower() + k[1:]
            out[name] = v if k in keep else _camel(v, keep)
        return out
    return value


class _Named:
    """A resource known by its name, which is also its physical ID (what Ref returns)."""

    def __init__(self, name: str, account_id: str, region: str):
        self.name = name
        self.account_id = account_id
        self.region = region

    @property
    def physical_resource_id(self) -> str:
        return self.name


# moto lists resource types by the direct subclasses of CloudFormationModel, so the shared part
# is a mixin rather than a base class between them.
class Pipeline(_Named, CloudFormationModel):

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CodePipeline::Pipeline"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Version"

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        from moto.codepipeline.models import codepipeline_backends

        return str(codepipeline_backends[self.account_id][self.region].pipelines[self.name].pipeline["version"])

    @classmethod
    def create_from_cloudformation_json(cls, resource_name: str, cloudformation_json: Any, account_id: str,
                                        region_name: str, **kwargs: Any) -> "Pipeline":
        from moto.codepipeline.models import codepipeline_backends

        props = dict(cloudformation_json["Properties"])
        props.setdefault("Name", resource_name)
        tags = [{"key": t["Key"], "value": t["Value"]} for t in props.pop("Tags", [])]
        props.pop("RestartExecutionOnUpdate", None)
        pipeline = _camel(props, keep=frozenset({"Configuration"}))
        for stage in pipeline["stages"]:
            for action in stage["actions"]:
                if "runOrder" in action:
                    action["runOrder"] = int(action["runOrder"])
        codepipeline_backends[account_id][region_name].create_pipeline(pipeline, tags or None)
        return cls(pipeline["name"], account_id, region_name)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource: Any, new_resource_name: str,
                                        cloudformation_json: Any, account_id: str, region_name: str) -> "Pipeline":
        cls.delete_from_cloudformation_json(original_resource.name, cloudformation_json, account_id, region_name)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name: str, cloudformation_json: Any, account_id: str,
                                        region_name: str) -> None:
        from moto.codepipeline.models import codepipeline_backends

        codepipeline_backends[account_id][region_name].delete_pipeline(resource_name)


class ConfigRule(_Named, CloudFormationModel):

    @staticmethod
    def cloudformation_name_type() -> str:
        return "ConfigRuleName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Config::ConfigRule"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("Arn", "ConfigRuleId", "Compliance.Type")

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        from moto.config.models import config_backends

        rule = config_backends[self.account_id][self.region].config_rules[self.name]
        if attribute_name == "Arn":
            return rule.config_rule_arn
        if attribute_name == "ConfigRuleId":
            return rule.config_rule_id
        return "INSUFFICIENT_DATA"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name: str, cloudformation_json: Any, account_id: str,
                                        region_name: str, **kwargs: Any) -> "ConfigRule":
        from moto.config.models import config_backends

        props = dict(cloudformation_json["Properties"])
        props.setdefault("ConfigRuleName", resource_name)
        if isinstance(props.get("InputParameters"), dict):
            props["InputParameters"] = json.dumps(props["InputParameters"])
        config_backends[account_id][region_name].put_config_rule(props)
        return cls(props["ConfigRuleName"], account_id, region_name)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource: Any, new_resource_name: str,
                                        cloudformation_json: Any, account_id: str, region_name: str) -> "ConfigRule":
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name: str, cloudformation_json: Any, account_id: str,
                                        region_name: str) -> None:
        from moto.config.models import config_backends

        config_backends[account_id][region_name].delete_config_rule(resource_name)


def install() -> None:
    parsing.get_model_list.cache_clear()
    parsing.get_model_map.cache_clear()
    parsing.get_name_type_map.cache_clear()
    assert {Pipeline, ConfigRule} <= set(parsing.get_model_list())
