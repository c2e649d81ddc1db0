package checkpoint_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/source-identity-guard/source-identity-guard/shared/checkpoint"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
)

func TestStoreAgainstMoto(t *testing.T) {
	srv := motoserver.Start(t)
	s := checkpoint.New(ssm.NewFromConfig(srv.AWSConfig()), "/test/sweep-position")
	ctx := t.Context()

	got, err := s.Load(ctx)
	if err != nil || got != nil {
		t.Fatalf("Load of a missing parameter = %q, %v; want nil, nil", got, err)
	}
	for _, v := range []string{`{"marker":"1000","after":"role-7"}`, `{}`} {
		if err := s.Save(ctx, []byte(v)); err != nil {
			t.Fatalf("Save(%s): %v", v, err)
		}
		got, err := s.Load(ctx)
		if err != nil || string(got) != v {
			t.Errorf("Load after Save(%s) = %q, %v", v, got, err)
		}
	}
	if s.Name() != "/test/sweep-position" {
		t.Errorf("Name() = %q", s.Name())
	}
}

// failingAPI fails every call.
type failingAPI struct{ err error }

func (f failingAPI) GetParameter(context.Context, *ssm.GetParameterInput, ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	return nil, f.err
}

func (f failingAPI) PutParameter(context.Context, *ssm.PutParameterInput, ...func(*ssm.Options)) (*ssm.PutParameterOutput, error) {
	return nil, f.err
}

func TestErrorsNameTheParameter(t *testing.T) {
	cause := errors.New("AccessDeniedException: not authorized")
	s := checkpoint.New(failingAPI{cause}, "/p")
	_, lerr := s.Load(context.Background())
	serr := s.Save(context.Background(), []byte("{}"))
	for _, err := range []error{lerr, serr} {
		if !errors.Is(err, cause) || !strings.Contains(err.Error(), `"/p"`) {
			t.Errorf("error %v: want it to wrap the cause and name the parameter", err)
		}
	}
}
