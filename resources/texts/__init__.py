"""Short texts shipped for next-character prediction (written for Chainrule, free to reuse)."""
