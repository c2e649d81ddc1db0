# source-identity-guard
# sam build runs `make build-<LogicalId>` from a copy of the project root (CodeUri: .)
# and sets ARTIFACTS_DIR.

GO ?= go

.PHONY: test vet fmt-check
test: fmt-check vet
	$(GO) test ./...

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
