# kerasgen — see README.md. Every target installs what it needs (go mod download).
GO      ?= go
SHARED  ?= ../shared
FUZZTIME ?= 60s

.PHONY: all deps build test vet fmt-check asm asm-check demo golden fuzz clean

all: build

deps:
	$(GO) mod download

build: deps
	$(GO) build ./...

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

# Regenerate the amd64 kernels from their avo programs (asm/ is a separate module, so users
# of kerasgen never depend on avo): each asm/NAME/ writes runtime/NAME_amd64.s and
# runtime/NAME_stubs_amd64.go.
ASM_GENERATORS := $(notdir $(patsubst %/,%,$(dir $(wildcard asm/*/main.go))))
asm:
	@for g in $(ASM_GENERATORS); do \
		echo "asm: $$g"; \
		(cd asm && $(GO) run ./$$g -out ../runtime/$${g}_amd64.s -stubs ../runtime/$${g}_stubs_amd64.go) || exit 1; \
	done

# Fail when the checked-in kernels differ from what their generators write.
asm-check: asm
	git diff --exit-code -- 'runtime/*_amd64.s' 'runtime/*_stubs_amd64.go'
	@out=$$(git status --porcelain -- 'runtime/*_amd64.s' 'runtime/*_stubs_amd64.go'); \
	if [ -n "$$out" ]; then echo "generated kernels not checked in:"; echo "$$out"; exit 1; fi

# The test suite: unit and table tests, every golden and corpus case from $(SHARED), the
# fuzz seed corpora (run as plain tests); then all of it again on the pure-Go kernels
# (GOFLAGS reaches the generated packages the tests build too) and at each forced kernel
# level (KERASGEN_CPU reaches the processes they run); the runtime's tests and every golden and
# corpus model in each form of the AVX-512 kernels (KERASGEN_ZMM: Zen 4's and the others', the
# host's form being one of them); every golden and corpus model again on three threads (the
# split kernels on real models). Keep under 15 minutes on 2 cores.
test: deps fmt-check vet asm-check
	$(GO) test -count=1 -timeout 20m ./...
	GOFLAGS=-tags=purego $(GO) test -count=1 ./...
	KERASGEN_CPU=avx2 $(GO) test -count=1 ./...
	KERASGEN_CPU=generic $(GO) test -count=1 ./...
	KERASGEN_ZMM=halves $(GO) test -count=1 ./runtime/
	KERASGEN_ZMM=halves $(GO) test -count=1 -run 'TestEndToEnd' ./internal/compile/
	KERASGEN_ZMM=full $(GO) test -count=1 ./runtime/
	KERASGEN_ZMM=full $(GO) test -count=1 -run 'TestEndToEnd' ./internal/compile/
	KERASGEN_THREADS=2 $(GO) test -count=1 -run 'TestBenchModels' ./internal/compile/
	KERASGEN_THREADS=3 $(GO) test -count=1 -run 'TestEndToEnd' ./internal/compile/
	$(GO) test -count=1 -run 'TestBenchModels' ./internal/compile/ -args -precision bf16

# Compile the bundled example model (go generate runs kerasgen build) and run it.
demo: deps
	$(GO) run ./cmd/kerasgen inspect examples/models/mlp/model.json
	$(GO) generate ./examples/mlp
	$(GO) run ./examples/demo

# Regenerate the checked-in generated code (examples and golden/ snapshots).
golden: deps
	$(GO) generate ./examples/...
	$(GO) test ./internal/compile -run TestGeneratedCodeGolden -update

# Run each fuzzer for $(FUZZTIME) (new crashers land in testdata/fuzz and become tests).
fuzz: deps
	$(GO) test -run='^$$' -fuzz=FuzzOpen -fuzztime=$(FUZZTIME) ./hdf5/
	$(GO) test -run='^$$' -fuzz=FuzzRead -fuzztime=$(FUZZTIME) ./frontend/tfjs/
	$(GO) test -run='^$$' -fuzz=FuzzReadNPY -fuzztime=$(FUZZTIME) ./runtime/
	$(GO) test -run='^$$' -fuzz=FuzzReadNPZ -fuzztime=$(FUZZTIME) ./runtime/
	$(GO) test -run='^$$' -fuzz=FuzzParseConfig -fuzztime=$(FUZZTIME) ./frontend/
	$(GO) test -run='^$$' -fuzz=FuzzLoadKeras -fuzztime=$(FUZZTIME) ./frontend/
	$(GO) test -run='^$$' -fuzz=FuzzLoadH5 -fuzztime=$(FUZZTIME) ./frontend/
	$(GO) test -run='^$$' -fuzz=FuzzParse -fuzztime=$(FUZZTIME) ./ir/

clean:
	$(GO) clean -testcache
