"""A monthly cost estimate per environment, from each stack's synthesized model and a dated
table of AWS on-demand prices (prices.yaml). `epa cost`; see cli.py."""
