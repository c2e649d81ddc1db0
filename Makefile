# source-identity-guard
# sam build runs `make build-<LogicalId>` from a copy of the project root (CodeUri: .)
# and sets ARTIFACTS_DIR.

GO ?= go

# Lambda builds: keep GOARCH_LAMBDA in step with Architectures in template.yaml. Each
# build-<LogicalId> target also works by hand: make build-EnforceFunction ARTIFACTS_DIR=dir
# (default build/<LogicalId>).
GOARCH_LAMBDA := arm64
LAMBDA_GOFLAGS := -trimpath -tags lambda.norpc -ldflags='-s -w'
# $(call build-lambda,<LogicalId>,<package>)
define build-lambda
	@mkdir -p "$(or $(ARTIFACTS_DIR),build/$(1))"
	CGO_ENABLED=0 GOOS=linux GOARCH=$(GOARCH_LAMBDA) $(GO) build $(LAMBDA_GOFLAGS) \
		-o "$(or $(ARTIFACTS_DIR),build/$(1))/bootstrap" $(2)
endef

.PHONY: build-EnforceFunction
build-EnforceFunction:
	$(call build-lambda,EnforceFunction,./functions/enforce)

.PHONY: build-SweepFunction
build-SweepFunction:
	$(call build-lambda,SweepFunction,./functions/sweep)

# The AWS Lambda Runtime Interface Emulator, pinned (same pin as shared/harness/lambdaemu.RIEVersion;
# a test checks that they agree). Tests install it themselves when it is missing.
RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d
RIE_MODULE := github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie
RIE := bin/aws-lambda-rie

.PHONY: rie
rie:
	@$(GO) version -m $(RIE) 2>/dev/null | grep -q '$(RIE_VERSION)' || \
		{ echo "installing $(RIE_MODULE)@$(RIE_VERSION) into bin/"; \
		  GOBIN=$(CURDIR)/bin CGO_ENABLED=0 $(GO) install $(RIE_MODULE)@$(RIE_VERSION); }

.PHONY: test vet fmt-check
test: fmt-check vet
	$(GO) test ./...

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# Runs the real bootstrap under the emulator against moto_server on 127.0.0.1: a few roles,
# their CloudTrail events, the decisions and before/after diffs. Stops everything it started.
.PHONY: demo
demo: rie
	$(GO) run ./cmd/demo

# Cold start, latency, peak memory, binary size and API calls per event of the Enforce
# function under the emulator, next to the Python + boto3 baseline.
# BENCH_FLAGS: e.g. -n 50 -cold 30 -python=false (go run ./cmd/bench -h).
.PHONY: bench
bench: rie
	$(GO) run ./cmd/bench $(BENCH_FLAGS)

# Trust-policy engine: Parse, Check, Fix and Parse+Fix+Marshal next to a plain encoding/json
# unmarshal+marshal of the same bytes (the floor), typical 2-statement policy and a 2 KB one.
.PHONY: bench-engine
bench-engine:
	$(GO) test -run '^$$' -bench . -benchmem -count $(or $(COUNT),5) ./shared/trustpolicy

# Optional cross-check of trustpolicy.Evaluate against @cloud-copilot/iam-simulate (AGPL-3.0,
# test-only devDependency in shared/trustpolicy/testdata/oracle, never shipped; needs Node 20+).
.PHONY: engine-oracle
engine-oracle:
	cd shared/trustpolicy/testdata/oracle && npm ci --no-audit --no-fund
	TRUSTPOLICY_ORACLE=1 $(GO) test -run TestOracle -v ./shared/trustpolicy

# Sweep on 5,000 roles (and 1,000, to show memory is flat) in moto_server: wall time, API calls by
# operation, peak memory, next to a baseline client that makes the same calls with no logic.
# N=... sets the sizes (comma-separated).
.PHONY: bench-sweep
bench-sweep:
	$(GO) run ./cmd/benchsweep $(if $(N),-n $(N))

.PHONY: cfn-lint
cfn-lint:
	cfn-lint template.yaml

.PHONY: clean
clean:
	rm -rf build .aws-sam

# [org] Organization-wide guardrail: an org sweep of 10 accounts x 500 roles against one 500-role
# account (in-process IAM model: IAM's limits are per account), and sts:AssumeRole per account for
# 100 events through the real Enforce bootstrap under the emulator (docs/organization.md).
.PHONY: bench-org
bench-org: rie
	$(GO) run ./cmd/benchorg $(BENCH_ORG_FLAGS)

# [org] cfn-lint of the member stack (plain CloudFormation, deployed by the hub's StackSet).
.PHONY: cfn-lint-member
cfn-lint-member:
	cfn-lint -- member-template.yaml
# The trust policies of this repository's own templates, checked as sidguard lint checks
# yours (docs/callers.md).
.PHONY: lint-trust-policies
lint-trust-policies:
	$(GO) run ./cmd/sidguard lint $(wildcard *template.yaml)
# evidence: the Collect function (live readiness evidence).
.PHONY: build-CollectFunction
build-CollectFunction:
	$(call build-lambda,CollectFunction,./functions/collect)

# evidence: readiness over 1 million generated CloudTrail records (throughput, peak memory).
.PHONY: bench-readiness
bench-readiness:
	go run ./cmd/benchreadiness
# HTML report (sidguard report) on a synthetic organization of 500 accounts x 200 roles: file
# size, Go time and headless Chromium's load time (goals: < 5 MB, < 2 s). Needs Debian's chromium.
# BENCHREPORT_FLAGS: e.g. -accounts 100 -runs 5 -mix mid (go run ./cmd/benchreport -h).
.PHONY: bench-report
bench-report:
	$(GO) run ./cmd/benchreport $(BENCHREPORT_FLAGS)

# Optional accessibility check of the HTML report with axe-core (MPL-2.0, test-only npm
# devDependency in shared/htmlreport/testdata/axe, never shipped; needs Node and Chromium).
.PHONY: report-axe
report-axe:
	cd shared/htmlreport/testdata/axe && npm ci --no-audit --no-fund
	SIDGUARD_AXE=1 $(GO) test -run TestAxe -v ./shared/htmlreport

# the Promote function (template block "promote")
.PHONY: build-PromoteFunction
build-PromoteFunction:
	$(call build-lambda,PromoteFunction,./functions/promote)

# [regional] cfn-lint of the evidence forwarder (plain CloudFormation, deployed per region by
# EvidenceStackSet or by hand; docs/rollout.md "Every region").
.PHONY: cfn-lint-evidence-forwarder
cfn-lint-evidence-forwarder:
	cfn-lint -- evidence-forwarder-template.yaml
