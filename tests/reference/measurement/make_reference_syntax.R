# Reference numbers for tests/test_measurement_syntax.py: defined parameters (:=), equality
# constraints (==), and lavaan's fixed.x default for observed exogenous covariates.
# Run from this directory:  Rscript make_reference_syntax.R
# R packages (Debian): r-cran-lavaan, r-cran-jsonlite. Reads hs1939.csv and political_democracy.csv
# (written by make_reference.R) and writes hs1939_covariates_missing.csv and reference_syntax.json.
suppressPackageStartupMessages({ library(lavaan); library(jsonlite) })
hs <- read.csv("hs1939.csv")
pd <- read.csv("political_democracy.csv")
out <- list(versions = list(lavaan = as.character(packageVersion("lavaan"))))
tidy_fit <- function(fit) {
  pe <- parameterEstimates(fit, standardized = TRUE)
  fm <- fitMeasures(fit, c("chisq","df","pvalue","cfi","tli","rmsea","rmsea.ci.lower","rmsea.ci.upper",
                          "rmsea.pvalue","srmr","aic","bic","logl","unrestricted.logl","npar",
                          "baseline.chisq","baseline.df"))
  list(pe = data.frame(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, label = if (is.null(pe$label)) rep("", nrow(pe)) else pe$label, est = pe$est, se = pe$se,
                       z = pe$z, pvalue = pe$pvalue, ci_lower = pe$ci.lower, ci_upper = pe$ci.upper,
                       std_all = pe$std.all, stringsAsFactors = FALSE),
       fit = as.list(fm), n = lavInspect(fit, "nobs"))
}

# ---- 1. defined parameters: mediation on PoliticalDemocracy ----
pd_med <- '
  ind60 =~ x1 + x2 + x3
  dem60 =~ y1 + y2 + y3 + y4
  dem65 =~ y5 + y6 + y7 + y8
  dem60 ~ a*ind60
  dem65 ~ c*ind60 + b*dem60
  y1 ~~ y5
  y2 ~~ y4 + y6
  y3 ~~ y7
  y4 ~~ y8
  y6 ~~ y8
  ind := a*b
  total := c + a*b
  prop := ind / total
  sq := a^2 - sqrt(exp(b)) + log(c + 2)
'
out$pd_mediation <- tidy_fit(sem(pd_med, data = pd))
# the same under MLR (robust SEs carry through the delta method)
out$pd_mediation_mlr <- tidy_fit(sem(pd_med, data = pd, estimator = "MLR"))

# ---- 2. equality constraints on HolzingerSwineford1939 ----
hs_eq <- '
  visual =~ x1 + a*x2 + b*x3
  textual =~ x4 + c*x5 + d*x6
  speed =~ x7 + x8 + x9
  a == b
  d == 1.2*c
  x7 ~~ e*x7
  x8 ~~ f*x8
  e + f == 0.9
'
out$hs_equality <- tidy_fit(cfa(hs_eq, data = hs))
# shared labels are equality constraints too
hs_shared <- '
  visual =~ x1 + a*x2 + a*x3
  textual =~ x4 + x5 + x6
  speed =~ x7 + x8 + x9
'
out$hs_shared <- tidy_fit(cfa(hs_shared, data = hs))
hs_shared_eq <- '
  visual =~ x1 + a*x2 + b*x3
  textual =~ x4 + x5 + x6
  speed =~ x7 + x8 + x9
  a == b
'
out$hs_shared_eq <- tidy_fit(cfa(hs_shared_eq, data = hs))

# ---- 3. observed exogenous covariates: fixed.x = TRUE (default) and FALSE ----
hs_x <- '
  visual =~ x1 + x2 + x3
  textual =~ x4 + x5 + x6
  speed =~ x7 + x8 + x9
  visual ~ ageyr + grade
  speed ~ ageyr + sex
'
out$hs_fixed_x <- tidy_fit(sem(hs_x, data = hs))
out$hs_fixed_x_mean <- tidy_fit(sem(hs_x, data = hs, meanstructure = TRUE))
out$hs_free_x <- tidy_fit(sem(hs_x, data = hs, fixed.x = FALSE))
# MLR: robust SEs and the Yuan-Bentler scaled chi-square with fixed covariates
fit_mlr <- sem(hs_x, data = hs, estimator = "MLR")
out$hs_fixed_x_mlr <- tidy_fit(fit_mlr)
out$hs_fixed_x_mlr_scaled <- as.list(fitMeasures(fit_mlr, c("chisq.scaled", "chisq.scaling.factor",
                                                             "pvalue.scaled")))
# two groups: the covariates' moments are fixed per group
out$hs_fixed_x_groups <- tidy_fit(sem(hs_x, data = hs, group = "school"))
# FIML: lavaan drops respondents with a missing covariate when fixed.x = TRUE
set.seed(20240102)
hsm <- hs[, c("id", paste0("x", 1:9), "ageyr", "grade", "sex")]
for (v in paste0("x", 1:9)) hsm[[v]][sample(nrow(hsm), 25)] <- NA
hsm$ageyr[sample(nrow(hsm), 6)] <- NA
write.csv(hsm, "hs1939_covariates_missing.csv", row.names = FALSE, na = "")
fit_fiml <- sem(hs_x, data = hsm, missing = "ml")
out$hs_fixed_x_fiml <- tidy_fit(fit_fiml)
# observed-variable mediation: one covariate, defined indirect and total effects
obs_med <- '
  x9 ~ a*ageyr
  x7 ~ b*x9 + c*ageyr
  ind := a*b
  total := c + a*b
'
out$obs_mediation <- tidy_fit(sem(obs_med, data = hs))

write_json(out, "reference_syntax.json", digits = NA, auto_unbox = TRUE, pretty = FALSE)
cat("ok\n")
