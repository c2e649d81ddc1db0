package readiness

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/source-identity-guard/source-identity-guard/shared/trailrecord"
)

func decode(t *testing.T, raw string) trailrecord.Record {
	t.Helper()
	var d trailrecord.Decoder
	r, err := d.Decode([]byte(raw))
	if err != nil {
		t.Fatalf("decode: %v\n%s", err, raw)
	}
	return r
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// Records below follow the examples of the IAM guide's "Logging IAM and AWS STS API calls with
// AWS CloudTrail" page and published console switch-role records (trimmed to what matters).
func TestObserve(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want Observation
		skip Skip
	}{{
		name: "first hop by an IAM user with a source identity",
		raw: `{"eventTime":"2026-11-30T09:00:00Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"us-east-2",
			"userIdentity":{"type":"IAMUser","principalId":"AIDAQRSTUVWXYZEXAMPLE","arn":"arn:aws:iam::777788889999:user/JohnDoe","accountId":"777788889999","userName":"JohnDoe"},
			"userAgent":"aws-cli/1.11.10 Python/2.7.8 botocore/1.4.67",
			"requestParameters":{"roleArn":"arn:aws:iam::777788889999:role/dev/EC2-dev","roleSessionName":"JohnDoe-EC2-dev","sourceIdentity":"JohnDoe"},
			"responseElements":{"assumedRoleUser":{"arn":"arn:aws:sts::777788889999:assumed-role/EC2-dev/JohnDoe-EC2-dev"},"sourceIdentity":"JohnDoe"},
			"eventID":"e1","recipientAccountId":"777788889999"}`,
		want: Observation{Kind: KindAssumption,
			Role:   Role{ARN: "arn:aws:iam::777788889999:role/dev/EC2-dev", Partition: "aws", Account: "777788889999", Name: "EC2-dev", PathKnown: true},
			Caller: Caller{Principal: "arn:aws:iam::777788889999:user/JohnDoe", Type: "IAMUser"},
			Time:   ts("2026-11-30T09:00:00Z"), SourceIdentity: "JohnDoe", From: "request",
			UserAgent: "aws-cli/1.11.10 Python/2.7.8 botocore/1.4.67", Client: "aws-cli", EventID: "e1", Region: "us-east-2"},
	}, {
		name: "chained: the session's source identity counts",
		raw: `{"eventTime":"2026-11-30T09:00:00Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole",
			"userIdentity":{"type":"AssumedRole","principalId":"AROAIN5ATK5U7KEXAMPLE:JohnRole1","arn":"arn:aws:sts::111111111111:assumed-role/JohnRole1/JohnDoe","accountId":"111111111111",
				"sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111111111111:role/team/JohnRole1","accountId":"111111111111","userName":"JohnRole1"},"sourceIdentity":"JohnDoe"}},
			"userAgent":"Boto3/1.34.0 md/Botocore#1.34.0 Botocore/1.34.0",
			"requestParameters":{"roleArn":"arn:aws:iam::111111111111:role/JohnRole2","roleSessionName":"Role2WithTags"},
			"recipientAccountId":"111111111111"}`,
		want: Observation{Kind: KindAssumption,
			Role:   Role{ARN: "arn:aws:iam::111111111111:role/JohnRole2", Partition: "aws", Account: "111111111111", Name: "JohnRole2", PathKnown: true},
			Caller: Caller{Principal: "arn:aws:iam::111111111111:role/team/JohnRole1", Type: "AssumedRole"},
			Time:   ts("2026-11-30T09:00:00Z"), SourceIdentity: "JohnDoe", From: "session",
			UserAgent: "Boto3/1.34.0 md/Botocore#1.34.0 Botocore/1.34.0", Client: "boto3"},
	}, {
		name: "cross-account, role owner's copy: AWSAccount caller without a source identity",
		raw: `{"eventTime":"2026-11-30T09:00:00Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole",
			"userIdentity":{"type":"AWSAccount","principalId":"AIDAQRSTUVWXYZEXAMPLE","accountId":"777788889999"},
			"userAgent":"aws-sdk-go-v2/1.30.5 os/linux lang/go#1.22.7",
			"requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/EC2-dev","roleSessionName":"x"},
			"recipientAccountId":"111122223333"}`,
		want: Observation{Kind: KindAssumption,
			Role:   Role{ARN: "arn:aws:iam::111122223333:role/EC2-dev", Partition: "aws", Account: "111122223333", Name: "EC2-dev", PathKnown: true},
			Caller: Caller{Principal: "arn:aws:iam::777788889999:root", Type: "AWSAccount", PrincipalID: "AIDAQRSTUVWXYZEXAMPLE"},
			Time:   ts("2026-11-30T09:00:00Z"), UserAgent: "aws-sdk-go-v2/1.30.5 os/linux lang/go#1.22.7", Client: "aws-sdk-go-v2"},
	}, {
		name: "cross-account, the source identity only in the response (inherited)",
		raw: `{"eventTime":"2026-11-30T09:00:00Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole",
			"userIdentity":{"type":"AWSAccount","principalId":"AROAEXAMPLE:alice-session","accountId":"111122223333"},
			"requestParameters":{"roleArn":"arn:aws-cn:iam::444455556666:role/audit"},"responseElements":{"sourceIdentity":"alice"},
			"recipientAccountId":"444455556666"}`,
		want: Observation{Kind: KindAssumption,
			Role:   Role{ARN: "arn:aws-cn:iam::444455556666:role/audit", Partition: "aws-cn", Account: "444455556666", Name: "audit", PathKnown: true},
			Caller: Caller{Principal: "arn:aws-cn:iam::111122223333:root", Type: "AWSAccount", PrincipalID: "AROAEXAMPLE"},
			Time:   ts("2026-11-30T09:00:00Z"), SourceIdentity: "alice", From: "response", Client: "unknown"},
	}, {
		name: "cross-account, the caller's copy is skipped",
		raw: `{"eventTime":"2026-11-30T09:00:00Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole",
			"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::203016562928:user/bob","accountId":"203016562928","invokedBy":"AWS Internal"},
			"requestParameters":{"roleArn":"arn:aws:iam::776613361644:role/admin"},"recipientAccountId":"203016562928"}`,
		skip: SkipCallerCopy,
	}, {
		name: "console: the AssumeRole made by AWS Internal",
		raw: `{"eventTime":"2020-09-17T19:04:10Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","sourceIPAddress":"AWS Internal","userAgent":"AWS Internal",
			"userIdentity":{"type":"AWSAccount","principalId":"AIDAS6RF25DXSM2CA5KAD","accountId":"203016562928"},
			"requestParameters":{"roleArn":"arn:aws:iam::776613361644:role/assume-admin-role-example","roleSessionName":"bob@example.com"},
			"resources":[{"accountId":"776613361644","type":"AWS::IAM::Role","ARN":"arn:aws:iam::776613361644:role/assume-admin-role-example"}],
			"recipientAccountId":"776613361644"}`,
		want: Observation{Kind: KindAssumption,
			Role:   Role{ARN: "arn:aws:iam::776613361644:role/assume-admin-role-example", Partition: "aws", Account: "776613361644", Name: "assume-admin-role-example", PathKnown: true},
			Caller: Caller{Principal: "arn:aws:iam::203016562928:root", Type: "AWSAccount", PrincipalID: "AIDAS6RF25DXSM2CA5KAD"},
			Time:   ts("2020-09-17T19:04:10Z"), UserAgent: "AWS Internal", Client: "console", Console: true},
	}, {
		name: "console: the SwitchRole sign-in event (no sessionContext, path lost)",
		raw: `{"eventTime":"2020-09-17T19:04:10Z","eventSource":"signin.amazonaws.com","eventName":"SwitchRole","eventType":"AwsConsoleSignIn",
			"userIdentity":{"type":"AssumedRole","principalId":"AROAJBP4A5WSXVNY72RLE:bob@example.com","arn":"arn:aws:sts::776613361644:assumed-role/assume-admin-role-example/bob@example.com","accountId":"776613361644"},
			"userAgent":"Mozilla/5.0 (Macintosh)","requestParameters":null,"responseElements":{"SwitchRole":"Success"},
			"additionalEventData":{"SwitchFrom":"arn:aws:iam::203016562928:user/bob@example.com"},"recipientAccountId":"776613361644"}`,
		want: Observation{Kind: KindConsole,
			Role:   Role{ARN: "arn:aws:iam::776613361644:role/assume-admin-role-example", Partition: "aws", Account: "776613361644", Name: "assume-admin-role-example"},
			Caller: Caller{Principal: "arn:aws:iam::203016562928:user/bob@example.com", Type: "AssumedRole"},
			Time:   ts("2020-09-17T19:04:10Z"), UserAgent: "Mozilla/5.0 (Macintosh)", Client: "console", Console: true},
	}, {
		name: "console: a failed SwitchRole",
		raw: `{"eventTime":"2020-09-17T19:04:10Z","eventSource":"signin.amazonaws.com","eventName":"SwitchRole",
			"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::776613361644:assumed-role/admin/bob"},"responseElements":{"SwitchRole":"Failure"}}`,
		skip: SkipFailed,
	}, {
		name: "SAML",
		raw: `{"eventTime":"2026-11-30T09:00:00Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRoleWithSAML",
			"userIdentity":{"type":"SAMLUser","principalId":"x:SamlExample","userName":"SamlExample","identityProvider":"bdGOnTesti4+ExamplexL/jEvs="},
			"requestParameters":{"roleArn":"arn:aws:iam::444455556666:role/SAMLTestRoleShibboleth","principalArn":"arn:aws:iam::444455556666:saml-provider/Shibboleth","sourceIdentity":"MySAMLUser"}}`,
		want: Observation{Kind: KindAssumption,
			Role:   Role{ARN: "arn:aws:iam::444455556666:role/SAMLTestRoleShibboleth", Partition: "aws", Account: "444455556666", Name: "SAMLTestRoleShibboleth", PathKnown: true},
			Caller: Caller{Principal: "arn:aws:iam::444455556666:saml-provider/Shibboleth", Type: "SAMLUser"},
			Time:   ts("2026-11-30T09:00:00Z"), SourceIdentity: "MySAMLUser", From: "request", Client: "unknown"},
	}, {
		name: "role only in the response: path lost",
		raw: `{"eventTime":"2026-11-30T09:00:00Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole",
			"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/a"},
			"responseElements":{"assumedRoleUser":{"arn":"arn:aws:sts::111122223333:assumed-role/deployer/s"}}}`,
		want: Observation{Kind: KindAssumption,
			Role:   Role{ARN: "arn:aws:iam::111122223333:role/deployer", Partition: "aws", Account: "111122223333", Name: "deployer"},
			Caller: Caller{Principal: "arn:aws:iam::111122223333:user/a", Type: "IAMUser"},
			Time:   ts("2026-11-30T09:00:00Z"), Client: "unknown"},
	},
		{name: "AWS service caller", raw: `{"eventSource":"sts.amazonaws.com","eventName":"AssumeRole","userIdentity":{"type":"AWSService","invokedBy":"lambda.amazonaws.com"},"requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/fn"}}`, skip: SkipService},
		{name: "failed call", raw: `{"eventSource":"sts.amazonaws.com","eventName":"AssumeRole","errorCode":"AccessDenied","userIdentity":{"type":"IAMUser"},"requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/x"}}`, skip: SkipFailed},
		{name: "other event", raw: `{"eventSource":"sts.amazonaws.com","eventName":"GetCallerIdentity"}`, skip: SkipOtherEvent},
		{name: "no role", raw: `{"eventSource":"sts.amazonaws.com","eventName":"AssumeRole","userIdentity":{"type":"IAMUser"},"requestParameters":{"roleArn":"not-an-arn"}}`, skip: SkipNoRole},
		{name: "bad time", raw: `{"eventTime":"yesterday","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","userIdentity":{"type":"IAMUser"},"requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/x"}}`, skip: SkipBadTime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, skip := Observe(decode(t, tt.raw))
			if skip != tt.skip {
				t.Fatalf("skip %q, want %q", skip, tt.skip)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("observation (-want +got):\n%s", diff)
			}
		})
	}
}

