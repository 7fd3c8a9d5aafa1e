# make test runs every check CI runs, in every module of the repository.
GO          ?= go
MODULES     := . bench
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: test fmt vet staticcheck deps unit allocs demo bench

test: fmt vet staticcheck deps unit allocs

# gofmt: fail on any unformatted file.
fmt:
	@out=$$(gofmt -l $$(find . -name '*.go' -not -path './.git/*')); \
	if [ -n "$$out" ]; then echo "gofmt -l reports unformatted files:"; echo "$$out"; exit 1; fi

vet:
	@for m in $(MODULES); do echo "go vet ($$m)"; (cd $$m && $(GO) vet ./...) || exit 1; done

staticcheck:
	@for m in $(MODULES); do echo "staticcheck ($$m)"; (cd $$m && $(GO) run $(STATICCHECK) ./...) || exit 1; done

# deps: the production build (non-test packages of the main module) must not import testing.
deps:
	@bad=$$($(GO) list -deps $$($(GO) list ./...) | grep -E '^testing(/|$$)' || true); \
	if [ -n "$$bad" ]; then echo "production packages import: $$bad"; exit 1; fi; echo "deps: testing is not in the production graph"

unit:
	@for m in $(MODULES); do echo "go test -race ($$m)"; (cd $$m && $(GO) test -race -count=1 ./...) || exit 1; done

# allocs: the allocation tests skip under -race (the race detector
# allocates), so they run once more without it.
allocs:
	@echo "go test -run Alloc (without -race)"; $(GO) test -count=1 -run 'Alloc' ./...

demo:
	$(GO) run ./cmd/patinox-mem demo

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
