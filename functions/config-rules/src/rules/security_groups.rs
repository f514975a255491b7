//! `incoming-ssh-disabled` and `restricted-common-ports`: security groups must not open the given
//! TCP ports to the whole IPv4 or IPv6 internet.

use super::{Context, Needs, ParamSpec, Params, Rule, TriggerKind, Verdict, port_number};
use crate::item::ConfigurationItem;
use serde_json::Value;

const SG: &[&str] = &["AWS::EC2::SecurityGroup"];
const WORLD: &[&str] = &["0.0.0.0/0", "::/0"];

/// Every world-open CIDR of one ingress permission (IPv4, IPv6 and the legacy `ipRanges`).
fn open_cidrs(perm: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut push = |v: Option<&str>| {
        if let Some(c) = v.filter(|c| WORLD.contains(c)) {
            out.push(c.to_string());
        }
    };
    for r in perm
        .get("ipv4Ranges")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        push(r.get("cidrIp").and_then(Value::as_str));
    }
    for r in perm
        .get("ipRanges")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        push(
            r.as_str()
                .or_else(|| r.get("cidrIp").and_then(Value::as_str)),
        );
    }
    for r in perm
        .get("ipv6Ranges")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        push(r.get("cidrIpv6").and_then(Value::as_str));
    }
    out.sort();
    out.dedup();
    out
}

fn as_i64(v: Option<&Value>) -> Option<i64> {
    v.and_then(|v| {
        v.as_i64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
    })
}

