"""Small data sets that ship with Chainrule (see README.md here for sources and licences)."""
