# Reference numbers for the reliability of two-item scales (tests/test_measurement_questionnaires.py).
# Run from this directory:  Rscript make_reference_two_item.R
# For two items the Spearman-Brown coefficient 2r/(1+r) (Eisinga, te Grotenhuis & Pelzer 2013)
# equals psych's standardized alpha; psych::splitHalf gives the same number as its only split.
# R packages (Debian): r-cran-psych, r-cran-jsonlite.
suppressPackageStartupMessages({ library(psych); library(jsonlite) })
d <- read.csv("two_item_scales.csv")
one <- function(x) {
  x <- x[complete.cases(x), ]
  r <- cor(x)[1, 2]
  a <- psych::alpha(x, warnings = FALSE)
  sh <- psych::splitHalf(x)
  list(n = nrow(x), r = r, spearman_brown = 2 * r / (1 + r), std_alpha = a$total$std.alpha,
       raw_alpha = a$total$raw_alpha, split_half_max = sh$maxrb, split_half_mean = sh$meanr)
}
out <- list(versions = list(psych = as.character(packageVersion("psych"))),
            l = one(d[, c("l1", "l2")]), m = one(d[, c("m1", "m2")]))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "reference_two_item.json")
