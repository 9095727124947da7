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
	./internal/analyze/ ./internal/interpreters/ ./internal/tasks/ ./internal/mirror/

# The whole suite: installs the real clients it drives, lints, runs every Go test, the
# concurrent packages again under -race, and every fuzz target for FUZZTIME.
test: test-deps lint
	$(GO) test -p 2 -timeout 30m ./...
	$(GO) test -race -short -p 2 -timeout 20m $(RACE_PKGS)
	./scripts/fuzz-all.sh $(FUZZTIME)

# staticcheck, pinned (module v0.8.2 is staticcheck 2026.2.2) so that CI and every
# machine report the same findings; installed once next to the test tools, under a name
# that carries its version, so that moving the pin installs the new one.
STATICCHECK_VERSION = v0.8.2
TOOLS_DIR = $(abspath $(or $(PYDEPOT_TEST_TOOLS),.tools))
STATICCHECK ?= $(TOOLS_DIR)/go/staticcheck-$(STATICCHECK_VERSION)

$(STATICCHECK):
	mkdir -p $(@D)/staging
	GOBIN=$(@D)/staging $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	mv $(@D)/staging/staticcheck $@

lint: $(STATICCHECK)
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt -l:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(STATICCHECK) ./...

# Every fuzz target for FUZZTIME each, one after the other (25 targets at 4s: about
# 3 minutes, builds included); a crasher fails the run and is left in the package's
# testdata/fuzz/ as a new seed. The seed corpora alone run in every `go test`.
FUZZTIME ?= 4s

fuzz:
	./scripts/fuzz-all.sh $(FUZZTIME)

# Go benchmarks, then the side-by-side runs against the reference tools, printed as ratios.
bench: test-deps build
	$(GO) test -run '^$$' -bench . -benchmem ./...
	./bench/run-all.sh

clean:
	rm -rf bin .bench
