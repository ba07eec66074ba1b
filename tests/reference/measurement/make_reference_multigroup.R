# Reference numbers for the multi-group order test in tests/test_measurement_reference.py
# (lavaan numbers groups in the order of first appearance in the data; group.label= sets another order).
# Run from this directory:  Rscript make_reference_multigroup.R
# R packages (Debian): r-cran-lavaan, r-cran-jsonlite. Data: hs1939.csv (written by make_reference.R).
suppressPackageStartupMessages({ library(lavaan); library(jsonlite) })
hs <- read.csv("hs1939.csv")
model <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
ctl <- list()  # lavaan defaults (nlminb rel.tol 1e-10), as make_reference.R
keys <- c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "aic", "bic")
one <- function(group.equal, group.label = NULL) {
  f <- if (is.null(group.label))
    cfa(model, data = hs, group = "school", group.equal = group.equal, control = ctl) else
    cfa(model, data = hs, group = "school", group.equal = group.equal, group.label = group.label, control = ctl)
  pe <- parameterEstimates(f)
  means <- pe[pe$op == "~1" & pe$lhs %in% c("visual", "textual", "speed"), ]
  list(group_labels = lavInspect(f, "group.label"),
       fit = as.list(fitMeasures(f, keys)),
       latent_means = lapply(split(means, means$group), function(m)
         list(factor = m$lhs, est = m$est, se = m$se)))
}
out <- list(versions = list(lavaan = as.character(packageVersion("lavaan"))),
            configural = one(""), metric = one("loadings"),
            scalar = one(c("loadings", "intercepts")),
            scalar_grant_white_first = one(c("loadings", "intercepts"), c("Grant-White", "Pasteur")))
write_json(out, "reference_multigroup.json", digits = NA, auto_unbox = TRUE, pretty = FALSE)
cat("ok\n")
