package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/source-identity-guard/source-identity-guard/shared/awsconfig"
	"github.com/source-identity-guard/source-identity-guard/shared/credprocess"
	"github.com/source-identity-guard/source-identity-guard/shared/stssession"
)

// credentialsDepthVar counts nested runs of `sidguard credentials` (a profile whose source
// chain runs the helper again); past maxCredentialsDepth the helper refuses, so that a profile
// naming itself fails instead of forking without end.
const (
	credentialsDepthVar = "SIDGUARD_CREDENTIALS_DEPTH"
	maxCredentialsDepth = 5
)

var roleARNPattern = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}$`)

var credentialsCommand = &command{
	name:    "credentials",
	args:    "--role-arn ARN [--source-profile NAME] [--source-identity VALUE] [--duration D] [--external-id ID]",
	summary: "credential_process helper: assume a role with a source identity",
	help: `Assumes the role --role-arn with an STS source identity and prints the credentials as the
credential_process JSON the AWS CLI, boto3, Terraform and the AWS SDKs read:

  [profile deploy]
  credential_process = sidguard credentials --role-arn arn:aws:iam::111122223333:role/deployer --source-profile base

The source identity is --source-identity, else the one the base session is known to carry
(a session this helper made), else your own name from GetCallerIdentity: the IAM user name,
or the session name of a role session. A role session that already carries a source identity
keeps it (STS refuses a different one): pass that value, or --keep-source-identity to send none
and let STS carry it over. Values must be 2 to 64 characters of letters, digits and _+=,.@-.

Credentials are cached in the user's cache directory (sidguard/credentials, files mode 0600)
until 15 minutes before they expire. Standard output carries the JSON and nothing else;
an error is one line on standard error saying what to do.

