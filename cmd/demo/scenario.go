package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
)

// role is a role the demo creates in moto.
type role struct {
	name, path string
	policy     []byte
	tags       map[string]string
}

// step is one CloudTrail event sent to the function, after the change it records is made in moto.
type step struct {
	role      role
	create    bool   // create the role (CreateRole event, or before an update)
	update    []byte // then replace its trust policy (UpdateAssumeRolePolicy event)
	eventName string
	actor     string // who made the call, as the table shows it
	identity  map[string]any
	about     string
}

const account = motoserver.AccountID

func policy(statements ...string) []byte {
	return []byte("{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    " +
		strings.Join(statements, ",\n    ") + "\n  ]\n}")
}

const (
	trustCrossAccount = `{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "sts:AssumeRole"}`
	trustLambda       = `{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}`
	trustMixed        = `{"Sid": "TrustEc2AndCi", "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com", "AWS": "arn:aws:iam::` + account + `:role/ci-runner"}, "Action": "sts:AssumeRole"}`
	trustVendor       = `{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::777788889999:root"}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "vendor-7f3a"}}}`
	trustCIGitHub     = `{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::` + account + `:role/github-runner"}, "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"], "Condition": {"StringLike": {"sts:SourceIdentity": "*"}}}`
	trustCIJenkins    = `{"Sid": "Jenkins", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::` + account + `:role/jenkins"}, "Action": "sts:AssumeRole"}`
)

func iamUser(name string) map[string]any {
	return map[string]any{
		"type": "IAMUser", "principalId": "AIDAEXAMPLE" + strings.ToUpper(name), "accountId": account,
		"arn": "arn:aws:iam::" + account + ":user/" + name, "userName": name, "accessKeyId": "AKIAEXAMPLEKEY000001",
	}
}

func assumedRole(roleARN, session, sourceIdentity string) map[string]any {
	ctx := map[string]any{
		"sessionIssuer": map[string]any{
			"type": "Role", "principalId": "AROAEXAMPLEROLE0001", "arn": roleARN, "accountId": account,
			"userName": roleARN[strings.LastIndexByte(roleARN, '/')+1:],
		},
		"attributes": map[string]any{"creationDate": "2026-11-28T09:00:00Z", "mfaAuthenticated": "false"},
	}
	if sourceIdentity != "" {
		ctx["sourceIdentity"] = sourceIdentity
	}
	name := roleARN[strings.LastIndexByte(roleARN, '/')+1:]
	return map[string]any{
		"type": "AssumedRole", "principalId": "AROAEXAMPLEROLE0001:" + session, "accountId": account,
		"arn": "arn:aws:sts::" + account + ":assumed-role/" + name + "/" + session, "sessionContext": ctx,
	}
}

// scenario is what the demo does, in order.
func scenario() []step {
	appDeployer := role{name: "app-deployer", path: "/", policy: policy(trustCrossAccount)}
	return []step{
		{
			role: appDeployer, create: true, eventName: "CreateRole", actor: "IAM user alice",
			identity: iamUser("alice"),
			about:    "another account's principals may assume it: they must now pass a source identity",
		},
		{
			role:      role{name: "orders-api-FunctionRole", path: "/", policy: policy(trustLambda)},
			create:    true,
			eventName: "CreateRole", actor: "CloudFormation",
			identity: assumedRole("arn:aws:iam::"+account+":role/cfn-exec-role", "AWSCloudFormation", ""),
			about:    "a service role: AWS services do not set source identities, nothing to do",
		},
		{
			role:      role{name: "batch-worker", path: "/workloads/", policy: policy(trustMixed)},
			create:    true,
			eventName: "CreateRole", actor: "IAM user alice",
			identity: iamUser("alice"),
			about:    "one statement trusts a service and a role: the role is split out and constrained, EC2 keeps its access",
		},
		{
			role: role{name: "vendor-readonly", path: "/", policy: policy(trustVendor),
				tags: map[string]string{guard.TagExempt: "vendor tool cannot pass a source identity yet (SEC-142)"}},
			create:    true,
			eventName: "CreateRole", actor: "root user",
			identity: map[string]any{"type": "Root", "principalId": account, "arn": "arn:aws:iam::" + account + ":root", "accountId": account},
			about:    "tagged " + guard.TagExempt + ": left alone, with the reason on record",
		},
		{
			role:      role{name: "ci-deploy", path: "/", policy: policy(trustCIGitHub)},
			create:    true,
			update:    policy(trustCIGitHub, trustCIJenkins),
			eventName: "UpdateAssumeRolePolicy", actor: "PlatformAdmin/bob",
			identity: assumedRole("arn:aws:iam::"+account+":role/PlatformAdmin", "bob", "bob@example.com"),
			about:    "compliant until bob added Jenkins without a condition: only the new statement is patched",
		},
		{
			role:      appDeployer,
			eventName: "UpdateAssumeRolePolicy", actor: "the guard itself",
			identity: assumedRole(guardRoleARN, "source-identity-guard-enforce", ""),
			about:    "the guard's own update comes back as an event: skipped without a call (the rule filters it too)",
		},
	}
}

var eventSeq int

// event returns the EventBridge event CloudTrail would deliver for the step's call.
func (s step) event() []byte {
	eventSeq++
	params := map[string]any{"roleName": s.role.name}
	var response any
	switch s.eventName {
	case "CreateRole":
		params["assumeRolePolicyDocument"] = string(s.role.policy)
		if s.role.path != "/" {
			params["path"] = s.role.path
		}
		response = map[string]any{"role": map[string]any{
			"path": s.role.path, "roleName": s.role.name, "roleId": fmt.Sprintf("AROAEXAMPLEDEMO%05d", eventSeq),
			"arn": "arn:aws:iam::" + account + ":role" + s.role.path + s.role.name,
		}}
	default:
		doc := s.update
		if doc == nil {
			doc = s.role.policy
		}
		params["policyDocument"] = string(doc)
	}
	detail := map[string]any{
		"eventVersion": "1.09", "userIdentity": s.identity,
		"eventTime": "2026-11-28T09:00:00Z", "eventSource": "iam.amazonaws.com", "eventName": s.eventName,
		"awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.10", "userAgent": "aws-cli/2.15.0",
		"requestParameters": params, "responseElements": response,
		"requestID": fmt.Sprintf("00000000-0000-4000-8000-%012d", eventSeq),
		"eventID":   fmt.Sprintf("11111111-0000-4000-8000-%012d", eventSeq),
		"readOnly":  false, "eventType": "AwsApiCall", "managementEvent": true,
		"recipientAccountId": account, "eventCategory": "Management",
	}
	ev := map[string]any{
		"version": "0", "id": fmt.Sprintf("22222222-0000-4000-8000-%012d", eventSeq),
		"detail-type": "AWS API Call via CloudTrail", "source": "aws.iam", "account": account,
		"time": "2026-11-28T09:00:00Z", "region": "us-east-1", "resources": []string{}, "detail": detail,
	}
	out, err := json.Marshal(ev)
	if err != nil {
		panic(err) // only maps of strings: cannot fail
	}
	return out
}
