// Command collect is the Collect Lambda: EventBridge delivers STS AssumeRole* and console
// SwitchRole CloudTrail records (AWS services' and failed calls already dropped by the rule's
// pattern) and each becomes one readiness observation in the DynamoDB ledger. Wiring only:
// the logic is in shared/collector, shared/readiness and shared/ledger.
package main

import (
	"context"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/source-identity-guard/source-identity-guard/shared/awsconfig"
	"github.com/source-identity-guard/source-identity-guard/shared/collector"
	"github.com/source-identity-guard/source-identity-guard/shared/ledger"
)

// EnvTable names the ledger table; EnvRetentionDays the evidence's TTL (default 90).
const (
	EnvTable         = "LEDGER_TABLE"
	EnvRetentionDays = "RETENTION_DAYS"
)

func main() {
	logger := lambdacontext.NewLogger()
	table := os.Getenv(EnvTable)
	if table == "" {
		logger.Error("startup failed", "err", EnvTable+" is not set")
		os.Exit(1)
	}
	retention := ledger.DefaultRetention
	if v := os.Getenv(EnvRetentionDays); v != "" {
		d, err := time.ParseDuration(v + "h")
		if err != nil || d <= 0 {
			logger.Error("startup failed", "err", EnvRetentionDays+" must be a positive number of days", "value", v)
			os.Exit(1)
		}
		retention = d * 24
	}
	cfg, err := awsconfig.Load(context.Background(), awsconfig.Options{})
	if err != nil {
		logger.Error("startup failed", "err", err)
		os.Exit(1)
	}
	c := &collector.Collector{Store: ledger.New(dynamodb.NewFromConfig(cfg), table, retention), Logger: logger}
	lambda.StartHandlerFunc(c.Handle)
}
