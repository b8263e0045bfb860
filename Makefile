# Convenience targets; the README's two commands are scripts/demo.sh and scripts/test.sh.
.PHONY: setup demo test bench lint clean

setup:
	bash scripts/setup.sh

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh

bench: setup
	.venv/bin/testbed bench

lint: setup
	.venv/bin/ruff check testbed tests benchmarks

clean:
	rm -rf build
