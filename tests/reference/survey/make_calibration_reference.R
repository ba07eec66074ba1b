# Reference values for calibration-aware and replicate-weight SEs (fusion_study.survey.calibration,
# .replicates, design.survey_mean), from R survey on its `api` data (the CSVs written by make_reference.R)
# and on a frame of the bundled example study (export_example_calibration.py).
# Run from this folder: Rscript make_calibration_reference.R   (Debian r-cran-survey, r-cran-jsonlite).
# Writes calibration_reference.json (per case: data, design, calibration, y, by, and svymean / svyby rows:
# estimate, SE, confint) and bootstrap_clus1_factors.csv (R's bootstrap replicate multipliers, seed 20261203).
suppressMessages({library(survey); library(jsonlite)})
options(survey.replicates.mse = FALSE)
strat <- read.csv("apistrat.csv"); clus1 <- read.csv("apiclus1.csv"); pop <- read.csv("apipop.csv")
ex <- read.csv("example_calibration.csv"); exm <- read.csv("example_margins.csv")
for (v in c("stype", "sch_wide", "awards")) { strat[[v]] <- factor(strat[[v]]); clus1[[v]] <- factor(clus1[[v]]) }
for (v in c("county_id", "segment", "branch_id")) ex[[v]] <- factor(ex[[v]])

rows_of <- function(est, extra = list()) {
  ci <- confint(est); lev <- names(coef(est))
  lapply(seq_along(lev), function(i) c(extra, list(term = lev[i], estimate = unname(coef(est)[i]),
    se = unname(SE(est)[i]), ci_lower = unname(ci[i, 1]), ci_upper = unname(ci[i, 2]))))
}
by_rows <- function(formula, design, byvar) {
  sb <- svyby(formula, as.formula(paste0("~", byvar)), design, svymean)
  est <- coef(sb); se <- SE(sb); ci <- confint(sb)
  keys <- as.character(sb[[byvar]])
  nl <- length(est) / length(keys)
  terms <- sub("^[^:]*:", "", names(est))
  out <- list()
  for (k in seq_along(est)) {
    g <- keys[(k - 1) %% length(keys) + 1]
    out[[k]] <- c(setNames(list(g), byvar), list(term = terms[k], estimate = unname(est[k]), se = unname(se[k]),
                  ci_lower = unname(ci[k, 1]), ci_upper = unname(ci[k, 2])))
  }
  # svyby orders (level-major, then group); the tests sort
  out
}
margin <- function(d, v) { t <- table(d[[v]]); setNames(data.frame(names(t), as.vector(t)), c(v, "Freq")) }
ctl <- list(maxit = 200, epsilon = 1e-14)
cases <- list()
add <- function(name, data, design, cal, y, rows, by = NULL) {
  cases[[name]] <<- list(data = data, design = design, calibration = cal, y = y, by = by, rows = rows)
}
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = clus1)
dclus1_fpc <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = clus1)
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = strat)
dstrat_fpc <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = strat)
C <- list(weights = "pw", cluster = "dnum"); S <- list(weights = "pw", strata = "stype")
RK2 <- list(method = "rake", margins = c("stype", "sch_wide"))
RK3 <- list(method = "rake", margins = c("stype", "sch_wide", "awards"))
PS1 <- list(method = "poststratify", by = c("stype"))
PS2 <- list(method = "poststratify", by = c("stype", "sch_wide"))

# --- linearisation on calibrated designs
rclus1 <- rake(dclus1, list(~stype, ~sch_wide), list(margin(pop, "stype"), margin(pop, "sch_wide")), control = ctl)
add("rake_clus1_mean", "apiclus1.csv", C, RK2, "api00", rows_of(svymean(~api00, rclus1)))
add("rake_clus1_prop", "apiclus1.csv", C, RK2, "awards", rows_of(svymean(~awards, rclus1)))
add("rake_clus1_by", "apiclus1.csv", C, RK2, "api00", by_rows(~api00, rclus1, "awards"), by = "awards")
rclus1f <- rake(dclus1_fpc, list(~stype, ~sch_wide), list(margin(pop, "stype"), margin(pop, "sch_wide")), control = ctl)
add("rake_clus1_fpc_mean", "apiclus1.csv", c(C, fpc = "fpc"), RK2, "api99", rows_of(svymean(~api99, rclus1f)))
rstrat <- rake(dstrat, list(~stype, ~sch_wide, ~awards),
               list(margin(pop, "stype"), margin(pop, "sch_wide"), margin(pop, "awards")), control = ctl)
