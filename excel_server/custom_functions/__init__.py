"""upcell's functions as xlwings Server custom functions: every Excel function of udfs."""

from udfs import *  # noqa: F403