Exit status: 0 credentials printed, 2 error (nothing on standard output).`,
	maxArgs: 0,
	setup: func(fs *flag.FlagSet) func(stdio, []string) int {
		var o credentialsOptions
		fs.StringVar(&o.roleARN, "role-arn", "", "`ARN` of the role to assume (required)")
		fs.StringVar(&o.sourceProfile, "source-profile", "", "Profile `NAME` with the base credentials (default: the default credential chain)")
		fs.StringVar(&o.sourceIdentity, "source-identity", "", "Source identity `VALUE` to set (default: derived, see above)")
		fs.BoolVar(&o.keep, "keep-source-identity", false, "Send no source identity: the base session's own passes on (refused if it has none)")
		fs.Func("duration", "Session `DURATION` (900s to 12h; 3600, 3600s, 1h). Default STS's (1h)", func(s string) error {
			d, err := parseSessionDuration(s)
			if err != nil {
				return err
			}
			o.duration = d
			return nil
		})
		fs.StringVar(&o.externalID, "external-id", "", "External `ID` the role's trust policy asks for")
		fs.StringVar(&o.sessionName, "role-session-name", "", "Session `NAME` (default: the source identity)")
		fs.BoolVar(&o.noCache, "no-cache", false, "Neither read nor write the credentials cache")
		return func(std stdio, _ []string) int {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
			defer stop()
			return runCredentials(ctx, std, o)
		}
	},
}

type credentialsOptions struct {
	roleARN, sourceProfile, sourceIdentity, externalID, sessionName string
	keep, noCache                                                   bool
	duration                                                        time.Duration
}

func parseSessionDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		n, nerr := strconv.Atoi(s)
		if nerr != nil {
			return 0, errors.New("want seconds (3600) or a duration (1h)")
		}
		d = time.Duration(n) * time.Second
	}
	if d < 15*time.Minute || d > 12*time.Hour || d%time.Second != 0 {
		return 0, errors.New("want whole seconds from 900 (15m) to 43200 (12h)")
	}
	return d, nil
}

func runCredentials(ctx context.Context, std stdio, o credentialsOptions) int {
	fail := func(msg string) int {
		fmt.Fprintf(std.err, "sidguard credentials: %s\n", strings.Join(strings.Fields(msg), " "))
		return exitUsage
	}
	switch {
	case o.roleARN == "":
		return fail(`--role-arn is required: the ARN of the role to assume, e.g. --role-arn arn:aws:iam::111122223333:role/deployer`)
	case !roleARNPattern.MatchString(o.roleARN):
		return fail(fmt.Sprintf("--role-arn %q is not a role ARN (want arn:aws:iam::ACCOUNT:role/NAME)", o.roleARN))
	case o.sourceIdentity != "" && o.keep:
		return fail("--source-identity and --keep-source-identity exclude each other: keep one")
	}
	if o.sourceIdentity != "" {
		if err := credprocess.ValidateSourceIdentity(o.sourceIdentity); err != nil {
			return fail(err.Error() + "; pass a valid value with --source-identity")
		}
	}
	depth, _ := strconv.Atoi(os.Getenv(credentialsDepthVar))
	if depth >= maxCredentialsDepth {
		return fail(fmt.Sprintf("%d nested runs of sidguard credentials: a profile's source chain leads back to itself; name the profile with the base credentials in --source-profile", depth))
	}
	os.Setenv(credentialsDepthVar, strconv.Itoa(depth+1)) // seen by a credential_process the SDK runs for the source profile

	req := credprocess.Request{RoleARN: o.roleARN, SourceIdentity: o.sourceIdentity, Keep: o.keep,
		SessionName: o.sessionName, ExternalID: o.externalID, Duration: o.duration}
	var extra []func(*config.LoadOptions) error
	if o.sourceProfile != "" {
		extra = append(extra, config.WithSharedConfigProfile(o.sourceProfile))
	}
	cfg, err := awsconfig.Load(ctx, awsconfig.Options{MaxAttempts: 3, Extra: extra})
	if err != nil {
		return fail(credprocess.Advice(fmt.Errorf("%w: %v", credprocess.ErrNoBaseCredentials, err), req, o.sourceProfile))
	}
	baseKey, err := stssession.BaseAccessKeyID(ctx, cfg)
	if err != nil {
		return fail(credprocess.Advice(err, req, o.sourceProfile))
	}

	now := time.Now()
	key := credprocess.Key{RoleARN: o.roleARN, SourceProfile: o.sourceProfile, SourceIdentity: o.sourceIdentity,
		Keep: o.keep, ExternalID: o.externalID, SessionName: o.sessionName, Duration: o.duration,
		Endpoint: os.Getenv("AWS_ENDPOINT_URL_STS") + " " + os.Getenv("AWS_ENDPOINT_URL"), Region: cfg.Region, BaseAccessKeyID: baseKey}
	if cfg.BaseEndpoint != nil {
		key.Endpoint += " " + *cfg.BaseEndpoint
	}
	var cache *credprocess.Cache
	if !o.noCache {
		if dir, err := credprocess.DefaultCacheDir(); err == nil {
			cache = &credprocess.Cache{Dir: dir}
		}
	}
	if cache != nil {
		if cr, ok := cache.Load(key, now); ok {
			return printCredentials(std, cr)
		}
		if si, ok := cache.SourceIdentityOf(baseKey, now); ok {
			req.KnownSourceIdentity = si
		}
	}

	client := stssession.New(sts.NewFromConfig(cfg))
	choice, err := credprocess.Choose(ctx, client, req)
	if err != nil {
		return fail(credprocess.Advice(err, req, o.sourceProfile))
	}
	cr, err := credprocess.Assume(ctx, client, req, choice)
	if err != nil {
		return fail(credprocess.Advice(err, req, o.sourceProfile))
	}
	if cache != nil {
		cache.Prune(now)
		if err := cache.Store(key, cr); err != nil {
			fmt.Fprintf(std.err, "sidguard credentials: warning: credentials not cached: %s\n", strings.Join(strings.Fields(err.Error()), " "))
		}
	}
	return printCredentials(std, cr)
}

func printCredentials(std stdio, cr credprocess.Credentials) int {
	out, err := cr.ProcessJSON()
	if err != nil {
		fmt.Fprintf(std.err, "sidguard credentials: %v\n", err)
		return exitUsage
	}
	if _, err := std.out.Write(out); err != nil {
		fmt.Fprintf(std.err, "sidguard credentials: write output: %v\n", err)
		return exitUsage
	}
	return exitOK
}
