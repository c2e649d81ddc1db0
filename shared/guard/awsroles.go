package guard

import (
	"encoding/json"
	"strings"
)

// AWS-created roles the guard leaves alone, and only in the shape AWS creates them.
//
// A name alone proves nothing: anyone who may call iam:CreateRole can name a role
// "stacksets-exec-x" or "OrganizationAccountAccessRole". So a built-in exemption applies only
// when all of these hold:
//
//   - the name is exactly one AWS gives the role (stacksets-exec- plus a suffix, for the
//     service-managed StackSets execution roles) and the path is "/", where AWS creates them;
//   - the organization's management account is known (Policy.ManagementAccount, read from
//     Organizations DescribeOrganization): without it no trust policy can be recognised;
//   - the trust policy has the shape AWS gives the role: every Allow statement grants exactly
//     sts:AssumeRole (Action, not NotAction) to AWS principals that are the management account
//     (its root, or for stacksets-exec-* also the StackSets service-linked role in it). Deny
//     statements and conditions only narrow access and are accepted.
//
// Anything else with such a name is judged like any other role, and its verdict says why the
// exemption was refused. Sources (public AWS documentation):
//
//   - OrganizationAccountAccessRole trusts the management account:
//     https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_accounts_create-cross-account-role.html
//   - AWSControlTowerExecution trusts the management account:
//     https://docs.aws.amazon.com/controltower/latest/userguide/enroll-manually.html
//   - AWSCloudFormationStackSetExecutionRole trusts the StackSets administrator account (here:
//     only the management account is recognised; a role trusting another administrator account
//     is judged): https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-prereqs-self-managed.html
//   - stacksets-exec-* roles are assumed by the management account's service-linked role
//     AWSServiceRoleForCloudFormationStackSetsOrgAdmin (its policy allows sts:AssumeRole on
//     role/stacksets-exec-*):
//     https://docs.aws.amazon.com/aws-managed-policy/latest/reference/CloudFormationStackSetsOrgAdminServiceRolePolicy.html
//
// Paths: no path is exempt. IAM refuses customer roles under /aws-service-role/ ("Path prefix
// '/aws-service-role/' can only be used for AWS Service linked Roles"), but AWS documents no such
// rule for /aws-reserved/, so both are judged. Real service-linked roles trust only Service
// principals and Identity Center roles only their SAML provider, so they come out compliant;
// an attempt to write one ends in UnmodifiableEntity, which is reported as unfixable
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html).

// awsRole is one AWS-created role name and who AWS makes it trust.
type awsRole struct {
	name   string // exact name, or a prefix when prefix is set
	prefix bool
	what   string
	// stackSetsSLR: the StackSets service-linked role in the management account is trusted too.
	stackSetsSLR bool
}

var awsRoles = []awsRole{
	{name: "OrganizationAccountAccessRole", what: "Organizations access role"},
	{name: "AWSControlTowerExecution", what: "AWS Control Tower execution role"},
	{name: "AWSCloudFormationStackSetExecutionRole", what: "StackSets execution role (self-managed)"},
	{name: "stacksets-exec-", prefix: true, what: "StackSets execution role (service-managed)", stackSetsSLR: true},
}

// stackSetsOrgAdminRole is the service-linked role StackSets uses in the management account.
const stackSetsOrgAdminRole = "role/aws-service-role/stacksets.cloudformation.amazonaws.com/AWSServiceRoleForCloudFormationStackSetsOrgAdmin"

// IsAWSRoleName reports whether name is one AWS gives the roles it creates in member accounts
// (OrganizationAccountAccessRole, AWSControlTowerExecution, the StackSets execution roles):
// only for such a role does Decide need Policy.ManagementAccount.
func IsAWSRoleName(name string) bool { _, ok := awsRoleNamed(name); return ok }

