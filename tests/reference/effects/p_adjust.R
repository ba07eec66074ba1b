# Reference values for fusion_study.effects.adjust_pvalues (Holm and Benjamini-Hochberg).
# Run from this folder: Rscript p_adjust.R   (base R stats::p.adjust, jsonlite from Debian)
# The small vector has a missing value and is unsorted; its values can be checked by hand
# (the "by_hand" entries, worked out step by step in the "how" field of p_adjust.json).
suppressMessages(library(jsonlite))
p <- c(0.01, 0.04, 0.03, 0.005, NA, 0.2)
out <- list(
  how = paste(
    "R stats::p.adjust on p (NA kept, n = 5 non-missing).",
    "By hand, sorted p = 0.005, 0.01, 0.03, 0.04, 0.2.",
    "Holm: running max of (5, 4, 3, 2, 1) * sorted p = 0.025, 0.04, 0.09, 0.09, 0.2.",
    "BH: running min from the top of (5/1, 5/2, 5/3, 5/4, 5/5) * sorted p = 0.025, 0.025, 0.05, 0.05, 0.2.",
    "Both mapped back to the input order."),
  versions = list(R = R.version.string),
  p = p,
  holm = p.adjust(p, "holm"),
  bh = p.adjust(p, "BH"),
  by_hand = list(holm = c(0.04, 0.09, 0.09, 0.025, NA, 0.2), bh = c(0.025, 0.05, 0.05, 0.025, NA, 0.2))
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"), "p_adjust.json")
