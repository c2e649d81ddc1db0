package revert

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	arn    = "arn:aws:iam::123456789012:role/workloads/batch-worker"
	before = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole"}]}`
	after  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Condition":{"StringLike":{"sts:SourceIdentity":"*"}}}]}`
)

func readEvent(t *testing.T, name string) Request {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	req, err := FromEvent(data)
	if err != nil {
		t.Fatalf("FromEvent(%s): %v", name, err)
	}
	return req
}

func TestFromEvent(t *testing.T) {
	t.Parallel()
	envelope := readEvent(t, "patched-envelope.json")
	detail := readEvent(t, "patched-detail.json")
	if diff := cmp.Diff(envelope, detail); diff != "" {
		t.Errorf("envelope and detail read differently (-envelope +detail):\n%s", diff)
	}
	if envelope.RoleARN != arn || envelope.RoleName != "batch-worker" || envelope.Account != "123456789012" || envelope.Decision != "patched" {
		t.Errorf("FromEvent = %+v", envelope)
	}
	if len(envelope.Before) == 0 || len(envelope.After) == 0 {
		t.Errorf("policies not read: %+v", envelope)
	}
}

func TestFromEventRejects(t *testing.T) {
	t.Parallel()
	for name, in := range map[string]string{
		"not JSON":           `nope`,
		"other detail-type":  `{"detail-type":"Sweep Summary","detail":{"roleArn":"x","decision":"patched"}}`,
		"no role":            `{"decision":"patched"}`,
		"policy as a string": `{"roleArn":"` + arn + `","decision":"patched","policyBefore":"{not json","policyAfter":` + after + `}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := FromEvent([]byte(in)); !errors.Is(err, ErrUnusable) {
				t.Errorf("FromEvent(%s) error = %v, want ErrUnusable", in, err)
			}
		})
	}
}

func TestDecide(t *testing.T) {
	t.Parallel()
	patched := Request{RoleARN: arn, RoleName: "batch-worker", Decision: "patched", Before: []byte(before), After: []byte(after)}
	respaced := `{ "Statement" : [ {"Condition":{"StringLike":{"sts:SourceIdentity":"*"}}, "Action":["sts:AssumeRole","sts:SetSourceIdentity"],
		"Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Effect":"Allow"} ], "Version":"2012-10-17" }`
	changed := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::777788889999:root"},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Condition":{"StringLike":{"sts:SourceIdentity":"*"}}}]}`
	reordered := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":["sts:SetSourceIdentity","sts:AssumeRole"],"Condition":{"StringLike":{"sts:SourceIdentity":"*"}}}]}`
	tests := []struct {
		name    string
		req     Request
		liveARN string
		live    string
		want    Outcome
		diff    bool
	}{
		{"live is what the guard wrote", patched, arn, after, Revert, false},
		{"same document re-spaced, members reordered", patched, arn, respaced, Revert, false},
		{"someone changed the principal", patched, arn, changed, Refused, true},
		{"array order changed counts as a change", patched, arn, reordered, Refused, true},
		{"already reverted", patched, arn, before, Nothing, false},
		{"role of another account", patched, "arn:aws:iam::999999999999:role/workloads/batch-worker", after, Refused, false},
		{"live policy not JSON", patched, arn, "{", Refused, false},
		{"would-patch wrote nothing", Request{RoleARN: arn, Decision: "would-patch", Before: []byte(before), After: []byte(after)}, arn, before, Nothing, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := Decide(tt.req, tt.liveARN, []byte(tt.live))
			if err != nil {
				t.Fatal(err)
			}
			if plan.Outcome != tt.want {
				t.Fatalf("Outcome = %s (%s), want %s", plan.Outcome, plan.Reason, tt.want)
			}
			if plan.Reason == "" {
				t.Error("no reason")
			}
			if (len(plan.Diff) > 0) != tt.diff {
				t.Errorf("Diff = %q, want one: %v", plan.Diff, tt.diff)
			}
			if tt.want == Revert && string(plan.Policy) != before {
				t.Errorf("Policy = %s, want the policy before", plan.Policy)
			}
			if tt.want != Revert && plan.Policy != nil {
				t.Errorf("Policy set on %s", plan.Outcome)
			}
		})
	}
}

func TestDecideDiffNamesTheChange(t *testing.T) {
	t.Parallel()
	req := Request{RoleARN: arn, Decision: "patched", Before: []byte(before), After: []byte(after)}
	live := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::777788889999:root"},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Condition":{"StringLike":{"sts:SourceIdentity":"*"}}}]}`
	plan, err := Decide(req, arn, []byte(live))
	if err != nil {
		t.Fatal(err)
	}
	var removed, added []string
	for _, l := range plan.Diff {
		switch l[:2] {
		case "- ":
			removed = append(removed, l)
		case "+ ":
			added = append(added, l)
		}
	}
	want := []string{`-         "AWS": "arn:aws:iam::444455556666:root"`}
	if diff := cmp.Diff(want, removed); diff != "" {
		t.Errorf("removed lines (-want +got):\n%s", diff)
	}
	if len(added) != 1 {
		t.Errorf("added lines = %q, want the new principal only", added)
	}
}

func TestDecidePatchedWithoutPolicies(t *testing.T) {
	t.Parallel()
	_, err := Decide(Request{RoleARN: arn, Decision: "patched"}, arn, []byte(after))
	if !errors.Is(err, ErrUnusable) {
		t.Errorf("err = %v, want ErrUnusable", err)
	}
}
