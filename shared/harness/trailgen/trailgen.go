// Package trailgen writes synthetic CloudTrail log files for benchmarks: records shaped and
// sized like real ones (an AssumeRole record with its credentials is about 1.9 KB), over a
// fixed number of roles and callers so that the evidence they give is bounded while the
// number of records grows.
package trailgen

import (
	"fmt"
	"github.com/klauspost/compress/gzip"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"
)

// Config says what to generate.
type Config struct {
	Records int       // total records
	Files   int       // spread over this many .json.gz files
	Roles   int       // distinct target roles
	Callers int       // distinct callers per role
	End     time.Time // records fall in the 14 days before End
	Seed    uint64
}

// Mix of record kinds, in percent (the rest are other API calls made with role sessions).
const (
	PctAssumeWithSI    = 45
	PctAssumeWithout   = 10
	PctAssumeChained   = 10
	PctService         = 10
	PctFailed          = 3
	PctSwitchRole      = 2
	PctOther           = 100 - PctAssumeWithSI - PctAssumeWithout - PctAssumeChained - PctService - PctFailed - PctSwitchRole
	account            = "111122223333"
	other              = "444455556666"
	sessionTokenLength = 720
)

var token = func() string {
	b := make([]byte, sessionTokenLength)
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	r := rand.New(rand.NewPCG(1, 2))
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}()

// Generator appends records.
type Generator struct {
	cfg Config
	r   *rand.Rand
	n   int
}

// New returns a generator.
func New(cfg Config) *Generator {
	return &Generator{cfg: cfg, r: rand.New(rand.NewPCG(cfg.Seed, 7))}
}

const ua = "aws-cli/2.15.0 md/awscrt#0.19.19 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.11.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#debian.12 md/prompt#off md/command#sts.assume-role"

// Append appends one record (a JSON object) to b.
func (g *Generator) Append(b []byte) []byte {
	g.n++
	r := g.r
	role := r.IntN(g.cfg.Roles)
	caller := r.IntN(g.cfg.Callers)
	at := g.cfg.End.Add(-time.Duration(r.Int64N(int64(14 * 24 * time.Hour)))).UTC().Format(time.RFC3339)
	id := fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", r.Uint32(), r.IntN(1<<16), r.IntN(1<<12), r.IntN(1<<12), r.Int64N(1<<48))
	roleARN := fmt.Sprintf("arn:aws:iam::%s:role/team%d/role-%d", account, role%10, role)
	roleName := fmt.Sprintf("role-%d", role)
	p := r.IntN(100)
	user := fmt.Sprintf(`{"type":"IAMUser","principalId":"AIDAEXAMPLE%09d","arn":"arn:aws:iam::%s:user/user-%d","accountId":"%s","accessKeyId":"AKIAEXAMPLE%09d","userName":"user-%d"}`, caller, account, caller, account, caller, caller)
	sess := func(si string) string {
		s := ""
		if si != "" {
			s = fmt.Sprintf(`,"sourceIdentity":%q`, si)
		}
		return fmt.Sprintf(`{"type":"AssumedRole","principalId":"AROAEXAMPLE%09d:session-%d","arn":"arn:aws:sts::%s:assumed-role/hop-%d/session-%d","accountId":"%s","accessKeyId":"ASIAEXAMPLE%09d","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLE%09d","arn":"arn:aws:iam::%s:role/hop-%d","accountId":"%s","userName":"hop-%d"},"attributes":{"creationDate":"%s","mfaAuthenticated":"false"}%s}}`,
			caller, r.IntN(1000), account, caller, r.IntN(1000), account, caller, caller, account, caller, account, caller, at, s)
	}
	assume := func(ident, si string, failed bool) []byte {
		req := fmt.Sprintf(`{"roleArn":%q,"roleSessionName":"session-%d","durationSeconds":3600`, roleARN, r.IntN(1000))
		if si != "" {
			req += fmt.Sprintf(`,"sourceIdentity":%q`, si)
		}
		req += "}"
		resp := "null"
		errs := ""
		if failed {
			errs = fmt.Sprintf(`"errorCode":"AccessDenied","errorMessage":"not authorized to perform: sts:AssumeRole on resource: %s",`, roleARN)
		} else {
			s := ""
			if si != "" {
				s = fmt.Sprintf(`,"sourceIdentity":%q`, si)
			}
			resp = fmt.Sprintf(`{"credentials":{"accessKeyId":"ASIAEXAMPLE%09d","sessionToken":"%s","expiration":"Nov 30, 2026 11:00:00 AM"},"assumedRoleUser":{"assumedRoleId":"AROAEXAMPLE%09d:session","arn":"arn:aws:sts::%s:assumed-role/%s/session"}%s}`, caller, token, role, account, roleName, s)
		}
		return fmt.Appendf(b, `{"eventVersion":"1.09","userIdentity":%s,"eventTime":"%s","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.%d","userAgent":%q,%s"requestParameters":%s,"responseElements":%s,"requestID":"%s","eventID":"%s","readOnly":true,"resources":[{"accountId":"%s","type":"AWS::IAM::Role","ARN":%q}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"%s","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"sts.us-east-1.amazonaws.com"}}`,
			ident, at, r.IntN(250), ua, errs, req, resp, id, id, account, roleARN, account)
	}
	switch {
	case p < PctAssumeWithSI:
		return assume(user, fmt.Sprintf("user-%d", caller), false)
	case p < PctAssumeWithSI+PctAssumeWithout:
		return assume(user, "", false)
	case p < PctAssumeWithSI+PctAssumeWithout+PctAssumeChained:
		return assume(sess(fmt.Sprintf("user-%d", caller)), "", false)
	case p < PctAssumeWithSI+PctAssumeWithout+PctAssumeChained+PctService:
		return assume(`{"type":"AWSService","invokedBy":"lambda.amazonaws.com"}`, "", false)
	case p < PctAssumeWithSI+PctAssumeWithout+PctAssumeChained+PctService+PctFailed:
		return assume(user, "", true)
	case p < PctAssumeWithSI+PctAssumeWithout+PctAssumeChained+PctService+PctFailed+PctSwitchRole:
		return fmt.Appendf(b, `{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE%09d:user-%d","arn":"arn:aws:sts::%s:assumed-role/%s/user-%d","accountId":"%s"},"eventTime":"%s","eventSource":"signin.amazonaws.com","eventName":"SwitchRole","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.%d","userAgent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36","requestParameters":null,"responseElements":{"SwitchRole":"Success"},"additionalEventData":{"SwitchFrom":"arn:aws:iam::%s:user/user-%d","RedirectTo":"https://us-east-1.console.aws.amazon.com/console/home?region=us-east-1"},"eventID":"%s","readOnly":false,"eventType":"AwsConsoleSignIn","managementEvent":true,"recipientAccountId":"%s","eventCategory":"Management"}`,
			role, caller, account, roleName, caller, account, at, r.IntN(250), other, caller, id, account)
	default:
		return fmt.Appendf(b, `{"eventVersion":"1.09","userIdentity":%s,"eventTime":"%s","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.%d","userAgent":%q,"requestParameters":{"instancesSet":{},"filterSet":{},"maxResults":1000},"responseElements":null,"requestID":"%s","eventID":"%s","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"%s","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"ec2.us-east-1.amazonaws.com"}}`,
			sess(fmt.Sprintf("user-%d", caller)), at, r.IntN(250), ua, id, id, account)
	}
}