/// Whether the permission lets TCP traffic reach `port`. Protocol `-1` means every protocol and
/// port; a TCP permission without ports covers them all.
fn covers_tcp_port(perm: &Value, port: u16) -> bool {
    let protocol = match perm.get("ipProtocol") {
        Some(Value::String(s)) => s.to_ascii_lowercase(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return false,
    };
    match protocol.as_str() {
        "-1" | "all" => true,
        "tcp" | "6" => {
            let from = as_i64(perm.get("fromPort")).unwrap_or(0);
            let to = as_i64(perm.get("toPort")).unwrap_or(65535);
            // -1 in a TCP rule's port fields also means "all ports".
            (from == -1 && to == -1) || (from..=to).contains(&i64::from(port))
        }
        _ => false,
    }
}

fn describe(perm: &Value) -> String {
    let protocol = perm
        .get("ipProtocol")
        .map(|p| {
            p.as_str()
                .map(str::to_string)
                .unwrap_or_else(|| p.to_string())
        })
        .unwrap_or_default();
    if protocol == "-1" {
        return "all traffic".to_string();
    }
    match (as_i64(perm.get("fromPort")), as_i64(perm.get("toPort"))) {
        (Some(f), Some(t)) if f == t => format!("{protocol} {f}"),
        (Some(f), Some(t)) => format!("{protocol} {f}-{t}"),
        _ => format!("{protocol} all ports"),
    }
}

/// Checks a security group against `ports`.
fn check_ports(item: &ConfigurationItem, ports: &[u16]) -> Verdict {
    let perms = item
        .configuration
        .get("ipPermissions")
        .and_then(Value::as_array);
    let mut findings = Vec::new();
    for perm in perms.into_iter().flatten() {
        let cidrs = open_cidrs(perm);
        if cidrs.is_empty() {
            continue;
        }
        let hit: Vec<String> = ports
            .iter()
            .filter(|p| covers_tcp_port(perm, **p))
            .map(u16::to_string)
            .collect();
        if !hit.is_empty() {
            findings.push(format!(
                "port {} open to {} (ingress {})",
                hit.join(", "),
                cidrs.join(" and "),
                describe(perm)
            ));
        }
    }
    let list = ports
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    if findings.is_empty() {
        Verdict::compliant(format!("No ingress rule opens TCP {list} to the internet."))
    } else {
        Verdict::non_compliant(format!("{}: {}", item.resource_id, findings.join("; ")))
    }
}

/// Mirrors the managed rule INCOMING_SSH_DISABLED.
pub(crate) static INCOMING_SSH_DISABLED: Rule = Rule {
    name: "incoming-ssh-disabled",
    description: "Security groups do not allow SSH (TCP 22 by default) from 0.0.0.0/0 or ::/0.",
    resource_types: SG,
    parameters: SSH_PARAMS,
    iam_actions: &[],
    trigger: TriggerKind::Change,
    needs: Needs::NOTHING,
    check: check_ssh,
};

static SSH_PARAMS: &[ParamSpec] = &[ParamSpec {
    name: "sshPort",
    default: Some("22"),
    required: false,
    description: "the TCP port SSH listens on",
    check: port_number,
}];

fn check_ssh(item: &ConfigurationItem, params: &Params, _: &Context) -> Verdict {
    let port = params
        .get("sshPort")
        .and_then(|p| p.parse().ok())
        .unwrap_or(22);
    check_ports(item, &[port])
}

/// Mirrors the managed rule RESTRICTED_INCOMING_TRAFFIC.
pub(crate) static RESTRICTED_COMMON_PORTS: Rule = Rule {
    name: "restricted-common-ports",
    description: "Security groups do not open the blocked TCP ports (20, 21, 3389, 3306, 4333 by default) to 0.0.0.0/0 or ::/0.",
    resource_types: SG,
    parameters: &COMMON_PORTS_PARAMS,
    iam_actions: &[],
    trigger: TriggerKind::Change,
    needs: Needs::NOTHING,
    check: check_common_ports,
};

const fn blocked(name: &'static str, default: &'static str) -> ParamSpec {
    ParamSpec {
        name,
        default: Some(default),
        required: false,
        description: "a TCP port that must not be open to the internet",
        check: port_number,
    }
}

static COMMON_PORTS_PARAMS: [ParamSpec; 5] = [
    blocked("blockedPort1", "20"),
    blocked("blockedPort2", "21"),
    blocked("blockedPort3", "3389"),
    blocked("blockedPort4", "3306"),
    blocked("blockedPort5", "4333"),
];

fn check_common_ports(item: &ConfigurationItem, params: &Params, _: &Context) -> Verdict {
    let mut ports: Vec<u16> = COMMON_PORTS_PARAMS
        .iter()
        .filter_map(|p| params.get(p.name).and_then(|v| v.trim().parse().ok()))
        .collect();
    ports.sort_unstable();
    ports.dedup();
    check_ports(item, &ports)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Compliance;
    use crate::rules::testkit::{item, params};
    use serde_json::json;

    fn sg(perms: Value) -> ConfigurationItem {
        item(
            "AWS::EC2::SecurityGroup",
            "sg-0abc",
            json!({"groupId": "sg-0abc", "ipPermissions": perms}),
        )
    }

    fn ssh(perms: Value) -> Verdict {
        let r = &INCOMING_SSH_DISABLED;
        r.evaluate(&sg(perms), &params(r, &[]), &Context::default())
    }

    #[test]
    fn ssh_open_to_ipv4_world_is_non_compliant() {
        let v = ssh(
            json!([{"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "ipv4Ranges": [{"cidrIp": "0.0.0.0/0"}]}]),
        );
        assert_eq!(v.compliance, Compliance::NonCompliant);
        assert!(
            v.annotation.contains("port 22 open to 0.0.0.0/0"),
            "{}",
            v.annotation
        );
    }

    #[test]
    fn ssh_open_to_ipv6_world_is_non_compliant() {
        let v = ssh(
            json!([{"ipProtocol": "tcp", "fromPort": 0, "toPort": 1024, "ipv6Ranges": [{"cidrIpv6": "::/0"}]}]),
        );
        assert_eq!(v.compliance, Compliance::NonCompliant);
        assert!(v.annotation.contains("::/0"));
    }

    #[test]
    fn legacy_ip_ranges_and_all_traffic_count() {
        let v = ssh(json!([{"ipProtocol": "-1", "ipRanges": ["0.0.0.0/0"]}]));
        assert_eq!(v.compliance, Compliance::NonCompliant);
        assert!(v.annotation.contains("all traffic"));
    }

    #[test]
    fn ssh_from_a_private_range_or_other_ports_is_compliant() {
        let v = ssh(json!([
            {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "ipv4Ranges": [{"cidrIp": "10.0.0.0/8"}]},
            {"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "ipv4Ranges": [{"cidrIp": "0.0.0.0/0"}]},
            {"ipProtocol": "udp", "fromPort": 22, "toPort": 22, "ipv4Ranges": [{"cidrIp": "0.0.0.0/0"}]}
        ]));
        assert_eq!(v.compliance, Compliance::Compliant, "{}", v.annotation);
    }

    #[test]
    fn no_permissions_at_all_is_compliant() {
        assert_eq!(ssh(json!([])).compliance, Compliance::Compliant);
        let r = &INCOMING_SSH_DISABLED;
        let empty = item("AWS::EC2::SecurityGroup", "sg-1", json!({}));
        assert_eq!(
            r.evaluate(&empty, &params(r, &[]), &Context::default())
                .compliance,
            Compliance::Compliant
        );
    }

    #[test]
    fn ssh_port_is_configurable() {
        let r = &INCOMING_SSH_DISABLED;
        let perms = json!([{"ipProtocol": "tcp", "fromPort": 2222, "toPort": 2222, "ipv4Ranges": [{"cidrIp": "0.0.0.0/0"}]}]);
        assert_eq!(
            r.evaluate(&sg(perms.clone()), &params(r, &[]), &Context::default())
                .compliance,
            Compliance::Compliant
        );
        let p = params(r, &[("sshPort", "2222")]);
        assert_eq!(
            r.evaluate(&sg(perms), &p, &Context::default()).compliance,
            Compliance::NonCompliant
        );
    }

    #[test]
    fn common_ports_default_and_custom() {
        let r = &RESTRICTED_COMMON_PORTS;
        let rdp = json!([{"ipProtocol": "tcp", "fromPort": 3389, "toPort": 3389, "ipv4Ranges": [{"cidrIp": "0.0.0.0/0"}]}]);
        let v = r.evaluate(&sg(rdp.clone()), &params(r, &[]), &Context::default());
        assert_eq!(v.compliance, Compliance::NonCompliant);
        assert!(v.annotation.contains("3389"));
        let custom = params(r, &[("blockedPort3", "8080")]);
        assert_eq!(
            r.evaluate(&sg(rdp), &custom, &Context::default())
                .compliance,
            Compliance::Compliant
        );
    }

    #[test]
    fn port_ranges_cover_the_ports_inside() {
        let r = &RESTRICTED_COMMON_PORTS;
        let wide = json!([{"ipProtocol": "6", "fromPort": "3000", "toPort": "3400", "ipv6Ranges": [{"cidrIpv6": "::/0"}]}]);
        let v = r.evaluate(&sg(wide), &params(r, &[]), &Context::default());
        assert_eq!(v.compliance, Compliance::NonCompliant);
        assert!(
            v.annotation.contains("port 3306, 3389 open"),
            "{}",
            v.annotation
        );
    }
}
