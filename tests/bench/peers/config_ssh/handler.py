"""incoming-ssh-disabled on rdklib, the AWS Config rule kit."""

from rdklib import ComplianceType, ConfigRule, Evaluation, Evaluator

APPLICABLE_RESOURCES = ["AWS::EC2::SecurityGroup"]
WORLD = ("0.0.0.0/0", "::/0")


def _open_to_world(permission):
    cidrs = [r.get("cidrIp") for r in permission.get("ipv4Ranges", [])]
    cidrs += [r if isinstance(r, str) else r.get("cidrIp") for r in permission.get("ipRanges", [])]
    cidrs += [r.get("cidrIpv6") for r in permission.get("ipv6Ranges", [])]
    return any(c in WORLD for c in cidrs)


def _covers_ssh(permission):
    protocol = str(permission.get("ipProtocol"))
    if protocol == "-1":
        return True
    if protocol not in ("tcp", "6"):
        return False
    return int(permission.get("fromPort", 0)) <= 22 <= int(permission.get("toPort", 65535))


class INCOMING_SSH_DISABLED(ConfigRule):
    def evaluate_change(self, event, client_factory, configuration_item, valid_rule_parameters):
        for permission in configuration_item["configuration"].get("ipPermissions", []):
            if _covers_ssh(permission) and _open_to_world(permission):
                return [Evaluation(ComplianceType.NON_COMPLIANT, annotation="SSH is open to the internet.")]
        return [Evaluation(ComplianceType.COMPLIANT)]

    def evaluate_parameters(self, rule_parameters):
        return rule_parameters


def lambda_handler(event, context):
    my_rule = INCOMING_SSH_DISABLED()
    evaluator = Evaluator(my_rule, APPLICABLE_RESOURCES)
    return evaluator.handle(event, context)