add("rake_strat_mean", "apistrat.csv", S, RK3, "api00", rows_of(svymean(~api00, rstrat)))
add("rake_strat_by", "apistrat.csv", S, RK3, "api99", by_rows(~api99, rstrat, "sch_wide"), by = "sch_wide")
pclus1 <- postStratify(dclus1, ~stype, margin(pop, "stype"))
add("ps_clus1_mean", "apiclus1.csv", C, PS1, "api00", rows_of(svymean(~api00, pclus1)))
add("ps_clus1_prop", "apiclus1.csv", C, PS1, "awards", rows_of(svymean(~awards, pclus1)))
add("ps_clus1_by", "apiclus1.csv", C, PS1, "api00", by_rows(~api00, pclus1, "sch_wide"), by = "sch_wide")
pop2 <- as.data.frame(table(stype = pop$stype, sch_wide = pop$sch_wide))
pstrat <- postStratify(dstrat, ~stype + sch_wide, pop2)
add("ps_strat_mean", "apistrat.csv", S, PS2, "api00", rows_of(svymean(~api00, pstrat)))

# --- replicate weights
jk1 <- as.svrepdesign(dclus1, type = "JK1")
add("jk1_mean", "apiclus1.csv", c(C, replicates = "jk1"), NULL, "api00", rows_of(svymean(~api00, jk1)))
add("jk1_prop", "apiclus1.csv", c(C, replicates = "jk1"), NULL, "awards", rows_of(svymean(~awards, jk1)))
add("jk1_by", "apiclus1.csv", c(C, replicates = "jk1"), NULL, "api00", by_rows(~api00, jk1, "stype"), by = "stype")
jk1f <- as.svrepdesign(dclus1_fpc, type = "JK1")
add("jk1_fpc_mean", "apiclus1.csv", c(C, fpc = "fpc", replicates = "jk1"), NULL, "api00", rows_of(svymean(~api00, jk1f)))
jkn <- as.svrepdesign(dstrat, type = "JKn")
add("jkn_mean", "apistrat.csv", c(S, replicates = "jkn"), NULL, "api00", rows_of(svymean(~api00, jkn)))
jknf <- as.svrepdesign(dstrat_fpc, type = "JKn")
add("jkn_fpc_by", "apistrat.csv", c(S, fpc = "fpc", replicates = "jkn"), NULL, "api00",
    by_rows(~api00, jknf, "sch_wide"), by = "sch_wide")
rjk1 <- rake(jk1, list(~stype, ~sch_wide), list(margin(pop, "stype"), margin(pop, "sch_wide")), control = ctl)
add("jk1_rake_mean", "apiclus1.csv", c(C, replicates = "jk1"), RK2, "api00", rows_of(svymean(~api00, rjk1)))
pjkn <- postStratify(jkn, ~stype + sch_wide, pop2)
add("jkn_ps_mean", "apistrat.csv", c(S, replicates = "jkn"), PS2, "api00", rows_of(svymean(~api00, pjkn)))
set.seed(20261203)
boot <- as.svrepdesign(dclus1, type = "bootstrap", replicates = 50, compress = FALSE)
write.csv(unclass(boot$repweights), "bootstrap_clus1_factors.csv", row.names = FALSE)
B <- list(weights = "pw", replicates = "bootstrap_clus1_factors.csv")
boot_info <- list(scale = boot$scale, rscales = boot$rscales)
add("boot_mean", "apiclus1.csv", B, NULL, "api00", rows_of(svymean(~api00, boot)))
add("boot_by", "apiclus1.csv", B, NULL, "api00", by_rows(~api00, boot, "stype"), by = "stype")

# --- the bundled example study: 2022Q1 satisfaction (sat1), branches as clusters, raked to county and segment
exmargin <- function(v) { m <- exm[exm$margin == v, ]; setNames(data.frame(m$level, m$count), c(v, "Freq")) }
dex <- svydesign(id = ~branch_id, weights = ~1, data = ex)
EX <- list(cluster = "branch_id")
rex <- rake(dex, list(~county_id, ~segment), list(exmargin("county_id"), exmargin("segment")), control = ctl)
REX <- list(method = "rake", margins = c("county_id", "segment"))
add("example_rake_mean", "example_calibration.csv", EX, REX, "sat1", rows_of(svymean(~sat1, rex)))
add("example_rake_by", "example_calibration.csv", EX, REX, "sat1", by_rows(~sat1, rex, "size_tier"), by = "size_tier")
pex <- postStratify(dex, ~segment, exmargin("segment"))
add("example_ps_mean", "example_calibration.csv", EX, list(method = "poststratify", by = "segment"), "sat1",
    rows_of(svymean(~sat1, pex)))
jex <- rake(as.svrepdesign(dex, type = "JK1"), list(~county_id, ~segment),
            list(exmargin("county_id"), exmargin("segment")), control = ctl)
add("example_jk1_rake_mean", "example_calibration.csv", c(EX, replicates = "jk1"), REX, "sat1",
    rows_of(svymean(~sat1, jex)))
example_weights <- unname(weights(rex))

out <- list(versions = list(R = R.version.string, survey = as.character(packageVersion("survey"))),
            bootstrap = boot_info, example_rake_weights = example_weights, cases = cases)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, null = "null"), "calibration_reference.json")
