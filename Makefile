# pydepot's everyday targets. `make test` is what CI runs (.ci/run).
GO ?= go
BIN ?= bin/pydepot

.PHONY: build test test-deps test-clients lint fuzz bench serve clean

build:
	CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/pydepot

serve: build
	$(BIN) serve

# apt packages, and today's clients pinned in scripts/test-tools, one venv each in .tools/
# (PYDEPOT_TEST_TOOLS to put them elsewhere); quick when they are there.
test-deps:
	./scripts/install-test-deps.sh

# The client matrix alone (it is part of `make test`): uploads, installs, locks and private
# reads with each client against the real binary.
CLIENT_TESTS = TestToolsArePinnedVersions|TestPublishWithEachClient|TestInstallAndLockWithEachClient|TestPrivateDistributionWithEachClient|TestUvExcludeNewer|TestOldClients|TestTwineReusedFilename|TestPipDownloadRequireHashes

test-clients: test-deps
	$(GO) test -count=1 -timeout 20m -run '$(CLIENT_TESTS)' ./internal/testdist/ ./internal/e2e/

# Packages whose code runs concurrently; `make test` runs them again under the race detector.
RACE_PKGS = ./internal/index/ ./internal/blobstore/... ./internal/metastore/... ./internal/server/ \
	./internal/envrun/ ./internal/installer/ ./internal/envs/ ./internal/resolver/ ./internal/simpleindex/ \
	./internal/analyze/ ./internal/interpreters/ ./internal/tasks/

# The whole suite: installs the real clients it drives, then every Go test, then the
# concurrent packages under -race.
test: test-deps
	$(GO) vet ./...
	$(GO) test -p 2 -timeout 30m ./...
	$(GO) test -race -short -p 2 -timeout 20m $(RACE_PKGS)

STATICCHECK ?= $(shell $(GO) env GOPATH)/bin/staticcheck

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	test -x $(STATICCHECK) || $(GO) install honnef.co/go/tools/cmd/staticcheck@latest
	$(STATICCHECK) ./...

# Short runs of every fuzz target (the seed corpora under testdata/fuzz run in `make test`).
fuzz:
	./scripts/fuzz-all.sh 10s

# Go benchmarks, then the side-by-side runs against the reference tools, printed as ratios.
bench: test-deps build
	$(GO) test -run '^$$' -bench . -benchmem ./...
	./bench/run-all.sh

clean:
	rm -rf bin .bench
