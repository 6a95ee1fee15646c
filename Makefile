# The two commands of the README. Both install what is missing first.
OUT ?= out/synthetic
JOBS ?= 2

.PHONY: setup run test bench

setup:
	./scripts/setup

run: setup
	.venv/bin/archocr run scans/synthetic --out $(OUT) --jobs $(JOBS)
	.venv/bin/archocr eval groundtruth/synthetic $(OUT)

test: setup
	.venv/bin/python -m pytest -q
