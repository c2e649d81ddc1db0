package guard_test

import (
	"fmt"
	"time"

	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/iamrole"
)

// A role CloudFormation keeps re-opening: patched twice today already, threshold 2, so the
// third patch is a conflict: no write, the fix kept in After, the stack named.
func ExampleFightVerdict() {
	open := []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole"}]}`)
	role := iamrole.Role{Name: "deploy", Path: "/", TrustPolicy: open, Tags: map[string]string{guard.TagCloudFormationStack: "orders-api"}}
	v := guard.Policy{Mode: guard.ModeRequire}.Decide(role)
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	writes := []time.Time{now.Add(-5 * time.Hour), now.Add(-time.Hour)}
	actor := guard.FightActor(role.Tags, guard.FightClue{UserAgent: "cloudformation.amazonaws.com"})
	c := guard.FightVerdict(v, writes, now, guard.FightRule{Threshold: 2}, actor)
	fmt.Println(v.Decision, "->", c.Decision, "write:", c.NeedsWrite(), "fix kept:", string(c.After) == string(v.After))
	fmt.Println(actor)
	// A day later both writes have left the window: the guard patches again.
	fmt.Println(guard.FightVerdict(v, writes, now.Add(24*time.Hour), guard.FightRule{Threshold: 2}, actor).Decision)
	// Output:
	// patched -> conflict write: false fix kept: true
	// CloudFormation stack "orders-api" (tag aws:cloudformation:stack-name)
	// patched
}
