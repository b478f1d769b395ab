"""upcell's scripts for xlwings Server."""
