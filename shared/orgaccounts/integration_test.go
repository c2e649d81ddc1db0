package orgaccounts

import (
	"errors"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
)

// TestListAgainstMoto lists an organization of the management account and 23 members (two
// pages of 20) from moto_server, one of them closed.
func TestListAgainstMoto(t *testing.T) {
	srv := motoserver.Start(t)
	ctx := t.Context()
	api := organizations.NewFromConfig(srv.AWSConfig())
	if _, err := api.CreateOrganization(ctx, &organizations.CreateOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	var created []string
	for i := range 23 {
		out, err := api.CreateAccount(ctx, &organizations.CreateAccountInput{
			AccountName: aws.String("member"), Email: aws.String("m" + string(rune('a'+i)) + "@example.com")})
		if err != nil {
			t.Fatal(err)
		}
		created = append(created, aws.ToString(out.CreateAccountStatus.AccountId))
	}
	if _, err := api.CloseAccount(ctx, &organizations.CloseAccountInput{AccountId: aws.String(created[5])}); err != nil {
		t.Fatal(err)
	}
	got, err := List(ctx, api)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range got {
		ids = append(ids, a.ID)
	}
	want := append([]string{motoserver.AccountID}, slices.Delete(slices.Clone(created), 5, 6)...)
	slices.Sort(ids)
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Errorf("accounts = %v\nwant %v", ids, want)
	}
}

// TestLookupAgainstMoto: DescribeAccount as moto answers it: a member, a closed account, a stranger.
func TestLookupAgainstMoto(t *testing.T) {
	srv := motoserver.Start(t)
	ctx := t.Context()
	api := organizations.NewFromConfig(srv.AWSConfig())
	if _, err := api.CreateOrganization(ctx, &organizations.CreateOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, email := range []string{"a@example.com", "b@example.com"} {
		out, err := api.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String("m"), Email: aws.String(email)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, aws.ToString(out.CreateAccountStatus.AccountId))
	}
	if _, err := api.CloseAccount(ctx, &organizations.CloseAccountInput{AccountId: aws.String(ids[1])}); err != nil {
		t.Fatal(err)
	}
	l := &Lookup{API: api}
	for account, member := range map[string]bool{motoserver.AccountID: true, ids[0]: true, ids[1]: false, "999988887777": false} {
		if err := l.Check(ctx, account); (err == nil) != member || (err != nil && !errors.Is(err, ErrNotMember)) {
			t.Errorf("%s: %v; want member %v", account, err, member)
		}
	}
}
