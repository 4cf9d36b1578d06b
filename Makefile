# The two commands the README starts with. Each is one script; the scripts install what they need.
.PHONY: up test test-unit test-fleet lint molecule bench
up:
	scripts/up
test:
	scripts/test
test-unit:
	scripts/test unit
test-fleet:
	scripts/test fleet
lint:
	scripts/test lint
molecule:
	scripts/molecule default
bench:
	.venv/bin/python benchmarks/workstation