func TestClientFamily(t *testing.T) {
	tests := map[string]string{
		"":             "unknown",
		"AWS Internal": "console",
		"aws-cli/2.15.0 md/awscrt#0.19.19 ua/2.0 os/linux":                                         "aws-cli",
		"Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 Botocore/1.34.0":                                   "boto3",
		"Botocore/1.34.0 ua/2.0":                                                                   "botocore",
		"APN/1.0 HashiCorp/1.0 Terraform/1.9.5 terraform-provider-aws/5.70.0 aws-sdk-go-v2/1.30.5": "terraform",
		"aws-sdk-go-v2/1.30.5 os/linux lang/go#1.22.7":                                             "aws-sdk-go-v2",
		"aws-sdk-go/1.44.0 (go1.20; linux; amd64)":                                                 "aws-sdk-go",
		"aws-sdk-java/2.20.0 Linux/6.1":                                                            "aws-sdk-java",
		"aws-sdk-js/3.600.0 ua/2.1 os/linux":                                                       "aws-sdk-js",
		"aws-cdk/2.150.0 aws-sdk-js/3.600.0":                                                       "aws-cdk",
		"Mozilla/5.0 (Macintosh)":                                                                  "console",
		"signin.amazonaws.com":                                                                     "console",
		"curl/8.0":                                                                                 "other",
	}
	for ua, want := range tests {
		if got := ClientFamily(ua); got != want {
			t.Errorf("ClientFamily(%q) = %q, want %q", ua, got, want)
		}
	}
}