// awsRoleNamed returns the AWS role definition whose name r has, if any.
func awsRoleNamed(name string) (awsRole, bool) {
	for _, a := range awsRoles {
		if name == a.name || a.prefix && strings.HasPrefix(name, a.name) && len(name) > len(a.name) {
			return a, true
		}
	}
	return awsRole{}, false
}

// awsRoleExemption decides whether a role named like an AWS-created role is exempt. It returns
// the exemption key ("aws-role:NAME") and reason when it is; otherwise refused says why the
// name alone does not exempt the role ("" when the name is not an AWS role's).
func (p Policy) awsRoleExemption(name, path string, policy []byte) (key, reason, refused string) {
	a, ok := awsRoleNamed(name)
	if !ok {
		return "", "", ""
	}
	label := a.name
	if a.prefix {
		label += "*"
	}
	switch {
	case path != "/":
		return "", "", "named like the " + a.what + " but on path " + path + ", not /"
	case p.ManagementAccount == "":
		return "", "", "named like the " + a.what + " but the organization's management account is unknown"
	case !awsShape(policy, p.ManagementAccount, a.stackSetsSLR):
		return "", "", "named like the " + a.what + " but its trust policy is not the one AWS gives it (only the management account " + p.ManagementAccount + ")"
	}
	return "aws-role:" + label, a.what + " trusting only the management account " + p.ManagementAccount, ""
}

// awsShape reports whether policy grants sts:AssumeRole only to the management account mgmt
// (and, with slr, to the StackSets service-linked role in it).
func awsShape(policy []byte, mgmt string, slr bool) bool {
	var doc struct {
		Statement json.RawMessage
	}
	if json.Unmarshal(policy, &doc) != nil {
		return false
	}
	var stmts []map[string]json.RawMessage
	if json.Unmarshal(doc.Statement, &stmts) != nil {
		var one map[string]json.RawMessage
		if json.Unmarshal(doc.Statement, &one) != nil {
			return false
		}
		stmts = []map[string]json.RawMessage{one}
	}
	allows := 0
	for _, st := range stmts {
		var effect string
		if json.Unmarshal(st["Effect"], &effect) != nil {
			return false
		}
		if effect == "Deny" {
			continue // a Deny only narrows who may assume the role
		}
		if effect != "Allow" || st["NotAction"] != nil || st["NotPrincipal"] != nil {
			return false
		}
		actions, ok := stringOrList(st["Action"])
		if !ok || len(actions) != 1 || !strings.EqualFold(actions[0], "sts:AssumeRole") {
			return false
		}
		var principal map[string]json.RawMessage
		if json.Unmarshal(st["Principal"], &principal) != nil || len(principal) != 1 {
			return false
		}
		arns, ok := stringOrList(principal["AWS"])
		if !ok || len(arns) == 0 {
			return false
		}
		for _, a := range arns {
			if !managementPrincipal(a, mgmt, slr) {
				return false
			}
		}
		allows++
	}
	return allows > 0
}

// managementPrincipal reports whether a names the management account mgmt (12 digits or its
// root ARN in any partition) or, with slr, the StackSets service-linked role in it.
func managementPrincipal(a, mgmt string, slr bool) bool {
	if a == mgmt {
		return true
	}
	parts := strings.SplitN(a, ":", 6) // arn:PARTITION:iam::ACCOUNT:RESOURCE
	if len(parts) != 6 || parts[0] != "arn" || !strings.HasPrefix(parts[1], "aws") || parts[2] != "iam" || parts[3] != "" || parts[4] != mgmt {
		return false
	}
	return parts[5] == "root" || slr && parts[5] == stackSetsOrgAdminRole
}

// stringOrList decodes a JSON string or array of strings.
func stringOrList(raw json.RawMessage) ([]string, bool) {
	if raw == nil {
		return nil, false
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}, true
	}
	var l []string
	if json.Unmarshal(raw, &l) == nil {
		return l, true
	}
	return nil, false
}
