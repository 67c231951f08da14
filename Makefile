# mlflowctl — build, test, lint, release checks.
GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo none)
DATE     ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS  := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.date=$(DATE)
BIN      := bin/mlflowctl
TOOLS    := $(CURDIR)/.tools
GOLANGCI_LINT_VERSION := v2.15.0
GORELEASER_VERSION    := v2.16.0
GOTESTSUM_VERSION     := v1.13.0

.PHONY: build test test-go test-node lint fmt-check vet release-check tools clean

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/mlflowctl

## test: every test — Go (with the race detector) and Node.
test: test-go test-node

# gotestsum prints a closing "DONE N tests" summary; the tests are plain go test.
test-go: $(TOOLS)/gotestsum
	$(TOOLS)/gotestsum --format pkgname-and-test-fails -- -race -count=1 ./...

# Node tests live beside the code they test (templates/**/*.test.mjs).
test-node:
	@files=$$(find templates -name '*.test.mjs' 2>/dev/null | sort); \
	if [ -n "$$files" ]; then node --test $$files; else echo "no Node tests"; fi

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

$(TOOLS)/gotestsum:
	GOBIN=$(TOOLS) $(GO) install gotest.tools/gotestsum@$(GOTESTSUM_VERSION)

$(TOOLS)/golangci-lint:
	GOBIN=$(TOOLS) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)

$(TOOLS)/goreleaser:
	GOBIN=$(TOOLS) $(GO) install github.com/goreleaser/goreleaser/v2@$(GORELEASER_VERSION)

tools: $(TOOLS)/gotestsum $(TOOLS)/golangci-lint $(TOOLS)/goreleaser

lint: $(TOOLS)/golangci-lint
	$(TOOLS)/golangci-lint run ./...

release-check: $(TOOLS)/goreleaser
	$(TOOLS)/goreleaser check

clean:
	rm -rf bin dist mlflowctl.out
