# Makefile: the front door. A thin wrapper over CMake that first installs any
# missing Debian packages (scripts/deps.sh); the build itself lives in
# CMakeLists.txt, and docs/build.md explains the options.
#
#   make run     install, build, train LeNet-5 on Fashion-MNIST (scripts/train_fmnist.lua)
#   make test    install, build, run the whole test suite (ctest)
#   make asan    the test suite under AddressSanitizer + UBSan (build-asan/)
#   make bench   tensh against PyTorch (bench/run.sh)
#   make repl    start the REPL
#   make clean   remove the build directories

BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
# Extra CMake arguments, e.g. make CMAKE_ARGS=-DTENSH_WERROR=ON test. A build
# directory remembers what it was configured with.
CMAKE_ARGS ?=
# No test may hang a run: ctest kills one after this many seconds.
CTEST_TIMEOUT ?= 300
# cmake --build runs make below us: keep its output free of directory noise.
MAKEFLAGS += --no-print-directory

# Sanitizer settings for make asan (and so .ci/run); lsan.supp says why each
# of its entries is there. The environment wins when it sets these.
asan: export ASAN_OPTIONS  ?= detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1
asan: export UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1
asan: export LSAN_OPTIONS  ?= suppressions=$(CURDIR)/.ci/lsan.supp:print_suppressions=0

.PHONY: all deps build run test asan bench repl clean

all: build

deps:
	@scripts/deps.sh

build: deps
	@cmake -S . -B $(BUILD) $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/tensh scripts/train_fmnist.lua $(ARGS)

# ctest's summary is the last thing printed.
test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout $(CTEST_TIMEOUT)

asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG='-O1 -g' \
	  -DTENSH_SANITIZE=ON $(CMAKE_ARGS) >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS) --timeout $(CTEST_TIMEOUT)

bench: build
	@bench/run.sh

repl: build
	@$(BUILD)/tensh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