// WriteFile writes one log file of n records to w ({"Records":[...]}) and returns the
// uncompressed byte count.
func (g *Generator) WriteFile(w io.Writer, n int) (int64, error) {
	var total int64
	buf := append(make([]byte, 0, 1<<20), `{"Records":[`...)
	for i := range n {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = g.Append(buf)
		if len(buf) > 1<<20-8<<10 {
			k, err := w.Write(buf)
			total += int64(k)
			if err != nil {
				return total, err
			}
			buf = buf[:0]
		}
	}
	buf = append(buf, "]}"...)
	k, err := w.Write(buf)
	return total + int64(k), err
}

// WriteTree writes cfg.Records records in cfg.Files gzip files under dir, laid out as a trail
// delivers them, and returns the uncompressed and compressed byte counts.
func WriteTree(dir string, cfg Config) (raw, compressed int64, err error) {
	g := New(cfg)
	per := (cfg.Records + cfg.Files - 1) / cfg.Files
	left := cfg.Records
	for f := 0; left > 0; f++ {
		n := min(per, left)
		left -= n
		path := filepath.Join(dir, "AWSLogs", account, "CloudTrail", "us-east-1", "2026", "11", "30",
			fmt.Sprintf("%s_CloudTrail_us-east-1_20261130T%04dZ_bench%05d.json.gz", account, f%2400, f))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return raw, compressed, err
		}
		out, err := os.Create(path)
		if err != nil {
			return raw, compressed, err
		}
		zw, _ := gzip.NewWriterLevel(out, gzip.DefaultCompression) // the level trails deliver is not documented; default is the usual
		k, err := g.WriteFile(zw, n)
		raw += k
		if cerr := zw.Close(); err == nil {
			err = cerr
		}
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return raw, compressed, err
		}
		if st, err := os.Stat(path); err == nil {
			compressed += st.Size()
		}
	}
	return raw, compressed, nil
}
