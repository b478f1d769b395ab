"""One module per sheet of the Excel model; ``cells`` holds what they share."""
