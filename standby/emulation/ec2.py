"""EC2 as AWS behaves where Terraform's AWS provider and the community modules depend on it.

* Launch templates: a template's own tags (CreateLaunchTemplate's ``TagSpecifications``, resource type
  ``launch-template``) stay the template's. moto also copies them into the first version's
  ``LaunchTemplateData.TagSpecifications``, so the provider reads back a tag specification nobody wrote and
  plans a new version on every apply.
* Launch-template versions made by CreateLaunchTemplateVersion keep their ``UserData`` as moto's encoded
  user data, as CreateLaunchTemplate does. moto keeps it as a plain string, and an Auto Scaling group
  launching from such a version failed with HTTP 500.
* ModifySecurityGroupRules changes what a rule refers to: a rule changed to reference another group
  (``ReferencedGroupId``) references that group, and one changed to a CIDR no longer references a group.
  moto changes only the protocol, ports, description and IPv4 CIDR, so the old group stayed.
* Rules that reference a group keep their description in DescribeSecurityGroupRules (moto reads the
  description only from a rule's CIDR range).
"""

from __future__ import annotations

import copy
from typing import Any

from moto.core.responses import ActionResult
from moto.core.types import Base64EncodedString
from moto.ec2.exceptions import InvalidSecurityGroupNotFoundError
from moto.ec2.models.launch_templates import LaunchTemplate, LaunchTemplateVersion
from moto.ec2.models.security_groups import SecurityGroupBackend, SecurityGroupRule
from moto.ec2.responses.launch_templates import LaunchTemplates
from moto.ec2.utils import convert_tag_spec, parse_user_data


def keep_own_tag_specifications(version: LaunchTemplateVersion, own: list[dict[str, Any]] | None) -> None:
    """Give ``version`` back the tag specifications its launch-template data had."""
    if own:
        version.data["TagSpecifications"] = own
    else:
        version.data.pop("TagSpecifications", None)
    version.instance_tags = convert_tag_spec(own or []).get("instance", {})


def encoded_user_data(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with its UserData as moto's encoded user data, which launches read."""
    user_data = data.get("UserData")
    if user_data is None or isinstance(user_data, Base64EncodedString):
        return data
    return {**data, "UserData": parse_user_data(user_data)}


def retarget(rule: SecurityGroupRule, change: dict[str, Any], account_id: str) -> None:
    """Point ``rule`` at what ``change`` (one SecurityGroupRuleRequest) names: a group, or a CIDR."""
    description = change.get("Description")
    if description is None:
        description = rule.ip_range.get("Description") or rule.source_group.get("Description")
    described = {"Description": description} if description is not None else {}
    referenced, cidr_v4, cidr_v6 = change.get("ReferencedGroupId"), change.get("CidrIpv4"), change.get("CidrIpv6")
    if referenced is not None:
        rule.ip_range = {}
        rule.source_group = {"GroupId": referenced, "OwnerId": account_id, "UserId": account_id, **described}
    elif cidr_v4 is not None:
        rule.ip_range = {"CidrIp": cidr_v4, **described}
        rule.source_group = {}
    elif cidr_v6 is not None:
        rule.ip_range = {"CidrIpv6": cidr_v6, **described}
        rule.source_group = {}


def _rule_description(self: SecurityGroupRule) -> str | None:
    return self.ip_range.get("Description") or self.source_group.get("Description")


def install() -> None:
    original_create_template = LaunchTemplates.create_launch_template
    original_create_version = LaunchTemplate.create_version
    original_modify_rules = SecurityGroupBackend.modify_security_group_rules

    def create_launch_template(self: LaunchTemplates) -> ActionResult:
        own = copy.deepcopy(self._get_param("LaunchTemplateData", {}).get("TagSpecifications"))
        result = original_create_template(self)
        template_id = result.result["LaunchTemplate"]["LaunchTemplateId"]  # type: ignore[index]
        keep_own_tag_specifications(self.ec2_backend.get_launch_template(template_id).versions[0], own)
        return result

    def create_version(self: LaunchTemplate, data: dict[str, Any], description: str) -> LaunchTemplateVersion:
        return original_create_version(self, encoded_user_data(data), description)

    def modify_security_group_rules(self: SecurityGroupBackend, group_id: str, rules: dict[str, Any]) -> None:
        for change in rules.values():
            referenced = change.get("ReferencedGroupId")
            if referenced is not None and self.get_security_group_by_name_or_id(referenced) is None:
                raise InvalidSecurityGroupNotFoundError(referenced)
        original_modify_rules(self, group_id, rules)  # validates; changes protocol, ports, IPv4 CIDR
        group = self.get_security_group_by_name_or_id(group_id)
        for rule_id, change in rules.items():
            rule = group.get_rule(rule_id) if group is not None else None
            if rule is not None:
                retarget(rule, change, self.account_id)  # type: ignore[attr-defined]

    LaunchTemplates.create_launch_template = create_launch_template  # type: ignore[method-assign]
    LaunchTemplate.create_version = create_version  # type: ignore[method-assign]
    SecurityGroupBackend.modify_security_group_rules = modify_security_group_rules  # type: ignore[method-assign]
    SecurityGroupRule.description = property(_rule_description)  # type: ignore[method-assign, assignment]
