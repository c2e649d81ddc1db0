package readiness

import "strings"

// Action says what a blocking caller should do so the role can require a source identity:
// pass one (how depends on the client), use `sidguard credentials`, or exempt the role. It is
// empty for a caller that does not block.
func Action(c CallerEvidence) string {
	if !c.Blocks() {
		return ""
	}
	if c.Console || c.ConsoleSessions > 0 {
		return "the console's switch-role cannot pass a source identity: keep this role out of require " +
			"(exempt it), or have these people assume it from a terminal with sidguard credentials"
	}
	var what string
	switch c.Type {
	case "SAMLUser":
		return "have the identity provider send the SAML attribute https://aws.amazon.com/SAML/Attributes/SourceIdentity, or exempt the role"
	case "WebIdentityUser":
		return "a web identity token can carry a source identity only in the claim https://aws.amazon.com/source_identity; " +
			"if the provider cannot add it (GitHub Actions is not known to), chain into this role with aws sts assume-role --source-identity NAME, or exempt the role"
	}
	switch c.Client {
	case "aws-cli", "boto3", "botocore":
		what = "AWS CLI and boto3 profiles cannot set a source identity: use credential_process = sidguard credentials --role-arn ROLE, " +
			"or call aws sts assume-role --source-identity NAME"
	case "terraform":
		what = "set source_identity in the assume_role block of the Terraform provider (and of the S3 backend)"
	case "aws-sdk-go-v2":
		what = "set stscreds.AssumeRoleOptions.SourceIdentity (or use sidguard credentials)"
	case "aws-cdk":
		what = "CDK's roles are assumed without a source identity: exempt the role"
	default:
		what = "pass --source-identity (aws sts assume-role --source-identity NAME) or use sidguard credentials"
	}
	if c.Type == "AWSAccount" {
		who := "a principal in account " + accountOf(c.Principal)
		if c.PrincipalID != "" {
			who += " (unique id " + c.PrincipalID + ")"
		}
		what = who + ": " + what
	}
	return what
}

func accountOf(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 {
		return parts[4]
	}
	return arn
}
