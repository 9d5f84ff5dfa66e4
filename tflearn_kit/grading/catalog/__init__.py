"""One module per notebook: its exercises, with visible and hidden cases."""
