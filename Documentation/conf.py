# SPDX-License-Identifier: GPL-2.0
#
# Sphinx configuration for kmbox's Documentation/ (make htmldocs).  The
# pages are plain reStructuredText in the kernel's style and also read
# well on a code-hosting site without Sphinx.
import os
import sys

# kmboxdoc: the library API from userlib/kmbox.h, and checked references
# to the source and the examples (Documentation/sphinx/kmboxdoc.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "sphinx"))
extensions = ["kmboxdoc"]

project = "kmbox"
copyright = "the kmbox developers"
master_doc = "index"
exclude_patterns = ["output"]
html_theme = "alabaster"
html_show_sourcelink = False
