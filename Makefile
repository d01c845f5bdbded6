# taskprof: the two commands of the README are `make demo` and `make test`.
SWIFT ?= swift
BIN := .build/release
OUT := out

.PHONY: all deps build demo test unit-test browser-test lint bench reports clean

all: build

deps:
	@Scripts/install-deps.sh build

build: deps
	$(SWIFT) build -c release

# Profiles a bundled example and writes the reports to out/.
demo: build
	@mkdir -p $(OUT)
	$(BIN)/taskprof record -o $(OUT)/demo.taskprof --html $(OUT)/demo.html --folded $(OUT)/demo.folded --json $(OUT)/demo.json -- $(BIN)/TwoTasks
	@echo
	@echo "demo: open $(OUT)/demo.html in a browser; folded stacks in $(OUT)/demo.folded"

test: build
	@Scripts/install-deps.sh test
	Scripts/lint.sh
	TASKPROF_BUILD_DIR=$(CURDIR)/$(BIN) $(SWIFT) test
	@$(MAKE) --no-print-directory browser-test

lint:
	@Scripts/install-deps.sh test
	Scripts/lint.sh

browser-test:
	@mkdir -p $(OUT)
	$(BIN)/taskprof record -q -o $(OUT)/browser.taskprof --html $(OUT)/browser.html -- $(BIN)/TwoTasks > /dev/null
	Tests/browser/check_report.sh $(OUT)/browser.html
	$(BIN)/taskprof record -q -o $(OUT)/browser-async.taskprof --html $(OUT)/browser-async.html -- $(BIN)/AsyncChain > /dev/null
	Tests/browser/check_report.sh $(OUT)/browser-async.html
	Tests/browser/check_report.sh $(OUT)/browser-async.html --physical
	$(BIN)/taskprof diff $(OUT)/browser.taskprof $(OUT)/browser-async.taskprof --html $(OUT)/browser-diff.html > /dev/null
	Tests/browser/check_report.sh $(OUT)/browser-diff.html --diff
	$(BIN)/taskprof record -q -o $(OUT)/browser-stuck.taskprof --html $(OUT)/browser-stuck.html -- $(BIN)/StuckTasks group 1200 > /dev/null
	Tests/browser/check_report.sh $(OUT)/browser-stuck.html --stuck 2

bench: build
	Scripts/bench.sh

reports: build
	Scripts/make-reports.sh

clean:
	rm -rf .build $(OUT)
