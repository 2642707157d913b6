# SPDX-License-Identifier: GPL-2.0
#
# Sphinx configuration for kmbox's Documentation/ (make htmldocs).  The
# pages are plain reStructuredText in the kernel's style and also read
# well on a code-hosting site without Sphinx.
project = "kmbox"
copyright = "the kmbox developers"
master_doc = "index"
exclude_patterns = ["output"]
html_theme = "alabaster"
html_show_sourcelink = False
