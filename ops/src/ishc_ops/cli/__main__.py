"""`python -m ishc_ops.cli`: the same as the `ishc` script."""

from ishc_ops.cli import main

main()
