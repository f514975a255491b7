"""The configuration items AWS Config records, built from moto's resources."""

from __future__ import annotations

from moto.ec2.models import ec2_backends

from ..core.utils import iso, now
from .exceptions import ResourceNotDiscoveredException


def security_group_item(account: str, region: str, group_id: str) -> dict:
    """The configuration item AWS Config records for a moto EC2 security group."""
    ec2 = ec2_backends[account][region]
    groups = ec2.describe_security_groups(group_ids=[group_id])
    if not groups:
        raise ResourceNotDiscoveredException(f"Resource {group_id} is not discovered")
    g = groups[0]

    def perms(rules: list) -> list[dict]:
        # moto keeps one rule per range; Config groups ranges by protocol and ports, as EC2 does.
        grouped: dict[tuple, dict] = {}
        for r in rules:
            proto = str(r.ip_protocol or "-1")
            key = (proto, r.from_port, r.to_port)
            p = grouped.get(key)
            if p is None:
                p = {"ipProtocol": proto, "ipv6Ranges": [], "prefixListIds": [], "userIdGroupPairs": [],
                     "ipv4Ranges": [], "ipRanges": []}
                if proto != "-1" and r.from_port is not None:
                    p["fromPort"], p["toPort"] = int(r.from_port), int(r.to_port)
                grouped[key] = p
            if r.ip_range.get("CidrIp"):
                p["ipv4Ranges"].append({"cidrIp": r.ip_range["CidrIp"]})
                p["ipRanges"].append(r.ip_range["CidrIp"])
            if r.ip_range.get("CidrIpv6"):
                p["ipv6Ranges"].append({"cidrIpv6": r.ip_range["CidrIpv6"]})
            if r.source_group:
                p["userIdGroupPairs"].append({"groupId": r.source_group.get("GroupId")})
        return list(grouped.values())

    tags = {t["key"]: t["value"] for t in ec2.describe_tags(filters={"resource-id": [g.id]})}
    captured = now()
    return {
        "relatedEvents": [],
        "relationships": [],
        "configuration": {
            "description": g.description,
            "groupName": g.name,
            "ipPermissions": perms(g.ingress_rules),
            "ownerId": account,
            "groupId": g.id,
            "ipPermissionsEgress": perms(g.egress_rules),
            "tags": [{"key": k, "value": v} for k, v in tags.items()],
            "vpcId": g.vpc_id,
        },
        "supplementaryConfiguration": {},
        "tags": tags,
        "configurationItemVersion": "1.3",
        "configurationItemCaptureTime": iso(captured),
        "configurationStateId": int(captured * 1000),
        "awsAccountId": account,
        "configurationItemStatus": "OK",
        "resourceType": "AWS::EC2::SecurityGroup",
        "resourceId": g.id,
        "resourceName": g.name,
        "ARN": f"arn:aws:ec2:{region}:{account}:security-group/{g.id}",
        "awsRegion": region,
        "availabilityZone": "Not Applicable",
        "configurationStateMd5Hash": "",
    }


BUILDERS = {"AWS::EC2::SecurityGroup": security_group_item}
