# Reference values for fusion_study.survey (weights.py, design.py), from R survey on its `api` data.
# Run from this folder: Rscript make_reference.R   (Debian r-cran-survey, r-cran-jsonlite).
# Writes the columns the tests need of apistrat, apiclus1 and apipop (sch.wide -> sch_wide) as CSV,
# and survey_reference.json with, per case, the design (the svydesign call), the estimates, SEs and
# 95% confidence intervals (confint: normal quantiles) of svymean / svyby, and raked / post-stratified
# weights. Raking runs to full convergence (control: maxit 200, epsilon 1e-14 of the weight total).
suppressMessages({library(survey); library(jsonlite)})
data(api)
keep <- function(d, cols) { d <- d[, cols]; names(d) <- sub("sch.wide", "sch_wide", names(d), fixed = TRUE); d }
strat <- keep(apistrat, c("snum", "dnum", "stype", "sch.wide", "awards", "api00", "api99", "pw", "fpc"))
clus1 <- keep(apiclus1, c("snum", "dnum", "stype", "sch.wide", "awards", "api00", "api99", "pw", "fpc"))
pop <- keep(apipop, c("stype", "sch.wide", "awards"))
write.csv(strat, "apistrat.csv", row.names = FALSE)
write.csv(clus1, "apiclus1.csv", row.names = FALSE)
write.csv(pop, "apipop.csv", row.names = FALSE)

# a svymean result (numeric or factor) -> rows
rows_of <- function(est, extra = list()) {
  ci <- confint(est)
  lev <- names(coef(est))
  lapply(seq_along(lev), function(i) c(extra, list(term = lev[i], estimate = unname(coef(est)[i]),
    se = unname(SE(est)[i]), ci_lower = unname(ci[i, 1]), ci_upper = unname(ci[i, 2]))))
}
# per-domain estimates through subset() (what svyby does): the full design is kept
by_rows <- function(formula, design, byvar) {
  levs <- sort(unique(as.character(design$variables[[byvar]])))
  do.call(c, lapply(levs, function(g) {
    sub <- design[as.character(design$variables[[byvar]]) == g, ]
    rows_of(svymean(formula, sub), setNames(list(g), byvar))
  }))
}
cases <- list()
add <- function(name, data, design_args, y, est_rows, by = NULL) {
  cases[[name]] <<- list(data = data, design = design_args, y = y, by = by, rows = est_rows)
}
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = strat)
dstrat_fpc <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = strat)
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = clus1)
dclus1_fpc <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = clus1)
dboth <- svydesign(id = ~dnum, strata = ~stype, weights = ~pw, nest = TRUE, data = clus1)
dsrs <- svydesign(id = ~1, weights = ~pw, data = strat)
S <- list(weights = "pw", strata = "stype"); C <- list(weights = "pw", cluster = "dnum")
add("strat_mean", "apistrat.csv", S, "api00", rows_of(svymean(~api00, dstrat)))
add("strat_fpc_mean", "apistrat.csv", c(S, fpc = "fpc"), "api00", rows_of(svymean(~api00, dstrat_fpc)))
add("strat_prop", "apistrat.csv", S, "awards", rows_of(svymean(~awards, dstrat)))
add("unclustered_mean", "apistrat.csv", list(weights = "pw"), "api00", rows_of(svymean(~api00, dsrs)))
add("clus_mean", "apiclus1.csv", C, "api00", rows_of(svymean(~api00, dclus1)))
add("clus_fpc_mean", "apiclus1.csv", c(C, fpc = "fpc"), "api00", rows_of(svymean(~api00, dclus1_fpc)))
add("clus_prop", "apiclus1.csv", C, "stype", rows_of(svymean(~stype, dclus1)))
add("strat_clus_mean", "apiclus1.csv", list(weights = "pw", cluster = "dnum", strata = "stype"), "api99",
    rows_of(svymean(~api99, dboth)))
add("strat_by_mean", "apistrat.csv", S, "api00", by_rows(~api00, dstrat, "sch_wide"), by = "sch_wide")
add("clus_by_mean", "apiclus1.csv", C, "api00", by_rows(~api00, dclus1, "stype"), by = "stype")
add("clus_by_prop", "apiclus1.csv", C, "awards", by_rows(~awards, dclus1, "stype"), by = "stype")
# svyby itself agrees with the subset() loop above
sb <- svyby(~api00, ~stype, dclus1, svymean)
stopifnot(isTRUE(all.equal(unname(coef(sb)), sapply(cases$clus_by_mean$rows, `[[`, "estimate"))))
stopifnot(isTRUE(all.equal(unname(SE(sb)), sapply(cases$clus_by_mean$rows, `[[`, "se"))))

# raking and post-stratification: population margins counted from apipop
margin <- function(v) { t <- table(pop[[v]]); setNames(data.frame(names(t), as.vector(t)), c(v, "Freq")) }
ctl <- list(maxit = 200, epsilon = 1e-14)
rclus1 <- rake(dclus1, list(~stype, ~sch_wide), list(margin("stype"), margin("sch_wide")), control = ctl)
rstrat <- rake(dstrat, list(~stype, ~sch_wide, ~awards),
               list(margin("stype"), margin("sch_wide"), margin("awards")), control = ctl)
pclus1 <- postStratify(dclus1, ~stype, margin("stype"))
# the SE of the mean under the raked weights taken as fixed, and R's calibration-aware SE
fixed <- svydesign(id = ~dnum, weights = ~w, data = transform(clus1, w = weights(rclus1)))
weights_cases <- list(
  rake_clus1 = list(data = "apiclus1.csv", weight = "pw", margins = c("stype", "sch_wide"),
                    weights = unname(weights(rclus1)),
                    mean_fixed = rows_of(svymean(~api00, fixed)), mean_calibrated = rows_of(svymean(~api00, rclus1))),
  rake_strat = list(data = "apistrat.csv", weight = "pw", margins = c("stype", "sch_wide", "awards"),
                    weights = unname(weights(rstrat))),
  poststratify_clus1 = list(data = "apiclus1.csv", weight = "pw", by = "stype", weights = unname(weights(pclus1)))
)
out <- list(versions = list(R = R.version.string, survey = as.character(packageVersion("survey"))),
            means = cases, weights = weights_cases)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "survey_reference.json")
