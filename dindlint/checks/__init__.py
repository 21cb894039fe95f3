"""Stage 6, rules: small generator functions over the model and the topology.

A check never parses and never prints: it reads typed objects and yields ``Found`` records (a
message, a place, a hint). It does not name its own rule: the one explicit table ``CHECKS`` maps
each rule id to its function, and the engine makes each record a ``Finding`` of that rule, then
stamps severity and name from the catalogue (``rules/``).
"""

from __future__ import annotations

from dindlint.access import Denial
from dindlint.checks import daemon, gids, gitlab, inputs, membership, runtime, sockets
from dindlint.checks.base import Check

# Each rule id and the check that reports it: the engine stamps the id on what the check yields.
CHECKS: dict[str, Check] = {
    "DIND001": inputs.syntax_error,
    "DIND002": inputs.invalid_compose,
    "DIND003": inputs.unresolved_reference,
    "DIND101": sockets.readonly_socket_mount,
    "DIND102": sockets.host_socket_mount,
    "DIND103": sockets.docker_host_unreachable,
    "DIND105": sockets.socket_source_is_named_volume,
    "DIND106": sockets.vm_host_socket_path,
    "DIND107": runtime.socket_permissions_changed,
    "DIND108": sockets.invalid_docker_host,
    "DIND109": sockets.single_letter_volume_is_a_drive,
    "DIND110": runtime.socket_exported_over_tcp,
    "DIND201": gids.auto_assigned_docker_gid,
    "DIND202": gids.docker_gid_mismatch,
    "DIND203": gids.id_or_name_in_use,
    "DIND204": gids.group_add_by_name,
    "DIND205": gids.hardcoded_host_docker_gid,
    "DIND301": membership.user_cannot_access_socket,
    "DIND302": membership.explicit_group_drops_membership,
    "DIND303": membership.numeric_user_without_passwd_entry,
    "DIND304": membership.usermod_replaces_groups,
    "DIND305": membership.busybox_adduser_ignores_group,
    "DIND306": membership.unknown_group_or_user,
    "DIND307": runtime.entrypoint_user_cannot_access_socket,
    "DIND401": daemon.dind_not_privileged,
    "DIND402": daemon.dind_plaintext_tcp_published,
    "DIND403": daemon.docker_host_port_mismatch,
    "DIND404": daemon.dind_client_certs_missing,
    "DIND405": daemon.tls_verify_value_means_on,
    "DIND406": daemon.tls_name_not_in_certificate,
    "DIND407": daemon.docker_host_name_not_served,
    "DIND408": daemon.tls_client_not_enabled,
    "DIND409": daemon.tls_off_flag_ignored,
    "DIND410": daemon.daemon_tls_without_certificates,
    "DIND501": gitlab.dind_service_without_endpoint,
}
# On a GitLab CI job only the rules that judge jobs run (``gitlab.for_ci``).
CHECKS = {rule_id: gitlab.for_ci(rule_id, check) for rule_id, check in CHECKS.items()}

# The rule that reports each reason of a denial of the access model (``access.verdict``).
DENIAL_RULES: dict[Denial, str] = {
    Denial.GID_MISMATCH: "DIND202",
    Denial.NOT_MEMBER: "DIND301",
    Denial.EXPLICIT_GROUP: "DIND302",
    Denial.NO_PASSWD_ENTRY: "DIND303",
}

# The same for the user an entrypoint switches to (``Identity.switch``): DIND307 judges it, but a
# GID that differs from the socket's stays DIND202's (one finding per cause).
SWITCHED_DENIAL_RULES: dict[Denial, str] = {
    Denial.GID_MISMATCH: "DIND202",
    Denial.NOT_MEMBER: "DIND307",
    Denial.EXPLICIT_GROUP: "DIND307",
    Denial.NO_PASSWD_ENTRY: "DIND307",
}
