package orgaccounts

import (
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
)

func TestMain(m *testing.M) { os.Exit(motoserver.RunTests(m)) }

// Against moto: no organization is "" and no error; once there is one, its management account.
func TestManagementAccount(t *testing.T) {
	api := organizations.NewFromConfig(motoserver.Shared(t).AWSConfig())
	c := NewManagementClient(api)
	if got, err := c.ManagementAccount(t.Context()); got != "" || err != nil {
		t.Fatalf("no organization: %q, %v; want \"\", nil", got, err)
	}
	if _, err := api.CreateOrganization(t.Context(), &organizations.CreateOrganizationInput{FeatureSet: types.OrganizationFeatureSetAll}); err != nil {
		t.Fatal(err)
	}
	if got, err := c.ManagementAccount(t.Context()); got != motoserver.AccountID || err != nil {
		t.Fatalf("ManagementAccount = %q, %v; want %s", got, err, motoserver.AccountID)
	}
}
